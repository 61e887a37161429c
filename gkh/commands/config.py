"""gkh config: the profile's settings and where each value comes from."""

from __future__ import annotations

import typer

from gkh.commands.common import DEFAULT_OUTPUT, OutputChoice, global_options, output_options, show
from gkh.i18n import _
from gkh.output import Column, Columns

app = typer.Typer(help="Show and change settings (per profile: gkh --profile NAME config ...).",
                  no_args_is_help=True)

# A setting (the README's "Columns" table): csv/tsv/excel write them all, in this order.
SETTING_COLUMNS = Columns(
    Column("profile", "Profile"),
    Column("key", "Setting", shown=True, kind="id"),
    Column("value", "Value", shown=True),
    Column("source", "From", shown=True, kind="term"),
)


def _profile(*, new: bool = False) -> str:
    from gkh.config.settings import active_profile

    return active_profile(global_options().profile, new=new)


@app.command("list")
@output_options
def list_(output: OutputChoice = DEFAULT_OUTPUT) -> None:
    """Every setting of the profile, with its value and source (flag, env, file or default)."""
    from gkh.config.settings import resolve

    profile = _profile()
    rows = [{"profile": profile, "key": s.key, "value": s.value, "source": s.source}
            for s in resolve(profile).values()]
    show(rows, SETTING_COLUMNS, output)


@app.command()
def get(key: str = typer.Argument(..., help="The setting's name (see gkh config list).")) -> None:
    """Print one setting's value."""
    from gkh.config.settings import get_value

    print(get_value(_profile(), key).value)


@app.command("set")
def set_(key: str = typer.Argument(..., help="The setting's name."),
         value: str = typer.Argument(..., help="Its new value.")) -> None:
    """Change a setting in the config file for this profile (adding the profile if it is new)."""
    from gkh.commands.common import say
    from gkh.config.settings import set_value

    profile = _profile(new=True)
    setting = set_value(profile, key, value)
    say(_("gkh: {key} = {value} for profile {profile}").format(key=setting.key, value=setting.value, profile=profile))


@app.command()
def unset(key: str = typer.Argument(..., help="The setting's name.")) -> None:
    """Remove a setting from the config file for this profile (back to its default)."""
    from gkh.commands.common import say
    from gkh.config.settings import unset_value

    profile = _profile()
    removed = unset_value(profile, key)
    said = _("gkh: {key} unset for profile {profile}") if removed else _("gkh: {key} was not set for profile {profile}")
    say(said.format(key=key, profile=profile))
