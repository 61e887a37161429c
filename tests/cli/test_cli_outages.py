"""gkh outage through the command line, in-process on the embedded demo portal (local://, SQLite) and over HTTP:
the listing and its filters, times read in each house's zone (a Yekaterinburg house), `--new` (twice, after a
change, from processes run at once), the staff's post, change and cancel with their dry runs and --yes, other
organisations refused, and `house show` listing what is going on and to come.

The demo portal's clock is 2026-11-20 12:00 in Moscow: at ул. Ленина, д. 5 the summer shutdown is over (OT-000001),
an emergency hot-water outage is active (OT-000002), a cold-water one is to come (OT-000003) and an electricity one
was cancelled (OT-000004); at ул. Малышева, д. 51 in Yekaterinburg (+05:00) an electricity one is to come on the
23rd, 10:00–16:00 local (OT-000006)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.cli import gkh, gkh_json, login

GKH = str(Path(sys.executable).parent / "gkh")
LENINA = ["OT-000003", "OT-000004", "OT-000002", "OT-000001"]  # the resident's, the latest start first
TEXT = "В связи с ремонтом теплотрассы подача горячей воды будет прекращена."


def ids(items: list[dict]) -> list[str]:
    return [item["id"] for item in items]


def stored(home) -> list[tuple]:
    with sqlite3.connect(home / "portal.sqlite3") as conn:
        return conn.execute("SELECT id, starts_at, ends_at, text, version, cancelled_at FROM outages ORDER BY seq"
                            ).fetchall()


@pytest.fixture
def offline(home):
    """A profile whose portal cannot be reached: whatever it runs makes no request, or fails with exit 6."""
    assert gkh("--profile", "offline", "config", "set", "url", "http://127.0.0.1:9").exit_code == 0
    return ["--profile", "offline"]


@pytest.fixture
def staff(home):
    """The demo resident on the default profile, and the staff of the managing organisation (uk-staff), of the
    electricity supplier (energo-staff) and an admin on their own profiles."""
    assert gkh("auth", "status").exit_code == 0
    for user in ("uk-staff", "energo-staff", "admin"):
        login(user, user)
    return home


def post(*args: str, profile: str = "uk-staff", **kwargs):
    return gkh("--profile", profile, "outage", "post", *args, **kwargs)


# --- refused before any request ---------------------------------------------------------------------------------


@pytest.mark.sqlite_only
@pytest.mark.parametrize("args,said", [
    (["--from", "14.12.2026", "--to", "01.12.2026"], "--to: the outage must end after it starts"),
    (["--from", "01.12.2026 17:00", "--to", "01.12.2026 09:00"], "--to: the outage must end after it starts"),
    (["--from", "31.02.2026", "--to", "01.03.2026"], "is not a date such as 01.12.2026"),
    (["--from", "2026-12-01 25:00", "--to", "2026-12-02"], "is not a date such as 01.12.2026"),
    (["--from", "завтра", "--to", "2026-12-02"], "is not a date such as 01.12.2026"),
    (["--from", "01.12.2026", "--to", "01.12.2026", "--text", "x" * 5001], "--text: 1 to 5000 characters; got 5001"),
    (["--from", "01.12.2026", "--to", "01.12.2026", "--text", "   "], "--text: 1 to 5000 characters; got 0"),
    (["--from", "01.12.2026", "--to", "01.12.2026", "--topic", "т" * 201], "--topic: 1 to 200 characters; got 201"),
    (["--from", "01.12.2026", "--to", "01.12.2026", "--resource", "steam"], "'steam' is not one of hot-water"),
])
def test_a_bad_notice_is_exit_2_before_any_request(offline, args, said):
    given = {"--resource": "hot-water", "--text": TEXT}
    for index in range(0, len(args), 2):
        given[args[index]] = args[index + 1]
    result = gkh(*offline, "outage", "post", "--house", "ленина 5", *(x for pair in given.items() for x in pair))
    assert (result.exit_code, result.stdout) == (2, "")
    assert said in result.stderr and result.stderr.count("\n") == 1


@pytest.mark.sqlite_only
@pytest.mark.parametrize("args", [["show", "OT-x"], ["show", "A-000001"], ["cancel", "7", "--yes"],
                                  ["change", "OT-000001"], ["list", "--resource", "water"]])
def test_a_malformed_id_no_change_or_unknown_resource_is_exit_2(offline, args):
    result = gkh(*offline, "outage", *args)
    assert (result.exit_code, result.stdout) == (2, "")


# --- listing, filters and time zones -------------------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_a_resident_lists_their_houses_notices_and_filters_them(staff):
    every = gkh_json("outage", "list")
    assert ids(every) == LENINA  # none of ул. Малышева or пр-т Мира: not the resident's houses
    assert set(every[0]) >= {"id", "house", "resource", "topic", "text", "start", "end", "important", "status",
                             "posted_by", "updated_at"}
    assert [item["status"] for item in every] == ["upcoming", "cancelled", "active", "over"]
    assert ids(gkh_json("outage", "list", "--active")) == ["OT-000002"]
    assert ids(gkh_json("outage", "list", "--upcoming")) == ["OT-000003"]
    assert ids(gkh_json("outage", "list", "--active", "--upcoming")) == ["OT-000003", "OT-000002"]
    assert ids(gkh_json("outage", "list", "--resource", "hot-water")) == ["OT-000002", "OT-000001"]
    assert ids(gkh_json("outage", "list", "--resource", "COLD_WATER")) == ["OT-000003"]
    assert ids(gkh_json("outage", "list", "--house", "ленина 5", "--limit", "2")) == LENINA[:2]
    assert gkh_json("outage", "list", "--house", "малышева 51") == []
    emergency = gkh_json("outage", "show", "ot-2")
    assert (emergency["important"], emergency["status"], emergency["topic"]) == (
        True, "active", "Аварийное отключение ГВС")


@pytest.mark.sqlite_only
def test_the_times_are_the_houses_own_on_a_terminal_and_utc_in_the_data(staff):
    ekb = gkh_json("--profile", "admin", "outage", "list", "--house", "малышева 51", "--upcoming")
    assert [(o["id"], o["start"], o["end"]) for o in ekb] == [
        ("OT-000006", "2026-11-23T05:00:00+00:00", "2026-11-23T11:00:00+00:00")]
    table = gkh("--profile", "admin", "outage", "list", "--house", "малышева 51", tty=True, env={"COLUMNS": "100"})
    row = next(line for line in table.stdout.splitlines() if line.startswith("OT-000006"))
    assert "2026-11-23 10:00  2026-11-23 16:00" in row  # 10:00–16:00 in Yekaterinburg
    russian = gkh("--profile", "admin", "outage", "show", "OT-000006", tty=True, env={"GKH_LANG": "ru"})
    assert "23.11.2026 10:00" in russian.stdout and "23.11.2026 16:00" in russian.stdout
    assert "электроэнергия" in russian.stdout
    moscow = gkh("outage", "list", "--active", tty=True)
    assert "2026-11-20 06:00  2026-11-21 06:00" in moscow.stdout  # 6 hours before 12:00 Moscow, 18 after
    tsv = gkh("--profile", "admin", "outage", "list", "--house", "малышева 51", "--upcoming").stdout
    assert "2026-11-23T05:00:00+00:00\t2026-11-23T11:00:00+00:00" in tsv


@pytest.mark.sqlite_only
@pytest.mark.parametrize("now,active", [
    ("2026-11-23T09:59:00+05:00", []),  # a minute before 10:00 in Yekaterinburg (07:59 in Moscow)
    ("2026-11-23T08:00:00+03:00", ["OT-000006"]),  # 10:00 there: it has begun
    ("2026-11-23T15:59:00+05:00", ["OT-000006"]),
    ("2026-11-23T14:00:00+03:00", []),  # 16:00 there: over
])
def test_active_and_upcoming_are_judged_in_the_houses_zone(staff, now, active):
    at = {"GKH_NOW": now}
    listed = gkh("--profile", "admin", "outage", "list", "--house", "малышева 51", "--active", "--json", env=at)
    assert listed.exit_code == 0, listed.stderr
    assert ids(json.loads(listed.stdout)) == active
    upcoming = gkh("--profile", "admin", "outage", "list", "--house", "малышева 51", "--upcoming", "--json", env=at)
    assert ids(json.loads(upcoming.stdout)) == ([] if active or now.startswith("2026-11-23T14") else ["OT-000006"])


@pytest.mark.sqlite_only
def test_the_list_fits_80_columns_on_a_terminal(staff):
    lines = gkh("--profile", "admin", "outage", "list", tty=True, env={"COLUMNS": "80"}).stdout.splitlines()
    assert lines[0].split() == ["ID", "Resource", "Status", "Starts", "Ends"]
    assert max(len(line) for line in lines) <= 80, "\n".join(lines)


@pytest.mark.sqlite_only
def test_house_show_lists_the_active_and_upcoming_outages(staff):
    passport = gkh_json("house", "show", "ленина 5")
    assert ids(passport["outages"]) == ["OT-000002", "OT-000003"]  # soonest first; neither over nor cancelled
    out = gkh("house", "show", "ленина 5", tty=True, env={"COLUMNS": "120"}).stdout
    outages = out[out.index("Outages:"):].splitlines()
    assert outages[0].split()[1:] == ["ID", "Resource", "Status", "Starts", "Ends", "Topic"]
    assert outages[1].split()[:4] == ["OT-000002", "hot_water", "active", "2026-11-20"]
    assert "[{" not in out
    row = next(line for line in gkh("house", "show", "ленина 5", "-o", "csv").stdout.splitlines()[1:])
    assert '""id"":""OT-000002""' in row and '""id"":""OT-000001""' not in row


# --- --new ---------------------------------------------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_new_lists_each_notice_once_and_a_changed_one_again(staff):
    assert ids(gkh_json("outage", "list", "--new")) == LENINA
    second = gkh("outage", "list", "--new", "-o", "json")
    assert (second.exit_code, json.loads(second.stdout)) == (0, [])
    assert gkh("outage", "list", "--new", tty=True).stderr.endswith("no new outages\n")
    changed = gkh("--profile", "uk-staff", "outage", "change", "OT-000003", "--to", "25.11.2026 19:00")
    assert changed.exit_code == 0, changed.stderr
    again = gkh_json("outage", "list", "--new")
    assert [(o["id"], o["end"]) for o in again] == [("OT-000003", "2026-11-25T16:00:00+00:00")]
    assert gkh_json("outage", "list", "--new") == []
    assert ids(gkh_json("--profile", "admin", "outage", "list", "--new")) != []  # another profile: its own


@pytest.mark.sqlite_only
def test_new_with_a_filter_records_only_what_it_listed(staff):
    assert ids(gkh_json("outage", "list", "--new", "--active")) == ["OT-000002"]
    assert ids(gkh_json("outage", "list", "--new")) == ["OT-000003", "OT-000004", "OT-000001"]
    state = json.loads((Path(os.environ["GKH_STATE_DIR"]) / "outages-seen.json").read_text())
    assert sorted(next(iter(state["seen"].values()))) == sorted(LENINA)
    assert oct(os.stat(Path(os.environ["GKH_STATE_DIR"]) / "outages-seen.json").st_mode & 0o777) == "0o600"


@pytest.mark.sqlite_only
def test_new_from_processes_run_at_once_reports_each_notice_once(staff):
    runs = [subprocess.Popen([GKH, "outage", "list", "--new", "-o", "json"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env={**os.environ, "GKH_FORCE_TTY": "0"})
            for _ in range(4)]
    reported: list[str] = []
    for run in runs:
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
        reported += ids(json.loads(out))
    assert sorted(reported) == sorted(LENINA)  # each once, across all of them


# --- the staff post, change and cancel -----------------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_staff_post_with_a_dry_run_first_and_residents_see_it(staff):
    before = stored(staff)
    args = ["--house", "ленина 5", "--resource", "hot-water", "--from", "01.12.2026", "--to", "14.12.2026",
            "--text", TEXT]
    dry = post(*args, "--dry-run", "--json")
    assert dry.exit_code == 0, dry.stderr
    assert json.loads(dry.stdout)["start"] == "2026-11-30T21:00:00+00:00"
    assert "stored nothing" in dry.stderr and stored(staff) == before
    made = json.loads(post(*args, "--json").stdout)
    assert (made["start"], made["end"], made["topic"], made["status"], made["important"]) == (
        "2026-11-30T21:00:00+00:00", "2026-12-14T21:00:00+00:00", "Отключение горячей воды", "upcoming", False)
    assert len(stored(staff)) == len(before) + 1
    assert made["id"] in ids(gkh_json("outage", "list", "--upcoming"))
    timed = json.loads(post("--house", "ленина 5", "--resource", "gas", "--from", "2026-12-03 09:00", "--to",
                            "2026-12-03 13:30", "--text", "Проверка газового оборудования.", "--topic",
                            "Отключение газа", "--important", "--json").stdout)
    assert (timed["start"], timed["end"], timed["important"]) == (
        "2026-12-03T06:00:00+00:00", "2026-12-03T10:30:00+00:00", True)


@pytest.mark.sqlite_only
def test_change_with_a_dry_run_then_cancel_needs_yes_and_a_cancelled_one_is_final(staff):
    before = stored(staff)
    dry = gkh("--profile", "uk-staff", "outage", "change", "OT-000003", "--text", "Новый текст.", "--dry-run",
              "--json")
    assert dry.exit_code == 0, dry.stderr
    assert json.loads(dry.stdout)["text"] == "Новый текст." and stored(staff) == before
    changed = gkh_json("--profile", "uk-staff", "outage", "change", "OT-000003", "--not-important", "--text",
                       "Новый текст.")
    assert (changed["text"], changed["version"]) == ("Новый текст.", 2)
    asked = gkh("--profile", "uk-staff", "outage", "cancel", "OT-000003")
    assert (asked.exit_code, asked.stdout) == (2, "") and "--yes" in asked.stderr
    no = gkh("--profile", "uk-staff", "outage", "cancel", "OT-000003", input="n\n", tty=True)
    assert no.exit_code == 1 and gkh_json("outage", "show", "OT-000003")["status"] == "upcoming"
    done = gkh_json("--profile", "uk-staff", "outage", "cancel", "OT-000003", "--yes")
    assert (done["status"], done["version"]) == ("cancelled", 3)
    late = gkh("--profile", "uk-staff", "outage", "change", "OT-000003", "--text", "Ещё текст.")
    assert late.exit_code == 5, late.stderr
    assert gkh_json("outage", "show", "OT-000003")["status"] == "cancelled"


@pytest.mark.sqlite_only
def test_staff_of_another_organisation_are_refused(staff):
    before = stored(staff)
    other = gkh("--profile", "energo-staff", "outage", "change", "OT-000002", "--text", "Чужой текст.")
    assert other.exit_code == 4, other.stderr  # it serves the house, but did not post the notice
    cancel = gkh("--profile", "energo-staff", "outage", "cancel", "OT-000002", "--yes")
    assert cancel.exit_code == 4, cancel.stderr
    unserved = post("--house", "малышева 51", "--resource", "hot-water", "--from", "01.12.2026", "--to",
                    "02.12.2026", "--text", TEXT)
    assert unserved.exit_code == 1 and "no house" in unserved.stderr  # one it does not serve: not found
    unseen = gkh("--profile", "uk-staff", "outage", "change", "OT-000006", "--text", "Чужой текст.")
    assert unseen.exit_code == 1 and "(run: gkh --profile uk-staff outage list)" in unseen.stderr
    resident = post("--house", "ленина 5", "--resource", "gas", "--from", "01.12.2026", "--to", "02.12.2026",
                    "--text", TEXT, profile="local")
    assert resident.exit_code in (1, 4), resident.stderr
    assert stored(staff) == before


# --- over HTTP -------------------------------------------------------------------------------------------------


def test_list_filters_and_new_over_http(home, http_portal):
    for user in ("ivanov", "uk-staff"):
        assert gkh("--profile", f"http-{user}", "config", "set", "url", http_portal).exit_code == 0
        login(f"http-{user}", user)
    assert ids(gkh_json("--profile", "http-ivanov", "outage", "list")) == LENINA
    assert ids(gkh_json("--profile", "http-ivanov", "outage", "list", "--active", "--house", "ленина 5")) == [
        "OT-000002"]
    assert ids(gkh_json("--profile", "http-ivanov", "outage", "list", "--new")) == LENINA
    assert gkh_json("--profile", "http-ivanov", "outage", "list", "--new") == []
    changed = gkh_json("--profile", "http-uk-staff", "outage", "change", "OT-000002", "--to", "21.11.2026 09:00")
    assert (changed["end"], changed["version"]) == ("2026-11-21T06:00:00+00:00", 2)
    assert ids(gkh_json("--profile", "http-ivanov", "outage", "list", "--new")) == ["OT-000002"]


# --- the README's crontab recipe, as cron runs it ----------------------------------------------------------------

README = Path(__file__).resolve().parents[2] / "README.md"
CRON_PATH = "/usr/bin:/bin"  # what cron gives its jobs
README_GKH = "/home/me/.local/bin/gkh"  # the README's example of the absolute path


def as_cron(command: str, home: Path, input: str | None = None) -> subprocess.CompletedProcess:
    env = {"HOME": str(home), "PATH": CRON_PATH}
    return subprocess.run(["env", "-i", *(f"{k}={v}" for k, v in env.items()), "/bin/sh", "-c", command],
                          input=input, stdin=None if input else subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=120)


def mailed(cron_home: Path) -> list[tuple[str, list[dict]]]:
    """What the stand-in for mail(1) was given: each message's arguments and its JSON list."""
    path = cron_home / "mailed"
    if not path.exists():
        return []
    return [(args, json.loads(body)) for args, body in
            (part.split("\n", 1) for part in path.read_text(encoding="utf-8").split("\x1e") if part.strip())]


@pytest.mark.sqlite_only
def test_the_readme_crontab_recipe_mails_each_new_notice_once(home, tmp_path):
    line = next(line for line in README.read_text(encoding="utf-8").splitlines() if line.startswith("0 7 * * *"))
    assert "%" not in line and " gkh " not in f" {line} " and f"{README_GKH} outage list --new -o json" in line
    cron_home = tmp_path / "cron-home"
    data = cron_home / ".local" / "share" / "gkh"  # the default data folder: the demo portal, its clock real
    data.mkdir(parents=True)
    shutil.copy(home / "portal.sqlite3", data / "portal.sqlite3")
    mailer = tmp_path / "mail"  # stands in for mail(1): appends its arguments and what it reads
    mailer.write_text('#!/bin/sh\nprintf "\\036%s\\n" "$*" >> "$HOME/mailed"; cat >> "$HOME/mailed"\n')
    mailer.chmod(0o755)
    command = line.split(None, 5)[5].replace(README_GKH, GKH).replace("then mail ", f"then {mailer} ")
    assert as_cron(f"{GKH} auth status", cron_home).returncode == 0  # once by hand: the demo resident signs in

    first = as_cron(command, cron_home)
    assert (first.returncode, first.stdout, first.stderr) == (0, "", "")
    [(args, notices)] = mailed(cron_home)
    assert args == "-s gkh: outages me@example.ru" and sorted(ids(notices)) == sorted(LENINA)
    again = as_cron(command, cron_home)
    assert (again.returncode, again.stdout, again.stderr) == (0, "", "")
    assert len(mailed(cron_home)) == 1  # nothing new: nothing mailed

    staff = f"{GKH} --profile staff"
    assert as_cron(f"{staff} auth login --user uk-staff --password-stdin", cron_home,
                   input="uk-staff-demo-2026\n").returncode == 0
    changed = as_cron(f'{staff} outage change OT-000002 --text "Ремонт продлён."', cron_home)
    assert changed.returncode == 0, changed.stderr
    assert as_cron(command, cron_home).returncode == 0
    assert [ids(notices) for _args, notices in mailed(cron_home)][1:] == [["OT-000002"]]
