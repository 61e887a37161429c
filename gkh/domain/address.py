"""Address search: a normalised token key per house, and needles that a typed query must all hit.

Why not SQL LIKE: SQLite folds case for ASCII only, and people write the same address many ways
("ул. Ленина, д. 5", "ленина 5", "Ленина д5"). Both the stored address and the query go through
`address_tokens`, so whatever one side drops or rewrites, the other does too.

Token kinds in the key:
- words, lower case, ё → е ("москва", "ленина"); a query word matches as a word prefix ("ленин" finds "ленина");
- house numbers, with a letter glued on ("5", "5а") or a slash ("5/2"); matched exactly, so "ленина 5"
  finds neither "д. 5а" nor "д. 5/2" nor "д. 15";
- корпус and строение, tagged: "корп. 2", "кор.2", "к2", "к. 2", "к-2", "корпус 2" → "к2"; "стр. 1", "строение 1",
  "с1" → "с1"; matched exactly. "мира 12" (no корпус) matches every корпус of house 12.
Type words (г., ул., пр-т, пер., …) are dropped from both sides; the town is optional because a query
needs only some of the key's tokens. So are what people add that no house key holds: a flat or an office
("кв. 12", "квартира 12", "оф. 3") and a six-digit postal index ("123456").
Letters are folded as in identifiers (identifiers.fold_lookalikes): a Latin look-alike in a Cyrillic word
("Лeнина" with a Latin e) or a word of look-alikes alone ("CAXAPOBA") reads as Cyrillic; a Latin word with
letters of its own ("Lenina") stays as it is.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from gkh.domain.errors import InvalidInput
from gkh.domain.identifiers import fold_lookalikes, quoted
from gkh.i18n import _

__all__ = ["address_tokens", "search_key", "query_needles", "word_needles", "matches", "QUERY_MAX_CHARS"]

QUERY_MAX_CHARS = 200

# Settlement and street types, full and abbreviated; dropped wherever they stand.
_TYPE_WORDS = frozenset(
    """
    г гор город пос поселок п пгт с село д дер деревня х хутор ст станица рп
    обл область респ республика край район
    ул улица пр просп проспект пер переулок ш шоссе бул бульвар
    наб набережная пл площадь мкр мкрн микрорайон проезд туп тупик аллея ал квартал
    дом вл влд владение к кор корп корпус стр строен строение
    кв квартира оф офис пом помещение
    """.split()
)
# Markers that make the following number a house number, a корпус, or a строение.
_HOUSE_MARKERS = frozenset({"д", "дом", "вл", "влд", "владение"})
_KORPUS_MARKERS = frozenset({"к", "кор", "корп", "корпус"})
_STROENIE_MARKERS = frozenset({"с", "стр", "строен", "строение"})
# A flat or an office within the house: the marker and its number are dropped ("кв. 12", "оф. 3").
_FLAT_MARKERS = frozenset({"кв", "квартира", "оф", "офис", "пом", "помещение"})
# A Russian postal index: six digits, the first 1–6 (a house number never has six).
_POSTAL_INDEX_RE = re.compile(r"^[1-6][0-9]{5}\Z")

# Hyphenated abbreviations, removed before hyphens become separators ("пр-т" must not turn into "пр т").
_HYPHENATED_TYPES_RE = re.compile(r"(?<![0-9a-zа-я])(?:пр-кт|пр-т|пр-д|б-р|р-н|кв-л)(?![0-9a-zа-я])")
# Raw tokens: a slashed house number ("5/2", "12а/3") is one token; otherwise runs of letters and digits.
_RAW_TOKEN_RE = re.compile(r"[0-9]+[a-zа-я]?\s*/\s*[0-9]+[a-zа-я]?(?![0-9a-zа-я])|[0-9a-zа-я]+")
_LETTER_DIGIT_RE = re.compile(r"(?<=[a-zа-я])(?=[0-9])")
_NUMBER_RE = re.compile(r"^[0-9]+")
_TAGGED_RE = re.compile(r"^[кс][0-9]")
_WORD_RE = re.compile(r"[0-9a-zа-я]+")
_LATIN_RE = re.compile(r"[a-z]")
_CYRILLIC_RE = re.compile(r"[а-я]")


@dataclass
class _Raw:
    text: str
    joined: bool  # nothing but spaces or a hyphen before it ("5а", "5 а", "5-а"); False after a comma etc.
    dotted: bool  # followed by "." — an abbreviation ("г.", "к."), never a house letter


def _canon(text: str) -> str:
    text = unicodedata.normalize("NFC", text).lower().replace("ё", "е")
    # "д5", "к2", "стр1", "ленина5" → "д 5" …: a glued marker reads like a separate one.
    text = _LETTER_DIGIT_RE.sub(" ", text)
    # Look-alikes first, so that whatever reads a word reads it in Cyrillic ("пp-т" with a Latin p is "пр-т").
    text = _WORD_RE.sub(lambda word: _fold_word(word.group(0)), text)
    return _HYPHENATED_TYPES_RE.sub(" ", text)


def _raw_tokens(text: str) -> list[_Raw]:
    out: list[_Raw] = []
    prev_end = 0
    for m in _RAW_TOKEN_RE.finditer(text):
        joined = prev_end > 0 and text[prev_end : m.start()].strip(" \t-") == ""
        dotted = text[m.end() : m.end() + 1] == "."
        prev_end = m.end()
        word = m.group(0)
        if "/" in word:
            out.append(_Raw(re.sub(r"\s+", "", word), joined, dotted))
            continue
        # Digits then letters ("5а", "12к"): split, the letters joined to the number.
        number = _NUMBER_RE.match(word)
        if number and number.end() < len(word):
            out.append(_Raw(number.group(0), joined, False))
            # Glued, so a house letter even before a dot ("д. 5а.").
            out.append(_Raw(word[number.end() :], True, False))
        else:
            out.append(_Raw(word, joined, dotted))
    return out


def _fold_word(word: str) -> str:
    """Latin look-alikes as Cyrillic in a word that is Cyrillic ("лeнина", "5a", "12k", "caxapoba" once
    folded); a Latin word with letters of its own ("lenina") is left alone."""
    if not _LATIN_RE.search(word):
        return word
    folded = fold_lookalikes(word).lower()  # word is [0-9a-zа-я]: upper and lower case map one to one here
    return folded if _CYRILLIC_RE.search(word) or not _LATIN_RE.search(folded) else word


def _is_number(tok: _Raw | None) -> bool:
    return tok is not None and tok.text[0].isdigit()


def _strip_zeros(number: str) -> str:
    # "05" and "5" are the same house; the letter or slash part is kept as typed.
    m = _NUMBER_RE.match(number)
    assert m is not None
    # lstrip, not int(): int() raises ValueError on more than 4300 digits (a long house number in any address).
    return (m.group(0).lstrip("0") or "0") + number[m.end() :]


def _take_number(raw: list[_Raw], i: int) -> tuple[str, int]:
    """The number at raw[i], with a house letter merged in; returns (text, index after it)."""
    tok = raw[i]
    if "/" in tok.text:
        return "/".join(_strip_zeros(part) for part in tok.text.split("/")), i + 1
    number = _strip_zeros(tok.text)
    nxt = raw[i + 1] if i + 1 < len(raw) else None
    after = raw[i + 2] if i + 2 < len(raw) else None
    if (
        nxt is not None
        and len(nxt.text) == 1
        and not nxt.text.isdigit()
        and nxt.joined
        and not nxt.dotted
        # "12 к 2" / "12к2" / "5 с 1": the letter is a marker for the next number, not a house letter.
        and not (nxt.text in _KORPUS_MARKERS | _STROENIE_MARKERS | _HOUSE_MARKERS and _is_number(after))
    ):
        return number + nxt.text, i + 2
    return number, i + 1


def address_tokens(text: str) -> list[str]:
    """Normalised tokens of an address or a query (see the module docstring)."""
    if not isinstance(text, str):
        raise InvalidInput(_("address must be text; got {got}").format(got=quoted(text)), "q")
    raw = _raw_tokens(_canon(text))
    tokens: list[str] = []
    i = 0
    while i < len(raw):
        tok = raw[i]
        nxt = raw[i + 1] if i + 1 < len(raw) else None
        if _is_number(tok):
            number, i = _take_number(raw, i)
            if not _POSTAL_INDEX_RE.match(number):
                tokens.append(number)
            continue
        if tok.text in _FLAT_MARKERS:
            i = _take_number(raw, i + 1)[1] if _is_number(nxt) else i + 1
            continue
        if _is_number(nxt) and tok.text in _KORPUS_MARKERS | _STROENIE_MARKERS | _HOUSE_MARKERS:
            number, i = _take_number(raw, i + 1)
            if tok.text in _KORPUS_MARKERS:
                tokens.append("к" + number)
            elif tok.text in _STROENIE_MARKERS:
                tokens.append("с" + number)
            else:
                tokens.append(number)
            continue
        if tok.text not in _TYPE_WORDS:
            tokens.append(tok.text)
        i += 1
    return tokens


def search_key(address: str) -> str:
    """The key stored per house: tokens joined by single spaces, with a leading and trailing space."""
    return " " + " ".join(address_tokens(address)) + " "


def _is_exact(token: str) -> bool:
    return token[0].isdigit() or bool(_TAGGED_RE.match(token))


def query_needles(query: str) -> list[str]:
    """Substrings that must all occur in a house's key (SQL: instr(search_key, needle) > 0).

    Words match as a word prefix (" ленин"); numbers, house numbers and корпус/строение tags match
    exactly (" 5 ", " 5а ", " к2 ").
    """
    if not isinstance(query, str):
        raise InvalidInput(_("address query must be text; got {got}").format(got=quoted(query)), "q")
    if len(query) > QUERY_MAX_CHARS:
        raise InvalidInput(
            _("address query must be at most {max} characters; got {got}").format(max=QUERY_MAX_CHARS, got=len(query)),
            "q",
        )
    needles: list[str] = []
    for token in address_tokens(query):
        needle = f" {token} " if _is_exact(token) else f" {token}"
        if needle not in needles:
            needles.append(needle)
    if not needles:
        raise InvalidInput(
            _('address query must name a street or a house number, e.g. "ленина 5"; got {got}').format(
                got=quoted(query.strip())),
            "q",
        )
    return needles


def word_needles(needles: list[str]) -> list[str]:
    """The needles of words (a street, a town), without house numbers and корпус/строение tags: what the
    nearest houses are told by when a query finds none."""
    return [needle for needle in needles if not _is_exact(needle.strip())]


def matches(key: str, needles: list[str]) -> bool:
    """Pure-Python twin of the SQL filter: every needle occurs in the key."""
    return all(needle in key for needle in needles)
