"""The demo world's notices of outages (schema version 10), relative to the portal's creation `now`, each in its
house's zone:

* H1 (ул. Ленина, д. 5), posted by its managing organisation: the yearly summer hot-water shutdown for maintenance
  (14 days in July of `now`'s year, or the year before while that July is not over) — `over`; an emergency hot-water
  outage that started 6 hours before `now` (on the hour) and ends 18 hours after, important — `active`; a cold-water
  one in 5 days, 09:00–17:00 — `upcoming`; and, posted by the electricity supplier, one in 3 days that it cancelled
  a day before `now` — `cancelled`.
* H4 (ул. Малышева, д. 51, Екатеринбург), posted by ООО «УК Уральский дом»: its summer hot-water shutdown — `over`;
  an electricity one in 3 days, 10:00–16:00 — `upcoming`.
* H2 (пр-т Мира, д. 12, корп. 1): the heating system's pressure test in 7 days, 09:00–18:00 — `upcoming`.

Deterministic: the same `now` gives the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from gkh.domain.dates import format_instant, house_zone
from gkh.server.demo import Connection
from gkh.server.demo.world import DEMO_HOUSES, ORG_ENERGO, ORG_UK_EKB, ORG_UK_MOSCOW

SUMMER_START = (7, 6)  # the summer shutdown: 14 days from 6 July
SUMMER_DAYS = 14


@dataclass(frozen=True)
class _Outage:
    house: str
    org_id: str
    poster: str | None  # the login of who posted it (None: nobody of the demo's users)
    resource: str
    topic: str
    text: str
    starts: datetime
    ends: datetime
    important: bool = False
    created: datetime | None = None  # None: 10 days before the start (never after `now`)
    cancelled: datetime | None = None


def _at(day: date, hour: int, zone_name: str) -> datetime:
    return datetime.combine(day, time(hour), house_zone(zone_name))


def _summer(now: datetime, zone_name: str) -> tuple[datetime, datetime]:
    """The summer shutdown's 14 days in July of `now`'s year, or of the year before while that one is not over."""
    local = now.astimezone(house_zone(zone_name))
    start = date(local.year, *SUMMER_START)
    if _at(start + timedelta(days=SUMMER_DAYS), 0, zone_name) > now:
        start = date(local.year - 1, *SUMMER_START)
    return _at(start, 0, zone_name), _at(start + timedelta(days=SUMMER_DAYS), 0, zone_name)


def outages(now: datetime) -> list[_Outage]:
    h1, h2, h4 = DEMO_HOUSES["H1"], DEMO_HOUSES["H2"], DEMO_HOUSES["H4"]
    msk, ekb = h1.timezone, h4.timezone
    today_msk = now.astimezone(house_zone(msk)).date()
    today_ekb = now.astimezone(house_zone(ekb)).date()
    on_the_hour = now.astimezone(house_zone(msk)).replace(minute=0, second=0, microsecond=0)
    summer_msk, summer_ekb = _summer(now, msk), _summer(now, ekb)
    return [
        _Outage("H1", ORG_UK_MOSCOW, "uk-staff", "hot_water", "Плановое отключение горячего водоснабжения",
                "В связи с ежегодными профилактическими работами на тепловых сетях подача горячей воды в доме будет "
                "прекращена на 14 дней. Просим заранее запастись водой и не оставлять открытыми краны.",
                *summer_msk),
        _Outage("H1", ORG_UK_MOSCOW, "uk-staff", "hot_water", "Аварийное отключение ГВС",
                "Из-за аварии на трубопроводе горячего водоснабжения в подвале дома подача горячей воды прекращена. "
                "Аварийная бригада ведёт ремонт. Приносим извинения за неудобства.",
                on_the_hour - timedelta(hours=6), on_the_hour + timedelta(hours=18), important=True,
                created=on_the_hour - timedelta(hours=6)),
        _Outage("H1", ORG_UK_MOSCOW, "uk-staff", "cold_water", "Отключение холодного водоснабжения",
                "В связи с заменой запорной арматуры на вводе холодного водоснабжения подача холодной воды будет "
                "прекращена с 09:00 до 17:00.",
                _at(today_msk + timedelta(days=5), 9, msk), _at(today_msk + timedelta(days=5), 17, msk),
                created=now - timedelta(days=1)),
        _Outage("H1", ORG_ENERGO, "energo-staff", "electricity", "Отключение электроснабжения",
                "В связи с плановыми работами в трансформаторной подстанции электроснабжение дома будет прекращено "
                "с 10:00 до 14:00.",
                _at(today_msk + timedelta(days=3), 10, msk), _at(today_msk + timedelta(days=3), 14, msk),
                created=now - timedelta(days=3), cancelled=now - timedelta(days=1)),
        _Outage("H4", ORG_UK_EKB, None, "hot_water", "Плановое отключение горячего водоснабжения",
                "В связи с ежегодными гидравлическими испытаниями тепловых сетей подача горячей воды будет "
                "прекращена на 14 дней.",
                *summer_ekb),
        _Outage("H4", ORG_UK_EKB, None, "electricity", "Отключение электроснабжения",
                "В связи с ремонтом вводного распределительного устройства электроснабжение дома будет прекращено "
                "с 10:00 до 16:00.",
                _at(today_ekb + timedelta(days=3), 10, ekb), _at(today_ekb + timedelta(days=3), 16, ekb),
                created=now - timedelta(days=2)),
        _Outage(h2.key, ORG_UK_MOSCOW, "uk-staff", "heating", "Гидравлические испытания системы отопления",
                "Проводятся гидравлические испытания внутридомовой системы отопления. Возможны перебои в подаче "
                "тепла с 09:00 до 18:00.",
                _at(today_msk + timedelta(days=7), 9, msk), _at(today_msk + timedelta(days=7), 18, msk),
                created=now - timedelta(days=1)),
    ]


def seed_v10(conn: Connection, now: datetime) -> None:
    """Add the demo's notices in the caller's transaction; none when some are there already (a portal whose version
    was set back)."""
    if conn.execute("SELECT 1 FROM outages").fetchone():
        return
    users = {row[0]: row[1] for row in conn.execute("SELECT login, id FROM users").fetchall()}
    rows = []
    for seq, o in enumerate(outages(now), start=1):
        created = o.created if o.created is not None else min(o.starts - timedelta(days=10), now)
        updated = o.cancelled if o.cancelled is not None else created
        rows.append((f"OT-{seq:06d}", seq, DEMO_HOUSES[o.house].guid, o.org_id, o.resource, o.topic, o.text,
                     format_instant(o.starts), format_instant(o.ends), int(o.important),
                     format_instant(o.cancelled) if o.cancelled is not None else None,
                     users.get(o.poster) if o.poster else None, format_instant(created), format_instant(updated),
                     2 if o.cancelled is not None else 1))
    conn.executemany(
        "INSERT INTO outages (id, seq, house_guid, org_id, resource, topic, text, starts_at, ends_at, important,"
        " cancelled_at, posted_by, created_at, updated_at, version)"
        f" VALUES ({', '.join('?' * 15)})",
        rows)
