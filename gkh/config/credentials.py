"""Sign-in tokens, kept apart from the settings, per profile AND portal: a token is only ever handed back
for the portal that issued it, so pointing a profile (or GKH_URL) elsewhere never leaks it.

The file is `credentials.json` in the config folder, mode 0600 in a folder of mode 0700:

    {"version": 1, "profiles": {"<profile>": {"<portal>": {"token": ..., "login": ..., ...}}}}

where <portal> is the client's key for the portal: "local:<portal id>" or the normalised URL
(gkh.protocol.PortalUrl.key). An entry for a URL also holds "portal_id", the id the portal there
gave at sign-in (GET /portal): another server later answering at the same URL does not get the token.
Entries saved before it are read, with portal_id None. `"signed_out": {"<profile>": ["<portal>", ...]}`
records a `gkh auth logout` from a local demo portal, so that gkh does not sign its demo resident in again by
itself (a sign-in there clears it; a reset makes a new portal, which has none). Every change is a locked
read-modify-write ending
in an atomic replace. A file others can read is refused when its tokens are wanted (as ssh ignores such a
key file); the next write makes it 0600 again. Nothing here logs or prints a token.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from gkh.config._files import locked, read_bytes, write_private_file
from gkh.config.settings import check_profile_name
from gkh.errors import ExitCode, GkhError
from gkh.i18n import _
from gkh.paths import config_home

CREDENTIALS_FILE_NAME = "credentials.json"
FORMAT_VERSION = 1
_FIELDS = ("token", "login", "expires_at", "saved_at")


@dataclass(frozen=True)
class Credential:
    token: str
    login: str
    expires_at: str | None  # ISO 8601 with offset, as the portal gave it
    portal: str  # "local:<portal id>" or a normalised URL
    saved_at: str  # ISO 8601, the caller's `now`
    portal_id: str | None = None  # for a URL: the id of the portal that issued the token (None: not recorded)

    def __repr__(self) -> str:
        return (f"Credential(token='***', login={self.login!r}, expires_at={self.expires_at!r}, "
                f"portal={self.portal!r}, saved_at={self.saved_at!r}, portal_id={self.portal_id!r})")

    __str__ = __repr__


class CredentialStore:
    """The tokens on this machine. `path` defaults to credentials.json in the config folder, looked up on
    every call (GKH_CONFIG_DIR may change between calls, as it does in tests)."""

    def __init__(self, path: Path | None = None):
        self._path = path

    @property
    def path(self) -> Path:
        return self._path if self._path is not None else config_home() / CREDENTIALS_FILE_NAME

    def get(self, profile: str, portal: str) -> Credential | None:
        """The token stored for this profile and this portal, or None (never one from another portal)."""
        check_profile_name(profile)
        path = self.path
        _refuse_if_open_to_others(path)
        entry = self._read(path)["profiles"].get(profile, {}).get(portal)
        return None if entry is None else _credential(portal, entry)

    def put(self, profile: str, credential: Credential) -> None:
        """Store (or replace) the profile's token for credential.portal."""
        check_profile_name(profile)
        if not isinstance(credential.token, str) or not credential.token:
            raise GkhError(_("refusing to store an empty token"), ExitCode.ERROR)
        if not isinstance(credential.portal, str) or not credential.portal:
            raise GkhError(_("refusing to store a token without its portal"), ExitCode.ERROR)
        path = self.path
        with locked(path):
            document = self._read(path)
            entry = {f: getattr(credential, f) for f in _FIELDS}
            if credential.portal_id is not None:
                entry["portal_id"] = credential.portal_id
            document["profiles"].setdefault(profile, {})[credential.portal] = entry
            _forget_signed_out(document, profile, credential.portal)
            self._write(path, document)

    def remove(self, profile: str, portal: str, *, stay_signed_out: bool = False) -> bool:
        """Forget the profile's token for this portal; False when there was none. `stay_signed_out` also records
        that the profile signed out of this portal (see `is_signed_out`), token or not."""
        check_profile_name(profile)
        path = self.path
        if not path.exists() and not stay_signed_out:
            return False
        with locked(path):
            document = self._read(path)
            portals = document["profiles"].get(profile, {})
            had = portals.pop(portal, None) is not None
            if had and not portals:
                del document["profiles"][profile]
            marked = False
            if stay_signed_out:
                marks = document.setdefault("signed_out", {}).setdefault(profile, [])
                marked = portal not in marks
                if marked:
                    marks.append(portal)
            if had or marked:
                self._write(path, document)
        return had

    def is_signed_out(self, profile: str, portal: str) -> bool:
        """Whether the profile signed out of this portal (`remove(..., stay_signed_out=True)`) and has not
        signed in there since."""
        check_profile_name(profile)
        return portal in self._read(self.path).get("signed_out", {}).get(profile, [])

    def for_profile(self, profile: str) -> list[Credential]:
        """Every token the profile holds, one per portal, sorted by portal."""
        check_profile_name(profile)
        _refuse_if_open_to_others(self.path)
        portals = self._read(self.path)["profiles"].get(profile, {})
        return [_credential(portal, entry) for portal, entry in sorted(portals.items())]

    # ---- the file

    @staticmethod
    def _read(path: Path) -> dict:
        """The whole document, its shape checked; a damaged file is an error, never silently replaced."""
        data = read_bytes(path)
        if data is None:
            return {"version": FORMAT_VERSION, "profiles": {}}
        try:
            document = json.loads(data.decode("utf-8"))
        except UnicodeDecodeError:
            raise _corrupt(path, _("not UTF-8")) from None
        except json.JSONDecodeError as error:
            raise _corrupt(path, _("{error} at line {line}, column {column}").format(
                error=error.msg, line=error.lineno, column=error.colno)) from None
        if not isinstance(document, dict):
            raise _corrupt(path, _("not a JSON object"))
        version = document.get("version")
        if version != FORMAT_VERSION:
            raise GkhError(_("{path} has format version {version}, this gkh reads version {supported}").format(
                path=path, version=repr(version), supported=FORMAT_VERSION),
                ExitCode.ERROR, hint=_("upgrade gkh, or remove the file and sign in again"))
        profiles = document.get("profiles")
        if not isinstance(profiles, dict):
            raise _corrupt(path, _('"profiles" is not an object'))
        for profile, portals in profiles.items():
            if not isinstance(portals, dict):
                raise _corrupt(path, _('profile "{profile}" is not an object').format(profile=profile))
            for portal, entry in portals.items():
                if not _is_entry(entry):
                    raise _corrupt(path, _('the entry for profile "{profile}", portal "{portal}" is malformed').format(
                        profile=profile, portal=portal))
        signed_out = document.get("signed_out", {})
        if not isinstance(signed_out, dict) or not all(
                isinstance(marks, list) and all(isinstance(m, str) for m in marks) for marks in signed_out.values()):
            raise _corrupt(path, _('"signed_out" is not an object of lists of portals'))
        return document

    @staticmethod
    def _write(path: Path, document: dict) -> None:
        text = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        write_private_file(path, text.encode("utf-8"))


def _forget_signed_out(document: dict, profile: str, portal: str) -> None:
    marks = document.get("signed_out", {}).get(profile)
    if marks is not None and portal in marks:
        marks.remove(portal)
        if not marks:
            del document["signed_out"][profile]
        if not document["signed_out"]:
            del document["signed_out"]


def _credential(portal: str, entry: dict) -> Credential:
    return Credential(portal=portal, portal_id=entry.get("portal_id"), **{f: entry[f] for f in _FIELDS})


def _is_entry(entry: object) -> bool:
    if not isinstance(entry, dict):
        return False
    return (all(isinstance(entry.get(f), str) for f in ("token", "login", "saved_at"))
            and isinstance(entry.get("expires_at", None), str | None) and "expires_at" in entry
            and isinstance(entry.get("portal_id"), str | None))


def _refuse_if_open_to_others(path: Path) -> None:
    """Tokens others could have read are not used (as ssh ignores a key file others can read)."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return  # missing (nothing to use), or unreadable: reading it says so in one line
    if mode & 0o077:
        raise GkhError(_("{path} is open to others (mode {mode}): its tokens are not used").format(
            path=path, mode=f"{mode:04o}"), ExitCode.AUTH, hint=_("run: {command}").format(command=f"chmod 600 {path}"))


def _corrupt(path: Path, what: str) -> GkhError:
    return GkhError(_("{path} is damaged: {problem}").format(path=path, problem=what), ExitCode.ERROR,
                    hint=_("fix it, or remove it and sign in again with: {command}").format(command="gkh auth login"))
