"""gkh completion: the shell completion script, to source or to install (Typer's own options are off)."""

from __future__ import annotations

import typer

from gkh.errors import ExitCode, GkhError
from gkh.i18n import _

SHELLS = ("bash", "zsh", "fish")
COMPLETE_VAR = "_GKH_COMPLETE"


def completion_script(shell: str) -> str:
    from typer.completion import completion_init, get_completion_script

    completion_init()
    return get_completion_script(prog_name="gkh", complete_var=COMPLETE_VAR, shell=shell)


def completion(shell: str = typer.Argument(..., help="bash, zsh or fish.")) -> None:
    """Print the shell completion script: gkh completion bash > ~/.local/share/bash-completion/completions/gkh"""
    if shell not in SHELLS:
        raise GkhError(_("shell must be one of {shells}; got {got}").format(shells=", ".join(SHELLS), got=repr(shell)),
                       ExitCode.USAGE)
    print(completion_script(shell))
