"""Russian for people, English for programs: the one place that picks the language and translates.

Messages for people — errors, hints, notes, prompts, table headers, the words of the portal's vocabularies
(resources, statuses, roles) and dates — are written in English in the code, marked for translation, and
shown in Russian when the language is Russian; machine output (json, csv, tsv, the API's fields and codes)
is English and ISO in every language.

- The command line's language: ``GKH_LANG`` (``ru`` or ``en``), else the first of ``LC_ALL``, ``LC_MESSAGES``
  and ``LANG`` that is set (POSIX's order): ``ru_RU.UTF-8`` means Russian, anything else English.
- The portal's: each request's ``Accept-Language`` (the client sends its own), English without one; the
  answer says ``Content-Language``. Only the ``message`` of an error changes; its ``code`` never does.

The language is a context variable, so each request of a threaded server has its own. The catalogue is the
standard library's gettext reading ``locale/ru/LC_MESSAGES/gkh.mo``, compiled from ``gkh.po`` beside it by
``python tools/i18n.py update`` (which also collects the marked messages from the code).

Marking: ``_("…")`` translates now; a message with values is ``_("{meter}: …").format(meter=…)`` (named
placeholders, never an f-string, so the catalogue holds one text per message); ``ngettext`` for counted
words; ``N_("…")`` only marks a text translated where it is shown; ``T_("cold_water")`` marks a word of a
vocabulary (context ``term``), shown through ``term()``. A column's header (``Column(name, header)``) is
marked by being one.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Mapping
from contextvars import ContextVar, Token
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

__all__ = ["LANGUAGES", "ENGLISH", "RUSSIAN", "language_from_environment", "language_from_header", "current",
           "use", "reset", "_", "ngettext", "pgettext", "N_", "T_", "term", "human_date", "human_time",
           "is_yes", "is_no", "yes_no_hint"]

ENGLISH = "en"
RUSSIAN = "ru"
LANGUAGES = (ENGLISH, RUSSIAN)
DOMAIN = "gkh"
LOCALE_DIR = Path(__file__).parent / "locale"
TERM = "term"  # the gettext context of the vocabularies' words

_language: ContextVar[str] = ContextVar("gkh_language", default=ENGLISH)


def language_from_environment(environ: Mapping[str, str] | None = None) -> str:
    """The command line's language: GKH_LANG, else the first set of LC_ALL, LC_MESSAGES, LANG."""
    environ = os.environ if environ is None else environ
    for name in ("GKH_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        if value := environ.get(name, "").strip():
            return _known(value) or ENGLISH
    return ENGLISH


def language_from_header(header: str | None) -> str:
    """The language an ``Accept-Language`` header prefers among ours (``ru-RU,ru;q=0.9,en;q=0.8`` → ru);
    English when it names none of them."""
    best, best_q = ENGLISH, 0.0
    for part in (header or "").split(",")[:20]:
        tag, _sep, params = part.partition(";")
        language = _known(tag)
        if language is None:
            continue
        q = 1.0
        for param in params.split(";"):
            key, _eq, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > best_q:
            best, best_q = language, q
    return best


def _known(tag: str) -> str | None:
    """Ours of a locale or language tag: ``ru_RU.UTF-8``, ``ru-RU``, ``RU`` → ru; ``C.UTF-8``, ``de`` → None."""
    primary = tag.strip().replace("-", "_").split("_")[0].split(".")[0].lower()
    return primary if primary in LANGUAGES else None


def current() -> str:
    return _language.get()


def use(language: str) -> Token:
    """Speak `language` from now on in this context; ``reset(token)`` goes back."""
    return _language.set(language if language in LANGUAGES else ENGLISH)


def reset(token: Token) -> None:
    _language.reset(token)


@lru_cache(maxsize=None)
def _catalogue(language: str) -> gettext.NullTranslations:
    if language == ENGLISH:  # the code's own text
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[language], fallback=True)


def _(message: str) -> str:
    """`message` in the current language."""
    return _catalogue(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form for `n` (Russian has three) in the current language."""
    return _catalogue(current()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    return _catalogue(current()).pgettext(context, message)


def N_(message: str) -> str:
    """Marks `message` for the catalogue; it is translated where it is shown."""
    return message


def T_(word: str) -> str:
    """Marks a word of a vocabulary (a resource, a status) for the catalogue, context ``term``."""
    return word


def term(word: str) -> str:
    """A vocabulary's word for people: ``cold_water`` → ``холодная вода`` in Russian; itself in English or
    when the catalogue does not know it (a new status from a newer portal)."""
    return pgettext(TERM, word)


# The words of the portal's vocabularies that tables show (a column of kind "term"), each marked for the
# catalogue: resources, units, roles, organisations' kinds, a link's outcome, where a setting or token is from,
# and the booleans. A word missing here is shown as it is (tests check the portal's own lists are all here).
VOCABULARY = (
    T_("cold_water"), T_("hot_water"), T_("electricity"), T_("gas"), T_("heat"),
    T_("maintenance"), T_("sewerage"), T_("heating"),
    T_("m3"), T_("kWh"), T_("Gcal"), T_("m2"),
    T_("resident"), T_("staff"), T_("inspector"), T_("admin"),
    T_("managing"), T_("supplier"), T_("inspectorate"), T_("authority"),
    T_("linked"), T_("unchanged"), T_("accepted"), T_("replaced"),
    T_("unpaid"), T_("partly_paid"), T_("paid"),
    T_("bill"), T_("top_up"), T_("wallet"), T_("card"), T_("quote"), T_("pending"), T_("succeeded"), T_("declined"),
    T_("cancelled"), T_("declined_by_bank"), T_("expired"), T_("smtp"), T_("outbox"),
    T_("stored"), T_("env"), T_("file"), T_("default"),
    T_("under_review"), T_("published"), T_("voting"), T_("closed"), T_("rejected"),
    T_("annual"), T_("extraordinary"), T_("electronic_vote"), T_("person"), T_("organisation"),
    T_("for"), T_("against"), T_("abstain"), T_("all"), T_("voted"),
    T_("sent"), T_("in_work"), T_("answered"), T_("withdrawn"),
    T_("upcoming"), T_("active"), T_("over"),
    T_("true"), T_("false"),
)


def human_date(value: date | datetime) -> str:
    """A date for people: ISO 8601 in English, ДД.ММ.ГГГГ in Russian."""
    if isinstance(value, datetime):
        value = value.date()
    return value.strftime("%d.%m.%Y") if current() == RUSSIAN else value.isoformat()


def human_time(value: datetime | str) -> str:
    """A moment for people: ISO 8601 in English (as the portal sends it), ``27.11.2026 10:05 +03:00`` in
    Russian (to the minute, in its own offset). Text that is not an ISO moment is returned as it is."""
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
    else:
        moment = value
    if current() != RUSSIAN:
        return value if isinstance(value, str) else value.isoformat()
    offset = moment.strftime("%z")
    zone = f" {offset[:3]}:{offset[3:]}" if offset else ""
    return f"{human_date(moment)} {moment.strftime('%H:%M')}{zone}"


# The answers a confirmation takes in either language, whatever the language shown.
_YES = frozenset({"y", "yes", "д", "да"})
_NO = frozenset({"n", "no", "н", "нет"})


def is_yes(answer: str) -> bool:
    return answer.strip().lower() in _YES


def is_no(answer: str) -> bool:
    return answer.strip().lower() in _NO


def yes_no_hint() -> str:
    """What a confirmation prompt ends with: no is the default."""
    return _("[y/N]")
