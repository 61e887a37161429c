"""The demo world's appeals (schema version 9).

The portal's list of topics (TOPICS); each town's administration (world.AUTHORITIES) is added and set as its
houses' `administration_org_id`. Five appeals about H1 (ул. Ленина, д. 5), each of one of the topics or of its own:

* A-000001, ivanov to the managing organisation (содержание и ремонт), a photo attached: taken by uk-staff and
  answered with a PDF (the act of the inspection of the roof) — `answered`.
* A-000002, petrova to the managing organisation (благоустройство), withdrawn by her two days later — `withdrawn`.
* A-000003, ivanov to the electricity supplier (начисления), a text file attached: taken by energo-staff —
  `in_work`.
* A-000004, petrova to the housing inspectorate, a topic of her own, a PDF attached — `sent`.
* A-000005, ivanov to the town's administration (благоустройство) — `sent`.

Dates are H1's (Europe/Moscow), relative to `now`; due dates 30 days after registration. The files are small valid
PNG, TXT and PDF files made here; their upload ids are drawn from seeded generators (world.rng).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from gkh.domain.dates import format_instant, house_zone, local_date
from gkh.server.demo import Connection
from gkh.server.demo.meetings import notice_pdf
from gkh.server.demo.world import (
    AUTHORITIES,
    DEMO_HOUSES,
    ORG_ADMIN_EKB,
    ORG_ADMIN_MOSCOW,
    ORG_ENERGO,
    ORG_GZHI_MOSCOW,
    ORG_UK_MOSCOW,
    rng,
)

ADMINISTRATIONS = {"77": ORG_ADMIN_MOSCOW, "66": ORG_ADMIN_EKB}  # a house's region → its town's administration
ANSWER_DAYS = 30  # 59-ФЗ, ст. 12

# The portal's topics of appeals, as its form lists them ("Другая тема" is no code: an appeal gives its own title as
# other_topic instead).
TOPICS = (
    ("house_management", "Управление многоквартирным домом"),
    ("maintenance", "Содержание и ремонт общего имущества"),
    ("utilities", "Предоставление коммунальных услуг"),
    ("charges", "Начисления и оплата ЖКУ"),
    ("meters", "Приборы учёта"),
    ("capital_repair", "Капитальный ремонт"),
    ("yard", "Благоустройство придомовой территории"),
    ("waste", "Обращение с твёрдыми коммунальными отходами"),
    ("emergency_housing", "Аварийное и ветхое жильё"),
    ("owners_meetings", "Общие собрания собственников"),
    ("disclosure", "Раскрытие информации управляющей организацией"),
)


def png_image(width: int = 4, height: int = 3) -> bytes:
    """A small valid PNG (RGB, grey pixels)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    pixels = b"".join(b"\x00" + b"\x80\x80\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(pixels))
            + chunk(b"IEND", b""))


@dataclass(frozen=True)
class _File:
    name: str
    media_type: str
    data: bytes


@dataclass(frozen=True)
class _Appeal:
    author: str
    addressee: str
    topic: str | None
    other_topic: str | None
    text: str
    days_ago: int  # registered this many days before `now`
    attachments: tuple[_File, ...] = ()
    taken: tuple[str, int] | None = None  # (login, days after registration)
    answer: tuple[str, int, str, tuple[_File, ...]] | None = None  # (login, days after, text, files)
    withdrawn_after: int | None = None  # days after registration


_READINGS_TXT = ("Показания счётчика электроэнергии № ЭС-036322 на 25.10.2026:\n"
                 "T1 — 2790,1; T2 — 3580,4; T3 — 2530,2.\n"
                 "Переданы через портал 25.10.2026, в счёте за октябрь не учтены.\n").encode("utf-8")

APPEALS: tuple[_Appeal, ...] = (
    _Appeal("ivanov", ORG_UK_MOSCOW, "maintenance", None,
            "После дождей протекает кровля над 4-м подъездом: на лестничной клетке 11-го этажа мокрые стены и "
            "потолок, отваливается штукатурка. Прошу провести осмотр кровли и устранить протечку.",
            40, (_File("Фото протечки.png", "image/png", png_image()),),
            taken=("uk-staff", 1),
            answer=("uk-staff", 15, "Кровля над 4-м подъездом осмотрена 23.10.2026, протечка устранена: заменено "
                    "3 м² кровельного покрытия. Акт осмотра приложен.",
                    (_File("Акт осмотра кровли.pdf", "application/pdf",
                           notice_pdf("Act of the roof inspection, ul. Lenina 5, entrance 4")),))),
    _Appeal("petrova", ORG_UK_MOSCOW, "yard", None,
            "Прошу установить скамейки у подъездов 1 и 2.", 21, withdrawn_after=2),
    _Appeal("ivanov", ORG_ENERGO, "charges", None,
            "В счёте за октябрь электроэнергия начислена по нормативу, хотя показания переданы 25.10.2026 через "
            "портал. Прошу сделать перерасчёт по показаниям.", 9,
            (_File("Показания.txt", "text/plain", _READINGS_TXT),), taken=("energo-staff", 2)),
    _Appeal("petrova", ORG_GZHI_MOSCOW, None, "Бездействие управляющей организации",
            "Управляющая организация второй месяц не отвечает на заявки о неисправном лифте в 3-м подъезде. "
            "Прошу провести проверку.", 2,
            (_File("Заявка в УК.pdf", "application/pdf", notice_pdf("Request to the managing organisation")),)),
    _Appeal("ivanov", ORG_ADMIN_MOSCOW, "yard", None,
            "Прошу отремонтировать асфальт внутриквартального проезда у дома 5 по ул. Ленина.", 1),
)


def seed_v9(conn: Connection, now: datetime) -> None:
    """Add the topics, the administrations and the appeals to a demo portal (schema v9), in the caller's
    transaction; no appeals when some are there already (a portal whose version was set back)."""
    conn.executemany("INSERT INTO appeal_topics (code, title, position) VALUES (?, ?, ?) ON CONFLICT (code) DO NOTHING",
                     [(code, title, position) for position, (code, title) in enumerate(TOPICS, start=1)])
    conn.executemany(
        "INSERT INTO organisations (id, kind, name, short_name, inn, ogrn, kpp, phone, email, address)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
        [(o.id, o.kind, o.name, o.short_name, o.inn, o.ogrn, o.kpp, o.phone, o.email, o.address)
         for o in AUTHORITIES])
    for house in DEMO_HOUSES.values():
        conn.execute("UPDATE houses SET administration_org_id = ? WHERE guid = ? AND administration_org_id IS NULL",
                     (ADMINISTRATIONS[house.region], house.guid))
    if conn.execute("SELECT 1 FROM appeals").fetchone():
        return
    h1 = DEMO_HOUSES["H1"]
    zone = house_zone(h1.timezone)
    users = {row[0]: row[1] for row in conn.execute("SELECT login, id FROM users").fetchall()}
    files: list[tuple] = []
    for seq, appeal in enumerate(APPEALS, start=1):
        appeal_id = f"A-{seq:06d}"
        registered = now - timedelta(days=appeal.days_ago, hours=seq)
        taken_by = taken_at = answered_by = answered_at = answer_text = withdrawn_at = None
        status = "sent"
        if appeal.taken is not None:
            status, taken_by = "in_work", users[appeal.taken[0]]
            taken_at = format_instant(registered + timedelta(days=appeal.taken[1]))
        if appeal.answer is not None:
            login, after, answer_text, _answer_files = appeal.answer
            status, answered_by = "answered", users[login]
            answered_at = format_instant(registered + timedelta(days=after))
        if appeal.withdrawn_after is not None:
            status = "withdrawn"
            withdrawn_at = format_instant(registered + timedelta(days=appeal.withdrawn_after))
        conn.execute(
            "INSERT INTO appeals (id, seq, author_id, house_guid, topic_code, other_topic, addressee_org_id, text,"
            " status, registered_at, due_date, taken_by, taken_at, answered_by, answered_at, answer_text,"
            " withdrawn_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (appeal_id, seq, users[appeal.author], h1.guid, appeal.topic, appeal.other_topic, appeal.addressee,
             appeal.text, status, format_instant(registered),
             (local_date(registered, zone) + timedelta(days=ANSWER_DAYS)).isoformat(), taken_by, taken_at,
             answered_by, answered_at, answer_text, withdrawn_at))
        parts = [("attachment", users[appeal.author], registered, appeal.attachments)]
        if appeal.answer is not None:
            parts.append(("answer", users[appeal.answer[0]], registered + timedelta(days=appeal.answer[1]),
                          appeal.answer[3]))
        generator = rng(f"appeals/{appeal_id}/files")
        for part, owner, at, part_files in parts:
            for position, file in enumerate(part_files, start=1):
                upload_id = "F-%016x" % generator.getrandbits(64)
                conn.execute("INSERT INTO uploads (id, user_id, name, media_type, size, data, created_at, used_by)"
                             " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                             (upload_id, owner, file.name, file.media_type, len(file.data), file.data,
                              format_instant(at - timedelta(minutes=5)), appeal_id))
                files.append((appeal_id, upload_id, part, position))
    conn.executemany("INSERT INTO appeal_files (appeal_id, upload_id, part, position) VALUES (?, ?, ?, ?)", files)
