"""The JSON shapes the portal answers with, shared by every service that shows the same thing."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from gkh import __version__
from gkh.domain import readings as rules
from gkh.domain.dates import house_zone, local_date, parse_instant
from gkh.domain.meetings import status_on
from gkh.domain.money import format_kopecks
from gkh.domain.settings import SETTINGS
from gkh.server.access import User
from gkh.server.db import Row


def portal_view(settings: dict[str, str]) -> dict:
    return {"id": settings.get("portal_id"), "name": settings.get("name") or SETTINGS["portal.name"].default,
            "demo": settings.get("demo") == "1",
            "version": __version__}


def organisation_view(row: Row | None) -> dict | None:
    if row is None:
        return None
    return {"id": row["id"], "kind": row["kind"], "name": row["name"], "short_name": row["short_name"],
            "inn": row["inn"], "ogrn": row["ogrn"], "phone": row["phone"]}


def user_view(user: User, organisation: Row | None) -> dict:
    return {"login": user.login, "name": user.name, "email": user.email, "role": user.role,
            "organisation": organisation_view(organisation), "must_change_password": user.must_change_password}


def house_summary(row: Row) -> dict:
    return {"guid": row["guid"], "address": row["address"], "town": row["town"], "oktmo": row["oktmo"],
            "timezone": row["timezone"]}


def house_passport_view(house: Row, organisation: Row | None, flats: int,
                        common_meters: list[Row]) -> dict:
    return {
        **house_summary(house),
        "readings_window": {"from_day": house["window_from"], "to_day": house["window_to"]},
        "year_built": house["year_built"],
        "floors": house["floors"],
        "entrances": house["entrances"],
        "flats": flats,
        "total_area": house["total_area"],
        "living_area": house["living_area"],
        "condition": house["condition"],
        "energy_class": house["energy_class"],
        "managing_organisation": organisation_view(organisation),
        "common_meters": [dict(m) for m in common_meters],
    }


def account_view(row: Row) -> dict:
    return {
        "els": row["els"],
        "izhku": row["izhku"],
        "number": row["number"],
        "organisation": {"id": row["org_id"], "kind": row["org_kind"], "name": row["org_name"],
                         "short_name": row["org_short_name"], "inn": row["org_inn"]},
        "house": {"guid": row["house_guid"], "address": row["house_address"]},
        "flat": row["flat"],
        "payer": row["payer"],
        "area": row["area"],
        "opened_on": row["opened_on"],
        "linked_at": row["linked_at"],
    }


def meter_spec(row: Row) -> rules.MeterSpec:
    return rules.MeterSpec(tuple(row["zones"].split(",")), row["whole_digits"], row["fraction_digits"])


def submission_window(row: Row) -> rules.SubmissionWindow:
    """The house's window from its columns (houses.window_*, with m005's next month and last days)."""
    return rules.SubmissionWindow(row["window_from"], row["window_to"],
                                  to_next_month=bool(row["window_to_next_month"]),
                                  from_last_day=bool(row["window_from_last_day"]),
                                  to_last_day=bool(row["window_to_last_day"]))


def house_today(row: Row, now: datetime) -> date:
    """The date at `now` in the zone of the row's house."""
    return local_date(now, house_zone(row["timezone"]))


def window_view(window: rules.SubmissionWindow, today: date) -> dict:
    """The window open `today` (in the house's zone), else the next one: its dates, the period its readings
    belong to (the month it opened in), and the rule it follows (the official PeriodMetering's terms)."""
    current = window.current(today)
    first, last = current or window.bounds(window.next_opening(today))
    return {"from": first.isoformat(), "to": last.isoformat(), "open": current is not None,
            "period": window.period_of(first), "from_day": window.from_day, "from_last_day": window.from_last_day,
            "to_day": window.to_day, "to_last_day": window.to_last_day, "to_next_month": window.to_next_month}


def meter_view(row: Row, now: datetime) -> dict:
    today = house_today(row, now)
    return {
        "id": row["id"],
        "serial": row["serial"],
        "resource": row["resource"],
        "unit": row["unit"],
        "zones": row["zones"].split(","),
        "account": row["els"],
        "house": {"guid": row["house_guid"], "address": row["house_address"]},
        # The latest reading, its values as stored (JSON text): built here, not with an engine's JSON functions.
        "last_reading": {"date": row["last_taken_on"], "values": json.loads(row["last_values"])}
        if row["last_values"] is not None else None,
        "verification_due": row["verification_due"],
        # Past its verification date a meter counts as out of order (ПП № 354, п. 81(12)): no readings.
        "overdue": rules.is_overdue(date.fromisoformat(row["verification_due"]), today),
        "window": window_view(submission_window(row), today),
    }


def reading_view(meter_id: str, period: str, taken_on: str, values: dict, used: dict | None, status: str,
                 warnings: list[str], submitted_by: str | None) -> dict[str, Any]:
    def text(zones: dict | None) -> dict | None:
        return None if zones is None else rules.canonical_values(zones)

    return {"meter": meter_id, "period": period, "date": taken_on, "values": text(values),
            "consumption": text(used), "status": status, "warnings": warnings,
            # Who stored it: a linked relative or the organisation's staff may submit too (None: imported).
            "submitted_by": submitted_by}


def bill_status(total_kopecks: int, paid_kopecks: int) -> str:
    """paid (nothing due: paid ≥ total, a bill of 0.00 too), unpaid (nothing paid), or partly_paid."""
    if paid_kopecks >= total_kopecks:
        return "paid"
    return "unpaid" if paid_kopecks == 0 else "partly_paid"


def bill_view(row: Row, lines: list[Row], now: datetime) -> dict:
    """A bill (ЕПД): its payee with the bank details to pay to, its sums as text with two decimals, whether it is
    overdue (something due and its due date passed in the house's zone), and its lines."""
    total, paid = row["total_kopecks"], row["paid_kopecks"]
    due = max(total - paid, 0)
    bank = {"name": row["bank_name"], "bik": row["bik"], "account": row["bank_account"],
            "correspondent_account": row["correspondent_account"]} if row["bik"] is not None else None
    return {
        "id": row["id"],
        "account": row["els"],
        "period": row["period"],
        "payee": {"id": row["org_id"], "kind": row["org_kind"], "name": row["org_name"],
                  "short_name": row["org_short_name"], "inn": row["org_inn"], "kpp": row["org_kpp"], "bank": bank},
        "issued_on": row["issued_on"],
        "due_date": row["due_date"],
        "total": format_kopecks(total),
        "paid": format_kopecks(paid),
        "due": format_kopecks(due),
        "status": bill_status(total, paid),
        "overdue": due > 0 and house_today(row, now) > date.fromisoformat(row["due_date"]),
        "lines": [{"service": line["service"], "zone": line["zone"], "volume": line["volume"], "unit": line["unit"],
                   "tariff": format_kopecks(line["tariff_kopecks"]), "amount": format_kopecks(line["amount_kopecks"])}
                  for line in lines],
    }


def payment_status(row: Row, now: datetime) -> tuple[str, str | None]:
    """A payment's status and decline reason as of `now`: a card payment still pending past its `expires_at`
    reads as declined ('expired'), whether or not that has been stored yet."""
    if row["status"] == "pending" and row["expires_at"] is not None \
            and parse_instant(row["expires_at"], "expires_at") <= now:
        return "declined", "expired"
    return row["status"], row["decline_reason"]


def payment_view(row: Row, bills: list[Row], now: datetime, base_url: str, warnings: list[str]) -> dict:
    """A payment (or, with status "quote", what one would be): the bills its amount goes to (ИПД, period, part) oldest
    first, its payee, its sums as text, its receipt. `base_url` is the scheme and host the caller reached the portal
    at: a pending payment's confirmation_url points at its acquirer page there while it can still be confirmed."""
    status, reason = payment_status(row, now)
    completed_at = row["completed_at"]
    if reason == "expired" and completed_at is None:
        completed_at = row["expires_at"]
    amount, commission = row["amount_kopecks"], row["commission_kopecks"]
    receipt = {"number": row["receipt_number"], "emailed_to": row["receipt_emailed_to"],
               "sent_at": row["receipt_sent_at"], "delivery": row["receipt_delivery"]} \
        if row["receipt_number"] is not None else None
    return {
        "id": row["id"],
        "kind": row["kind"],
        "account": row["els"],
        "bills": [{"id": b["bill_id"], "period": b["period"], "amount": format_kopecks(b["amount_kopecks"])}
                  for b in bills],
        "advance": format_kopecks(row["advance_kopecks"]),
        "payee": {"id": row["payee_org_id"], "name": row["payee_name"], "inn": row["payee_inn"]}
        if row["payee_org_id"] is not None else None,
        "amount": format_kopecks(amount),
        "commission": format_kopecks(commission),
        "total": format_kopecks(amount + commission),
        "method": row["method"],
        "status": status,
        "decline_reason": reason,
        "created_at": row["created_at"],
        "completed_at": completed_at,
        "expires_at": row["expires_at"],
        "confirmation_url": f"{base_url}/acquirer/{row['confirm_token']}"
        if status == "pending" and row["confirm_token"] else None,
        "email": row["email"],
        "receipt": receipt,
        "warnings": warnings,
    }


def meeting_status(row: Any, now: datetime) -> str:
    """A meeting's status as read at `now` in its house's zone: the stored decision walked by the calendar."""
    return status_on(row["status"], date.fromisoformat(row["voting_start"]), date.fromisoformat(row["voting_end"]),
                     house_today(row, now))


def meeting_view(row: Any, agenda: list[Any], now: datetime) -> dict:
    """An owners' meeting (or, with id None, what one would be): `row` holds the meeting's columns with its house's
    `address` and `timezone`, the filer's name `filer_name` and the notice's `notice_name` and `notice_size`;
    `agenda` its questions (number, text, two_thirds) in order. Its status is read at `now` (meeting_status)."""
    return {
        "id": row["id"],
        "house": {"guid": row["house_guid"], "address": row["address"]},
        "kind": row["kind"],
        "form": row["form"],
        "status": meeting_status(row, now),
        "filed_by": row["filer_name"],
        "filed_at": row["filed_at"],
        "review_due": row["review_due"],
        "earliest_start": row["earliest_start"],
        "voting_start": row["voting_start"],
        "voting_end": row["voting_end"],
        "materials": row["materials"],
        "administrator": json.loads(row["administrator"]),
        "initiators": json.loads(row["initiators"]),
        "agenda": [{"number": q["number"], "text": q["text"], "two_thirds": bool(q["two_thirds"])} for q in agenda],
        "notice": {"name": row["notice_name"], "size": row["notice_size"]},
        "rejection_reason": row["rejection_reason"],
    }


def appeal_file_view(row: Any) -> dict:
    return {"id": row["id"], "name": row["name"], "size": row["size"], "type": row["media_type"]}


def appeal_view(row: Any, files: list[Any]) -> dict:
    """An appeal (or, with id None, what one would be): `row` holds the appeal's columns with its house's `address`,
    its topic's `topic_title`, its addressee's `addressee_name` and `addressee_inn` and its author's `author_name`;
    `files` its files (part, id, name, size, media_type) in order. A topic of its own reads as code `other`."""
    topic = {"code": row["topic_code"], "title": row["topic_title"]} if row["topic_code"] is not None \
        else {"code": "other", "title": row["other_topic"]}
    answer = {"text": row["answer_text"], "answered_at": row["answered_at"],
              "attachments": [appeal_file_view(f) for f in files if f["part"] == "answer"]} \
        if row["status"] == "answered" else None
    return {
        "id": row["id"],
        "house": {"guid": row["house_guid"], "address": row["address"]},
        "topic": topic,
        "addressee": {"id": row["addressee_org_id"], "name": row["addressee_name"], "inn": row["addressee_inn"]},
        "status": row["status"],
        "registered_at": row["registered_at"],
        "due_date": row["due_date"],
        "text": row["text"],
        "attachments": [appeal_file_view(f) for f in files if f["part"] == "attachment"],
        "answer": answer,
        "author": row["author_name"],
        "taken_at": row["taken_at"],
        "withdrawn_at": row["withdrawn_at"],
    }


def outage_status(row: Any, now: datetime) -> str:
    """A notice's status at `now`: cancelled, else upcoming (before its start), active (until its end), over."""
    if row["cancelled_at"] is not None:
        return "cancelled"
    if now < parse_instant(row["starts_at"], "starts_at"):
        return "upcoming"
    if now < parse_instant(row["ends_at"], "ends_at"):
        return "active"
    return "over"


def outage_view(row: Any, now: datetime) -> dict:
    """A notice of an outage: `row` holds its columns with its house's `address` and its poster's `poster_name`
    (the organisation's short name)."""
    return {"id": row["id"], "house": {"guid": row["house_guid"], "address": row["address"]},
            "resource": row["resource"], "topic": row["topic"], "text": row["text"], "start": row["starts_at"],
            "end": row["ends_at"], "important": bool(row["important"]), "status": outage_status(row, now),
            "posted_by": row["poster_name"], "updated_at": row["updated_at"], "version": row["version"]}
