"""The demo world's owners' meetings (schema version 8).

Each house's housing inspectorate: the Moscow houses' is Мосжилинспекция (where the demo `inspector` works), the
Yekaterinburg houses' the Sverdlovsk region's. In H1 (ул. Ленина, д. 5) petrova also owns flat 35 outright (its
owner rows become hers, and so does its accounts' payer): she owns two flats and votes with both. Two meetings there:

* MT-000001, filed by petrova 30 days before the portal's creation, published by the inspector, voting from 3 days
  before the creation to 11 days after; owners without an account on the portal have voted for about 35 % of the
  area, so there is no quorum yet and a vote through the CLI matters. Its third question needs two thirds.
* MT-000002, filed by ivanov, closed: its vote ended 40 days before the creation with about 62 % of the area; its
  first question adopted, its second (two thirds of all owners' area) not.

Dates are H1's (Europe/Moscow), relative to `now`; the rest is drawn from seeded generators (world.rng). The
notices are small valid PDFs made here.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from fractions import Fraction

from gkh.domain.dates import format_instant, house_zone, local_date
from gkh.domain.meetings import earliest_start, review_due
from gkh.server.demo import Connection
from gkh.server.demo.world import (
    DEMO_HOUSES,
    DEMO_PETROVA_FLAT,
    DEMO_USERS,
    ORG_GZHI_MOSCOW,
    ORG_GZHI_SVERDLOVSK,
    rng,
)

PETROVA_SECOND_FLAT = "35"
INSPECTORATES = {"77": ORG_GZHI_MOSCOW, "66": ORG_GZHI_SVERDLOVSK}  # a house's region → its inspectorate
VOTING_TURNOUT = Fraction(35, 100)  # MT-000001's votes so far: no quorum yet
CLOSED_TURNOUT = Fraction(62, 100)  # MT-000002's
_ADMINISTRATOR = {"kind": "organisation", "name": "ООО «УК Ленинский квартал»",
                  "address": "115054, г. Москва, ул. Ленина, д. 5, пом. 1", "phone": "+7 495 214-37-60",
                  "email": "info@uk-leninsky.example"}
_MATERIALS = "ул. Ленина, д. 5, помещение управляющей компании (пом. 1), по будням с 9:00 до 18:00"
_VOTING_AGENDA = (
    ("Избрать председателем общего собрания Петрову Анну Сергеевну (кв. 34), секретарём — Смирнову Ольгу "
     "Викторовну, и поручить им подсчёт голосов.", False),
    ("Утвердить перечень работ по текущему ремонту общего имущества на 2027 год: замена входных дверей "
     "подъездов 1–4 и ремонт отмостки.", False),
    ("Установить плату за содержание жилого помещения в размере 38,50 руб. за 1 м² в месяц с 1 января 2027 года "
     "и принять решение о капитальном ремонте кровли за счёт фонда капитального ремонта.", True),
)
_CLOSED_AGENDA = (
    ("Избрать председателем общего собрания Иванова Ивана Петровича (кв. 12), секретарём — Петрову Анну "
     "Сергеевну (кв. 34).", False),
    ("Разрешить использование части придомовой территории для размещения платной парковки.", True),
    ("Утвердить отчёт управляющей организации о выполнении договора управления за 2025 год.", False),
)


def notice_pdf(title: str) -> bytes:
    """A small valid PDF of one page with one line of text (ASCII: the standard fonts have no Cyrillic)."""
    text = title.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 14 Tf 72 770 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF" % (len(objects) + 1, xref)
    return bytes(out)


def seed_v8(conn: Connection, now: datetime) -> None:
    """Add the inspectorates, petrova's second flat and the two meetings to a demo portal (schema v8), in the
    caller's transaction; nothing when the meetings are there already (a portal whose version was set back)."""
    for house in DEMO_HOUSES.values():
        conn.execute("UPDATE houses SET inspectorate_org_id = ? WHERE guid = ? AND inspectorate_org_id IS NULL",
                     (INSPECTORATES[house.region], house.guid))
    if conn.execute("SELECT 1 FROM meetings").fetchone():
        return
    h1 = DEMO_HOUSES["H1"]
    users = {row[0]: row[1] for row in conn.execute("SELECT login, id FROM users").fetchall()}
    petrova = next(u for u in DEMO_USERS if u.login == "petrova")
    _give_flat(conn, h1.guid, PETROVA_SECOND_FLAT, petrova.name, users["petrova"])
    today = local_date(now, house_zone(h1.timezone))
    owners = conn.execute(
        "SELECT o.id, o.user_id, o.share_num, o.share_den, f.area FROM owners o JOIN flats f ON f.id = o.flat_id"
        " WHERE f.house_guid = ? ORDER BY o.id", (h1.guid,)).fetchall()
    weights = {row[0]: Fraction(row[2], row[3]) * Fraction(row[4]) for row in owners}
    total = sum(weights.values(), Fraction(0))
    free = [row[0] for row in owners if row[1] is None]  # owner rows without an account on the portal
    start = today - timedelta(days=3)
    _meeting(conn, 1, h1.guid, "annual", users["petrova"], now - timedelta(days=30), today - timedelta(days=30),
             start, today + timedelta(days=11), users["inspector"], petrova.name, DEMO_PETROVA_FLAT,
             _VOTING_AGENDA)
    rand = rng("meetings/MT-000001")
    _votes(conn, "MT-000001", rand, free, weights, total * VOTING_TURNOUT, len(_VOTING_AGENDA),
           (50, 30, 20), _instants(now - timedelta(days=3), now))

    end = today - timedelta(days=40)
    start = end - timedelta(days=13)
    filed = start - timedelta(days=30)
    filed_at = datetime.combine(filed, datetime.min.time(), house_zone(h1.timezone)) + timedelta(hours=10)
    ivanov = next(u for u in DEMO_USERS if u.login == "ivanov")
    _meeting(conn, 2, h1.guid, "extraordinary", users["ivanov"], filed_at, filed, start, end, users["inspector"],
             ivanov.name, "12", _CLOSED_AGENDA)
    closed_from = datetime.combine(start, datetime.min.time(), house_zone(h1.timezone)) + timedelta(hours=9)
    _votes(conn, "MT-000002", rng("meetings/MT-000002"), free, weights, total * CLOSED_TURNOUT,
           len(_CLOSED_AGENDA), (70, 20, 10), _instants(closed_from, closed_from + timedelta(days=13)))


def _give_flat(conn: Connection, house_guid: str, number: str, name: str, user_id: int) -> None:
    """The flat's owner register becomes one row: the user owns all of it (its first row kept, the others gone);
    its accounts' payer is them."""
    flat_id = conn.execute("SELECT id FROM flats WHERE house_guid = ? AND number = ?",
                           (house_guid, number)).fetchone()[0]
    rows = [row[0] for row in conn.execute("SELECT id FROM owners WHERE flat_id = ? ORDER BY id",
                                           (flat_id,)).fetchall()]
    conn.execute("UPDATE owners SET name = ?, user_id = ?, share_num = 1, share_den = 1 WHERE id = ?",
                 (name, user_id, rows[0]))
    for extra in rows[1:]:
        conn.execute("DELETE FROM owners WHERE id = ?", (extra,))
    conn.execute("UPDATE accounts SET payer = ? WHERE flat_id = ?", (name, flat_id))


def _meeting(conn: Connection, seq: int, house_guid: str, kind: str, filer: int, filed_at: datetime, filed_on: date,
             start: date, end: date, inspector: int, initiator: str, flat: str,
             agenda: tuple[tuple[str, bool], ...]) -> None:
    meeting_id = f"MT-{seq:06d}"
    upload_id = "F-" + "%016x" % rng(f"meetings/{meeting_id}/notice").getrandbits(64)
    name = f"Сообщение о проведении ОСС {meeting_id}.pdf"
    data = notice_pdf(f"Notice of the owners' general meeting {meeting_id}")
    conn.execute("INSERT INTO uploads (id, user_id, name, media_type, size, data, created_at, used_by)"
                 " VALUES (?, ?, ?, 'application/pdf', ?, ?, ?, ?)",
                 (upload_id, filer, name, len(data), data, format_instant(filed_at), meeting_id))
    conn.execute(
        "INSERT INTO meetings (id, seq, house_guid, kind, form, status, filed_by, filed_at, filed_on, review_due,"
        " earliest_start, voting_start, voting_end, materials, administrator, initiators, notice_upload,"
        " reviewed_by, reviewed_at) VALUES (?, ?, ?, ?, 'electronic_vote', 'published', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
        " ?, ?, ?)",
        (meeting_id, seq, house_guid, kind, filer, format_instant(filed_at), filed_on.isoformat(),
         review_due(filed_on).isoformat(), earliest_start(filed_on).isoformat(), start.isoformat(), end.isoformat(),
         _MATERIALS, json.dumps(_ADMINISTRATOR, ensure_ascii=False),
         json.dumps([{"name": initiator, "flat": flat}], ensure_ascii=False), upload_id, inspector,
         format_instant(filed_at + timedelta(days=5))))
    conn.executemany("INSERT INTO meeting_questions (meeting_id, number, text, two_thirds) VALUES (?, ?, ?, ?)",
                     [(meeting_id, number, text, int(two_thirds))
                      for number, (text, two_thirds) in enumerate(agenda, start=1)])


def _instants(first: datetime, last: datetime) -> list[str]:
    """Instants to draw the votes' times from: every hour from `first` to `last`."""
    hours = max(1, int((last - first).total_seconds() // 3600))
    return [format_instant(first + timedelta(hours=h)) for h in range(hours)]


def _votes(conn: Connection, meeting_id: str, rand, owners: list[int], weights: dict[int, Fraction],
           target: Fraction, questions: int, odds: tuple[int, int, int], instants: list[str]) -> None:
    """Votes of owner rows drawn in turn until their area reaches `target`; each answers every question (for,
    against, abstain by `odds`), at a time drawn from `instants`."""
    order = list(owners)
    rand.shuffle(order)
    voted, rows = Fraction(0), []
    for owner in order:
        if voted >= target:
            break
        voted += weights[owner]
        at = rand.choice(instants)
        for number in range(1, questions + 1):
            choice = rand.choices(("for", "against", "abstain"), weights=odds)[0]
            rows.append((meeting_id, owner, number, choice, at))
    conn.executemany("INSERT INTO meeting_votes (meeting_id, owner_id, number, choice, voted_by, voted_at)"
                     " VALUES (?, ?, ?, ?, NULL, ?)", rows)
