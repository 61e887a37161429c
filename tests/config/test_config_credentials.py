"""Sign-in tokens: per profile and portal, in a 0600 file in a 0700 folder, never shown."""

from __future__ import annotations

import json
import multiprocessing
import os

import pytest

from gkh.config.credentials import Credential, CredentialStore
from gkh.errors import ExitCode, GkhError
from tests.helpers.fs import mode

PORTAL_A = "https://portal-a.example.ru"
PORTAL_B = "https://portal-b.example.ru"


def credential(portal: str = PORTAL_A, token: str = "tok-secret-1", login: str = "ivanov") -> Credential:
    return Credential(token=token, login=login, expires_at="2027-02-18T12:00:00+03:00", portal=portal,
                      saved_at="2026-11-20T12:00:00+03:00")


def test_put_get_remove_per_profile_and_portal(config_dir):
    store = CredentialStore()
    assert store.get("local", PORTAL_A) is None

    store.put("local", credential())
    store.put("staff", credential(token="tok-staff", login="petrova"))

    assert store.get("local", PORTAL_A) == credential()
    assert store.get("staff", PORTAL_A).token == "tok-staff"
    assert store.remove("local", PORTAL_A) is True
    assert store.remove("local", PORTAL_A) is False
    assert store.get("local", PORTAL_A) is None
    assert store.get("staff", PORTAL_A).login == "petrova"  # the other profile is untouched


def test_a_token_for_portal_a_is_never_returned_for_portal_b_or_another_profile():
    store = CredentialStore()
    store.put("local", credential(PORTAL_A))
    assert store.get("local", PORTAL_B) is None
    assert store.get("staff", PORTAL_A) is None
    assert store.get("local", "local:0123456789abcdef") is None


def test_put_replaces_the_token_for_the_same_portal_only():
    store = CredentialStore()
    store.put("local", credential(PORTAL_A, token="old"))
    store.put("local", credential(PORTAL_B, token="other"))
    store.put("local", credential(PORTAL_A, token="new"))
    assert [(c.portal, c.token) for c in store.for_profile("local")] == [(PORTAL_A, "new"), (PORTAL_B, "other")]
    assert store.for_profile("nobody") == []


def test_the_file_layout(config_dir):
    CredentialStore().put("local", credential("local:0123456789abcdef"))
    document = json.loads((config_dir / "credentials.json").read_text())
    assert document == {"version": 1, "profiles": {"local": {"local:0123456789abcdef": {
        "token": "tok-secret-1", "login": "ivanov", "expires_at": "2027-02-18T12:00:00+03:00",
        "saved_at": "2026-11-20T12:00:00+03:00"}}}}


def test_file_is_0600_and_folder_0700(config_dir):
    old_umask = os.umask(0o022)
    try:
        CredentialStore().put("local", credential())
    finally:
        os.umask(old_umask)
    assert mode(config_dir) == 0o700
    assert mode(config_dir / "credentials.json") == 0o600
    assert mode(config_dir / "credentials.json.lock") == 0o600
    assert sorted(p.name for p in config_dir.iterdir()) == ["credentials.json", "credentials.json.lock"]


def test_an_existing_0644_file_is_tightened_on_the_next_write(config_dir):
    store = CredentialStore()
    store.put("local", credential())
    path = config_dir / "credentials.json"
    os.chmod(path, 0o644)
    store.put("local", credential(PORTAL_B))
    assert mode(path) == 0o600


def test_the_config_folder_itself_is_tightened_but_not_another_folder(tmp_path, config_dir):
    config_dir.mkdir(mode=0o755)
    os.chmod(config_dir, 0o755)
    CredentialStore().put("local", credential())
    assert mode(config_dir) == 0o700

    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o755)
    CredentialStore(shared / "tokens.json").put("local", credential())
    assert mode(shared) == 0o755  # not ours to change
    assert mode(shared / "tokens.json") == 0o600


def test_a_folder_the_store_creates_for_an_explicit_path_is_0700(tmp_path):
    CredentialStore(tmp_path / "new" / "tokens.json").put("local", credential())
    assert mode(tmp_path / "new") == 0o700


def test_the_default_path_follows_gkh_config_dir_at_call_time(tmp_path, monkeypatch):
    store = CredentialStore()
    store.put("local", credential())
    monkeypatch.setenv("GKH_CONFIG_DIR", str(tmp_path / "other"))
    assert store.path == tmp_path / "other" / "credentials.json"
    assert store.get("local", PORTAL_A) is None


def test_the_token_is_absent_from_repr_and_str():
    c = credential(token="tok-very-secret")
    assert "tok-very-secret" not in repr(c)
    assert "tok-very-secret" not in str(c)
    assert "token='***'" in repr(c)
    assert "ivanov" in repr(c)
    assert "tok-very-secret" not in repr([c])


@pytest.mark.parametrize("content", [b"{not json", b"", b"[]", b'{"version": 1, "profiles": []}',
                                     b'{"version": 1, "profiles": {"local": {"x": {"login": "a"}}}}',
                                     b'{"version": 1, "profiles": {"local": {"x": {"token": "t", "login": "a", '
                                     b'"saved_at": "s", "expires_at": null, "portal_id": 5}}}}',
                                     b"\xff\xfe"])
def test_a_corrupt_file_is_an_error_naming_the_file_and_is_never_wiped(config_dir, content):
    config_dir.mkdir()
    path = config_dir / "credentials.json"
    path.write_bytes(content)
    os.chmod(path, 0o600)  # only the damage is under test here
    store = CredentialStore()
    for call in (lambda: store.get("local", PORTAL_A), lambda: store.put("local", credential()),
                 lambda: store.remove("local", PORTAL_A), lambda: store.for_profile("local")):
        with pytest.raises(GkhError) as caught:
            call()
        assert caught.value.exit_code == ExitCode.ERROR
        assert str(path) in caught.value.message
        assert "\n" not in caught.value.message
    assert path.read_bytes() == content


def test_the_issuing_portals_id_is_kept_with_a_url_token(config_dir):
    store = CredentialStore()
    store.put("remote", Credential(token="tok", login="ivanov", expires_at=None, portal=PORTAL_A,
                                   saved_at="2026-11-20T12:00:00+03:00", portal_id="5f3a9c1e0b7d4a26"))
    assert store.get("remote", PORTAL_A).portal_id == "5f3a9c1e0b7d4a26"
    entry = json.loads((config_dir / "credentials.json").read_text())["profiles"]["remote"][PORTAL_A]
    assert entry["portal_id"] == "5f3a9c1e0b7d4a26"


def test_an_entry_saved_before_portal_ids_is_still_read(config_dir):
    config_dir.mkdir(mode=0o700)
    path = config_dir / "credentials.json"
    path.write_text(json.dumps({"version": 1, "profiles": {"remote": {PORTAL_A: {
        "token": "old", "login": "ivanov", "expires_at": None, "saved_at": "2026-01-01T00:00:00+03:00"}}}}))
    os.chmod(path, 0o600)
    old = CredentialStore().get("remote", PORTAL_A)
    assert (old.token, old.portal_id) == ("old", None)


@pytest.mark.parametrize("loose", [0o644, 0o640, 0o604, 0o660])
def test_a_file_others_can_read_is_refused_until_it_is_rewritten(config_dir, loose):
    store = CredentialStore()
    store.put("local", credential())
    path = config_dir / "credentials.json"
    os.chmod(path, loose)
    for call in (lambda: store.get("local", PORTAL_A), lambda: store.for_profile("local")):
        with pytest.raises(GkhError) as caught:
            call()
        assert caught.value.exit_code == ExitCode.AUTH
        assert caught.value.message == f"{path} is open to others (mode {loose:04o}): its tokens are not used"
        assert caught.value.hint == f"run: chmod 600 {path}"
    store.put("local", credential(PORTAL_B))  # a sign-in rewrites the file, 0600
    assert mode(path) == 0o600
    assert store.get("local", PORTAL_A) == credential()


def test_a_file_from_a_newer_gkh_is_refused(config_dir):
    config_dir.mkdir()
    (config_dir / "credentials.json").write_text('{"version": 2, "profiles": {}}')
    os.chmod(config_dir / "credentials.json", 0o600)
    with pytest.raises(GkhError, match="format version 2"):
        CredentialStore().get("local", PORTAL_A)


def test_remove_without_a_file_creates_nothing(config_dir):
    assert CredentialStore().remove("local", PORTAL_A) is False
    assert not config_dir.exists()


def test_signing_out_to_stay_signed_out_is_kept_per_profile_and_portal_until_a_sign_in(config_dir):
    store = CredentialStore()
    local = credential("local:0123456789abcdef")
    store.put("local", local)
    store.put("staff", local)
    assert store.remove("local", local.portal, stay_signed_out=True) is True
    assert store.is_signed_out("local", local.portal)
    assert not store.is_signed_out("local", "local:fedcba9876543210")  # another portal (a reset makes a new one)
    assert not store.is_signed_out("staff", local.portal)  # another profile
    document = json.loads((config_dir / "credentials.json").read_text())
    assert document["signed_out"] == {"local": ["local:0123456789abcdef"]}
    assert store.remove("local", local.portal, stay_signed_out=True) is False  # no token left; still signed out
    assert store.is_signed_out("local", local.portal)
    store.put("local", local)  # a sign-in there ends it
    assert not store.is_signed_out("local", local.portal)
    assert "signed_out" not in json.loads((config_dir / "credentials.json").read_text())


def test_staying_signed_out_without_a_file_writes_one(config_dir):
    assert CredentialStore().remove("local", "local:0123456789abcdef", stay_signed_out=True) is False
    assert CredentialStore().is_signed_out("local", "local:0123456789abcdef")
    assert mode(config_dir / "credentials.json") == 0o600


@pytest.mark.parametrize("signed_out", ['[]', '{"local": "local:x"}', '{"local": [1]}'])
def test_a_malformed_signed_out_record_is_damage(config_dir, signed_out):
    config_dir.mkdir()
    path = config_dir / "credentials.json"
    path.write_text(f'{{"version": 1, "profiles": {{}}, "signed_out": {signed_out}}}')
    os.chmod(path, 0o600)
    with pytest.raises(GkhError, match='is damaged: "signed_out" is not an object of lists of portals'):
        CredentialStore().is_signed_out("local", "local:x")


def test_a_bad_profile_name_is_refused():
    with pytest.raises(GkhError, match="--profile must be"):
        CredentialStore().put("../x", credential())


def _put_many(path: str, profile: str, count: int) -> None:
    from pathlib import Path

    store = CredentialStore(Path(path))
    for i in range(count):
        store.put(profile, credential(f"https://p{i}.example.ru", token=f"{profile}-{i}"))


def test_concurrent_writers_lose_nothing(tmp_path):
    path = tmp_path / "config" / "credentials.json"
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_put_many, args=(str(path), f"w{n}", 15)) for n in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=30)
        assert w.exitcode == 0
    store = CredentialStore(path)
    for n in range(4):
        assert len(store.for_profile(f"w{n}")) == 15
