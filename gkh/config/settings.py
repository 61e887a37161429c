"""Profiles and their settings, with one precedence: environment > config file > defaults.

The file is `config.toml` in the config folder (GKH_CONFIG_DIR, else the XDG config dir's gkh/):

    default_profile = "staff"

    [profiles.staff]
    url = "https://portal.example.ru"
    timeout = 10

A profile is "local" or one with its table in the file (`config set` and `auth login` add it; an empty table
will do): a name that is neither is an error, not a fall back to the local portal. A profile starts from the
defaults (the embedded local portal) for what its table does not set. Unknown keys in
the file are ignored when read (a newer gkh may have written them) and kept when the file is rewritten;
comments are not kept (tomli-w writes data only).
"""

from __future__ import annotations

import json
import math
import os
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from gkh.config._files import locked, read_bytes, write_private_file
from gkh.errors import ExitCode, GkhError
from gkh.i18n import N_, _
from gkh.paths import config_home
from gkh.protocol import MAX_URL, URL_BAD_HOST, URL_NOT_TEXT, URL_TOO_LONG, PortalUrlError, parse_portal_url

LOCAL_URL = "local://"
DEFAULT_PROFILE = "local"
PROFILE_ENV = "GKH_PROFILE"
CONFIG_FILE_NAME = "config.toml"

Value = str | int | float
MAX_TEXT = 2048  # no setting's value is longer (a URL's practical limit); a longer one is a mistake
MAX_SECONDS = 3600


class InvalidValue(ValueError):
    """A value a validator refuses; `reason` completes "<name> ..." (e.g. "must be a positive number")."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ConfigKey:
    name: str
    env: str
    default: Value
    help: str
    parse: Callable[[object], Value]


@dataclass(frozen=True)
class Setting:
    key: str
    value: Value
    source: str  # "env", "file" or "default" (no command-line flag sets a setting: `--profile` picks them)


# ---- validators: each takes a string (env, `config set`) or a TOML value and returns the normal form

_URL_REASON = N_("must be local:// or an http(s) URL")
_URL_REASONS = {  # translated where raised; {limit} is MAX_URL
    URL_NOT_TEXT: N_("must be local:// or an http(s) URL, without spaces or control characters"),
    URL_BAD_HOST: N_("must be local:// or an http(s) URL with a valid host name"),
    URL_TOO_LONG: N_("must be at most {limit} characters"),
}


def normalise_url(raw: object) -> str:
    """`local://`, or the canonical http(s) URL of gkh.protocol.parse_portal_url (the one rule for a portal)."""
    if not isinstance(raw, str):
        raise InvalidValue(_(_URL_REASON))
    if raw.strip().lower().rstrip("/") == "local:":
        return LOCAL_URL
    try:
        portal = parse_portal_url(raw)
    except PortalUrlError as error:
        raise InvalidValue(_(_URL_REASONS.get(error.problem, _URL_REASON)).format(limit=MAX_URL)) from None
    if "credentials" in portal.dropped:
        raise InvalidValue(_("must not hold a user name or password (sign in with {command})").format(
            command="gkh auth login"))
    if "query" in portal.dropped:
        raise InvalidValue(_("must be local:// or an http(s) URL without a query or fragment"))
    return portal.url


_DECIMAL = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)")


def _number(raw: object, reason: str) -> int | float:
    """A finite number from TOML or text (a decimal comma is read as a point); integral values as int."""
    if isinstance(raw, bool):
        raise InvalidValue(reason)
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise InvalidValue(reason)
        return int(raw) if raw.is_integer() else raw
    if isinstance(raw, str) and _DECIMAL.fullmatch(raw.strip()):
        number = Decimal(raw.strip().replace(",", "."))
        return int(number) if number == number.to_integral_value() else float(number)
    raise InvalidValue(reason)


def parse_timeout(raw: object) -> int | float:
    reason = _("must be a positive number of seconds")
    value = _number(raw, reason)
    if value <= 0:
        raise InvalidValue(reason)
    return _at_most_an_hour(value)


def _at_most_an_hour(seconds: int | float) -> int | float:
    # Beyond that a wait is a typo, and sockets refuse timeouts that do not fit a C timeval.
    if seconds > MAX_SECONDS:
        raise InvalidValue(_("must be at most {limit} seconds").format(limit=MAX_SECONDS))
    return seconds


def parse_retries(raw: object) -> int:
    reason = _("must be a whole number of attempts from 1 to 10")
    if isinstance(raw, bool):
        raise InvalidValue(reason)
    if isinstance(raw, str) and re.fullmatch(r"\s*\+?\d+\s*", raw):
        raw = int(raw)
    if not isinstance(raw, int) or not 1 <= raw <= 10:
        raise InvalidValue(reason)
    return raw


def parse_backoff(raw: object) -> int | float:
    reason = _("must be a number of seconds, 0 or more")
    value = _number(raw, reason)
    if value < 0:
        raise InvalidValue(reason)
    return _at_most_an_hour(value)


KEYS: dict[str, ConfigKey] = {
    key.name: key
    for key in (
        ConfigKey("url", "GKH_URL", LOCAL_URL,
                  "The portal: local:// (the embedded portal) or its http(s) URL.", normalise_url),
        ConfigKey("timeout", "GKH_TIMEOUT", 30,
                  "Seconds to wait for the portal's answer to one request.", parse_timeout),
        ConfigKey("retries", "GKH_RETRIES", 4,
                  "Attempts per request (1-10) when the portal is unreachable, busy or failing.", parse_retries),
        ConfigKey("backoff", "GKH_BACKOFF", 0.5,
                  "Seconds of the first pause between attempts; each next pause doubles (with jitter).",
                  parse_backoff),
    )
}


# ---- profile names

_PROFILE_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


def check_profile_name(name: object, source: str = "--profile") -> str:
    """1-64 ASCII letters, digits, - or _ (a bare TOML key, and safe in a file name)."""
    if not isinstance(name, str) or not _PROFILE_NAME.fullmatch(name):
        raise GkhError(_("{source} must be 1-64 letters, digits, - or _; got {got}").format(
            source=source, got=_show(name)), ExitCode.USAGE)
    return name


# ---- the file

def config_file() -> Path:
    return config_home() / CONFIG_FILE_NAME


def _load(path: Path) -> dict:
    """The whole document (empty when there is no file), its shape checked."""
    if path.is_dir():
        raise GkhError(_("{path} is a folder, not a config file").format(path=path), ExitCode.USAGE,
                       hint=_("remove or rename it"))
    data = read_bytes(path)
    if data is None:
        return {}
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise GkhError(_("{path} is not valid TOML: not UTF-8 (at byte {byte})").format(
            path=path, byte=error.start + 1), ExitCode.USAGE, hint=_("fix or remove the file")) from None
    except tomllib.TOMLDecodeError as error:
        # Python 3.11-3.13 put "(at line L, column C)" in the message itself.
        raise GkhError(_("{path} is not valid TOML: {error}").format(path=path, error=error), ExitCode.USAGE,
                       hint=_("fix or remove the file")) from None
    except RecursionError:  # tomllib recurses per nested array or inline table: [[[[… thousands deep
        raise GkhError(_("{path} is not valid TOML: nested too deeply").format(path=path), ExitCode.USAGE,
                       hint=_("fix or remove the file")) from None
    default = document.get("default_profile")
    if default is not None:
        check_profile_name(default, f'{path}: default_profile')
    profiles = document.get("profiles", {})
    if not isinstance(profiles, dict):
        raise GkhError(_("{path}: profiles must be a table of [profiles.NAME] tables").format(path=path),
                       ExitCode.USAGE)
    for name, table in profiles.items():
        check_profile_name(name, _("{path}: a profile's name").format(path=path))
        if not isinstance(table, dict):
            raise GkhError(_("{path}: profiles.{name} must be a table of settings").format(path=path, name=name),
                           ExitCode.USAGE)
    return document


def _profile_table(document: dict, profile: str) -> dict | None:
    return document.get("profiles", {}).get(profile)


def _check_key(key: str) -> ConfigKey:
    if key not in KEYS:
        raise GkhError(_("unknown setting {key}; valid keys: {keys}").format(key=_show(key), keys=", ".join(KEYS)),
                       ExitCode.USAGE)
    return KEYS[key]


def _show(raw: object) -> str:
    """A value as an error message quotes it: on one line (JSON escapes), not too long."""
    if isinstance(raw, str):
        text = json.dumps(raw, ensure_ascii=False)
        return text if len(text) <= 62 else text[:58] + '..."'
    return repr(raw)


def _show_url(raw: object) -> str:
    """Never echo a password someone put in a URL."""
    if isinstance(raw, str):
        raw = re.sub(r"(?<=://)[^/@\s]*@", "***@", raw)
    return _show(raw)


def _parse(key: ConfigKey, raw: object, where: str) -> Value:
    try:
        if isinstance(raw, str) and len(raw) > MAX_TEXT:
            raise InvalidValue(_("must be at most {limit} characters").format(limit=MAX_TEXT))
        return key.parse(raw)
    except InvalidValue as error:
        shown = _show_url(raw) if key.name == "url" else _show(raw)
        raise GkhError(_("{where} {reason}; got {got}").format(where=where, reason=error.reason, got=shown),
                       ExitCode.USAGE) from None


# ---- the public API

def active_profile(flag: str | None, *, new: bool = False) -> str:
    """The profile: the --profile flag, else GKH_PROFILE, else the file's default_profile, else "local".

    A profile must be "local" or have its [profiles.NAME] table in the file: a mistyped name is a usage error
    naming the profiles there are, never a silent fall back to the local portal and someone else's data.
    `new` lets the verbs that make a profile (`config set`, `auth login`) name one that is not there yet.
    """
    path = config_file()
    if flag is not None:
        name, source = check_profile_name(flag, "--profile"), "--profile"
    elif env := os.environ.get(PROFILE_ENV):  # set but empty counts as unset, as for every GKH_ variable
        name, source = check_profile_name(env, PROFILE_ENV), PROFILE_ENV
    else:
        default = _load(path).get("default_profile")
        if default is None:
            return DEFAULT_PROFILE
        name, source = default, f"{path}: default_profile"
    if new or name == DEFAULT_PROFILE or name in _load(path).get("profiles", {}):
        return name
    raise GkhError(_('{source}: there is no profile "{name}"; the profiles are {profiles}').format(
        source=source, name=name, profiles=", ".join(list_profiles())), ExitCode.USAGE,
        hint=_("to make it: {set_url}, or {login}").format(set_url=f"gkh --profile {name} config set url URL",
                                                          login=f"gkh --profile {name} auth login"))


def profile_source(flag: str | None) -> str:
    """Where active_profile(flag) takes the profile from: "--profile", "GKH_PROFILE", "file" or "default"."""
    if flag is not None:
        return "--profile"
    if os.environ.get(PROFILE_ENV):
        return PROFILE_ENV
    return "file" if _load(config_file()).get("default_profile") is not None else "default"


def add_profile(profile: str) -> bool:
    """Give the profile an (empty) table in the config file, so that it exists; False when it had one."""
    check_profile_name(profile)
    path = config_file()
    with locked(path):
        document = _load(path)
        profiles = document.setdefault("profiles", {})
        if profile in profiles:
            return False
        profiles[profile] = {}
        _save(path, document)
    return True


def resolve(profile: str) -> dict[str, Setting]:
    """Every setting of the profile, in KEYS order, each with where its value came from.

    Only the value that wins is validated, so a good GKH_TIMEOUT can stand in for a bad timeout in the file.
    """
    check_profile_name(profile)
    path = config_file()
    table = _profile_table(_load(path), profile) or {}
    settings: dict[str, Setting] = {}
    for name, key in KEYS.items():
        if env := os.environ.get(key.env):
            settings[name] = Setting(name, _parse(key, env, key.env), "env")
        elif name in table:
            where = _('{path}, profile "{profile}": {key}').format(path=path, profile=profile, key=name)
            settings[name] = Setting(name, _parse(key, table[name], where), "file")
        else:
            settings[name] = Setting(name, key.default, "default")
    return settings


def get_value(profile: str, key: str) -> Setting:
    """One setting of the profile, resolved as `resolve` does."""
    _check_key(key)
    return resolve(profile)[key]


def set_value(profile: str, key: str, raw: str) -> Setting:
    """Validate and store one setting for the profile, keeping everything else in the file as it was."""
    check_profile_name(profile)
    config_key = _check_key(key)
    value = _parse(config_key, raw, key)
    path = config_file()
    with locked(path):
        document = _load(path)
        document.setdefault("profiles", {}).setdefault(profile, {})[key] = value
        _save(path, document)
    return Setting(key, value, "file")


def unset_value(profile: str, key: str) -> bool:
    """Remove one setting from the profile in the file; False when it was not set there.

    The profile's table stays (empty), so the profile is still listed."""
    check_profile_name(profile)
    _check_key(key)
    path = config_file()
    if not path.exists():
        return False
    with locked(path):
        document = _load(path)
        table = _profile_table(document, profile)
        if table is None or key not in table:
            return False
        del table[key]
        _save(path, document)
    return True


def set_default_profile(profile: str | None) -> None:
    """Make the profile the file's default_profile (None removes the line, back to "local")."""
    if profile is not None:
        check_profile_name(profile)
    path = config_file()
    with locked(path):
        document = _load(path)
        if profile is None:
            if "default_profile" not in document:
                return
            del document["default_profile"]
        else:
            document["default_profile"] = profile
        _save(path, document)


def list_profiles() -> list[str]:
    """The profiles in the file, and "local", sorted."""
    profiles = _load(config_file()).get("profiles", {})
    return sorted({DEFAULT_PROFILE, *profiles})


def _save(path: Path, document: dict) -> None:
    import tomli_w

    # default_profile first, then the profile tables (tomli-w writes scalars before tables anyway)
    ordered = {k: document[k] for k in sorted(document, key=lambda k: (k != "default_profile", k == "profiles"))}
    write_private_file(path, tomli_w.dumps(ordered).encode("utf-8"))
