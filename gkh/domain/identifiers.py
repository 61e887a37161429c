"""Official identifiers (ЕЛС, ИЖКУ, ИПД, FIAS GUID, ИНН, ОГРН): parse, normalise, check.

Every `normalize_*` returns the one canonical spelling (what is stored and compared) or raises
InvalidInput with a one-line message and the caller's field name.
"""

from __future__ import annotations

import re
import unicodedata

from gkh.domain.errors import InvalidInput
from gkh.i18n import N_, _

__all__ = [
    "quoted",
    "fold_lookalikes",
    "serial_key",
    "meter_reference",
    "normalize_els",
    "normalize_izhku",
    "normalize_ipd",
    "normalize_account_number",
    "normalize_fias_guid",
    "is_fias_guid",
    "payer_id_kind",
    "PAYER_ID_KINDS",
    "one_payer_id",
    "els_of",
    "inn_is_valid",
    "ogrn_is_valid",
    "normalize_inn",
    "normalize_ogrn",
    "complete_inn10",
    "complete_inn12",
    "complete_ogrn13",
    "complete_ogrnip15",
]

_SHOWN_MAX = 40


def quoted(value: object) -> str:
    """Show a user's input inside a one-line message: quoted, invisible characters escaped, truncated."""
    try:
        text = value if isinstance(value, str) else repr(value)
    except ValueError:  # an int of over 4300 digits has no repr(): say what it is instead of crashing
        text = f"<a {type(value).__name__} too long to show>"
    cut = len(text) > _SHOWN_MAX
    if cut:
        text = text[:_SHOWN_MAX]
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        # Cs too: a lone surrogate cannot be encoded, so the message would crash stderr or a UTF-8 JSON body.
        elif unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs") or ch == "\x85":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + ('…"' if cut else '"')


def _require_str(text: object, field: str, label: str) -> str:
    """`label` names the input for people: an abbreviation (ЕЛС) as it is, English words marked with N_()."""
    if not isinstance(text, str):
        raise InvalidInput(_("{label} must be text; got {got}").format(label=_(label), got=quoted(text)), field)
    return text


# --- look-alike letters: one fold for whatever people type of an id, a serial number or an address ---------

# Latin capitals that look like Cyrillic ones: people type them on an English keyboard layout.
_LATIN_TWINS = "ABEKMHOPCTXY"
_CYRILLIC_TWINS = "АВЕКМНОРСТХУ"
# Copy-pasted ids often carry typographic dashes instead of a hyphen-minus.
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2212"
_CYRILLIC_LOWER = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"


def _fold_table() -> dict[int, str]:
    twin = dict(zip(_LATIN_TWINS, _CYRILLIC_TWINS, strict=True))
    table = {ord(c): twin.get(c.upper(), c.upper()) for c in "abcdefghijklmnopqrstuvwxyz" + _CYRILLIC_LOWER}
    table.update({ord(latin): cyrillic for latin, cyrillic in twin.items()})
    table.update({ord(dash): "-" for dash in _DASHES})
    return table


_FOLD = _fold_table()


def fold_lookalikes(text: str) -> str:
    """Case and look-alike letters folded: upper case, a Latin letter that looks like a Cyrillic one as its
    Cyrillic twin ("M" and "m" → "М", "x" → "Х"), a typographic dash as "-".

    Only ASCII and Cyrillic letters and those dashes change, each into one character, and nothing it gives
    changes again: a key folded once can be stored and compared byte for byte in SQL on either engine.
    """
    return text.translate(_FOLD)


def portal_number(text: str, prefix: str) -> int | None:
    """The number in a portal object's id as people type it (`mt-1`, `MT-000001`, a Cyrillic `МТ-1`) when it has
    this prefix (`MT`), else None: what each noun's id parser turns into its one spelling (`MT-000001`)."""
    head = fold_lookalikes(prefix) + "-"
    folded = fold_lookalikes(text.strip())
    number = folded[len(head):] if folded.startswith(head) else ""
    return int(number) if number.isascii() and number.isdigit() and 1 <= len(number) <= 9 else None


# --- meters: a portal id or a serial number, as people type them ------------------------------------------

# The portal's meter ids are M-000123 (Latin M; prefixed, so never a serial number); folded, the M is Cyrillic.
_METER_ID_FOLDED_RE = re.compile(r"^М-([0-9]+)\Z")


def serial_key(serial: str) -> str:
    """A meter's serial number as it is stored for lookups and as a typed one is looked up: stripped and folded
    (case, Latin/Cyrillic twins, dashes), so "хв-21-115444" and "XB-21-115444" find ХВ-21-115444."""
    return fold_lookalikes(serial.strip())


def meter_reference(text: str, field: str = "meter") -> tuple[str, str]:
    """What a typed meter names: ("id", "M-000123") for a portal id in either case or script ("m-000123",
    Cyrillic "М-000123"), else ("serial", its serial_key)."""
    raw = _require_str(text, field, N_("meter"))
    key = serial_key(raw)
    meter_id = _METER_ID_FOLDED_RE.match(key)
    if meter_id:
        return "id", "M-" + meter_id.group(1)
    return "serial", key


# --- ЕЛС and the ids built on it ----------------------------------------------------------------

# [0-9], not \d: \d also matches Arabic-Indic and other Unicode digits.
_ELS = r"[0-9]{2}[А-ЯЁ]{2}[0-9]{6}"
_ELS_RE = re.compile(rf"^{_ELS}$")
_IZHKU_RE = re.compile(rf"^({_ELS})-([0-9]{{2}})$")
_IPD_HYPHENS_RE = re.compile(rf"^({_ELS})-([0-9]{{2}})-([0-9]{{4}})$")
_IPD_PLAIN_RE = re.compile(rf"^({_ELS})([0-9]{{2}})([0-9]{{4}})$")



def _canon_letters(text: str) -> str:
    return fold_lookalikes(text.strip())


def normalize_els(text: str, field: str = "els") -> str:
    """ЕЛС → canonical `75ДА533315` (upper case, Latin look-alikes read as Cyrillic)."""
    raw = _require_str(text, field, "ЕЛС")
    canon = _canon_letters(raw)
    if not _ELS_RE.match(canon):
        raise InvalidInput(
            _("ЕЛС must be 10 characters: 2 digits, 2 Cyrillic letters, 6 digits (e.g. 75ДА533315); got {got}").format(
                got=quoted(raw.strip())),
            field,
        )
    return canon


def normalize_izhku(text: str, field: str = "izhku") -> str:
    """ИЖКУ (service id) → canonical `75ДА533315-01`."""
    raw = _require_str(text, field, "ИЖКУ")
    canon = _canon_letters(raw)
    if not _IZHKU_RE.match(canon):
        raise InvalidInput(
            _("ИЖКУ must be 13 characters: an ЕЛС, a hyphen and 2 digits (e.g. 75ДА533315-01); got {got}").format(
                got=quoted(raw.strip())),
            field,
        )
    return canon


def normalize_ipd(text: str, field: str = "ipd") -> str:
    """ИПД (payment document id) → canonical `75ДА533315-01-2611`; the 16-character form is re-hyphenated."""
    raw = _require_str(text, field, "ИПД")
    canon = _canon_letters(raw)
    m = _IPD_HYPHENS_RE.match(canon) or _IPD_PLAIN_RE.match(canon)
    if not m:
        raise InvalidInput(
            _("ИПД must be 18 characters: an ЕЛС, a hyphen, 2 digits, a hyphen, 4 digits (e.g. 75ДА533315-01-2611),"
              " or the same 16 without hyphens; got {got}").format(got=quoted(raw.strip())),
            field,
        )
    return "-".join(m.groups())


def payer_id_kind(text: str) -> str | None:
    """Which payer id a string is after normalisation: "els", "izhku", or None."""
    if not isinstance(text, str):
        return None
    canon = _canon_letters(text)
    if _ELS_RE.match(canon):
        return "els"
    if _IZHKU_RE.match(canon):
        return "izhku"
    return None


# --- account number (номер ЛС): free-form, assigned by the organisation --------------------------

_ACCOUNT_MAX = 30
# Invisible characters would make two numbers that look the same differ (and break one-line output).
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})


def normalize_account_number(text: str, field: str = "number") -> str:
    """Номер ЛС: stripped, NFC, 1–30 characters, at least one letter or digit, nothing invisible."""
    raw = _require_str(text, field, N_("account number"))
    # NFC so that "й" typed as и + combining breve equals the precomposed letter.
    canon = unicodedata.normalize("NFC", raw.strip())
    if not canon:
        raise InvalidInput(_("account number must be 1–30 characters; got an empty value"), field)
    if len(canon) > _ACCOUNT_MAX:
        raise InvalidInput(
            _("account number must be at most {max} characters; got {length}: {got}").format(
                max=_ACCOUNT_MAX, length=len(canon), got=quoted(canon)),
            field,
        )
    # isprintable() is false for every forbidden category: the per-character look only when it may find one.
    if not canon.isprintable() and any(unicodedata.category(ch) in _FORBIDDEN_CATEGORIES for ch in canon):
        raise InvalidInput(
            _("account number must not contain control or invisible characters; got {got}").format(got=quoted(canon)),
            field,
        )
    if not any(ch.isalnum() for ch in canon):
        raise InvalidInput(
            _("account number must contain at least one letter or digit; got {got}").format(got=quoted(canon)),
            field,
        )
    return canon


# --- which of an account's ids the caller gave -------------------------------------------------------

PAYER_ID_KINDS = ("number", "els", "izhku")  # how a payer names their account: номер ЛС, ЕЛС, ИЖКУ


def one_payer_id(
    *, number: object = None, els: object = None, izhku: object = None, field_prefix: str = ""
) -> tuple[str, str]:
    """Exactly one of number, ЕЛС or ИЖКУ (None means not given) → (kind, canonical value).

    Fields are named `field_prefix + kind`: "number" in a request body, "--number" on the command line.
    """
    given = [(kind, value) for kind, value in zip(PAYER_ID_KINDS, (number, els, izhku), strict=True)
             if value is not None]
    names = [field_prefix + kind for kind in PAYER_ID_KINDS]
    if len(given) != 1:
        raise InvalidInput(_("give exactly one of {first}, {second} or {third}").format(
            first=names[0], second=names[1], third=names[2]), names[0])
    kind, value = given[0]
    field = field_prefix + kind
    if not isinstance(value, str):
        raise InvalidInput(_("{field} must be a string").format(field=field), field)
    normalize = {"number": normalize_account_number, "els": normalize_els, "izhku": normalize_izhku}[kind]
    return kind, normalize(value, field=field)


def els_of(account: str, field: str = "account") -> str:
    """The ЕЛС an account id names: an ЕЛС itself, or an ИЖКУ's ЕЛС part (75ДА533315-01 → 75ДА533315)."""
    if payer_id_kind(account) == "izhku":
        return normalize_izhku(account, field=field).split("-")[0]
    return normalize_els(account, field=field)


# --- FIAS / GAR house GUID ------------------------------------------------------------------------

_GUID_HYPHENS_RE = re.compile(r"^([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})$")
_GUID_PLAIN_RE = re.compile(r"^([0-9a-f]{8})([0-9a-f]{4})([0-9a-f]{4})([0-9a-f]{4})([0-9a-f]{12})$")


def _guid_or_none(text: object) -> str | None:
    # A strict pattern rather than uuid.UUID, which also takes braces and "urn:uuid:" prefixes.
    if not isinstance(text, str):
        return None
    low = text.strip().lower()
    m = _GUID_HYPHENS_RE.match(low) or _GUID_PLAIN_RE.match(low)
    return "-".join(m.groups()) if m else None


def normalize_fias_guid(text: str, field: str = "house") -> str:
    """FIAS GUID → lower-case 8-4-4-4-12; also takes upper case and the 32-hex form."""
    guid = _guid_or_none(text)
    if guid is None:
        raise InvalidInput(
            _("FIAS GUID must be a UUID of 32 hex digits, e.g. 5ee84ac0-eb9a-4b86-9e25-a6a3c7e0e0c7;"
              " got {got}").format(got=quoted(text.strip() if isinstance(text, str) else text)),
            field,
        )
    return guid


def is_fias_guid(text: str) -> bool:
    return _guid_or_none(text) is not None


# --- ИНН and ОГРН check digits --------------------------------------------------------------------

_INN10_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_WEIGHTS_11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_WEIGHTS_12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
# \Z, not $: $ also matches before a final newline, so "12345678\n" passed as 9 leading digits.
_DIGITS_RE = re.compile(r"^[0-9]+\Z")


def _check(digits: str, weights: tuple[int, ...]) -> str:
    return str(sum(int(d) * w for d, w in zip(digits, weights)) % 11 % 10)


def _inn_expected(inn: str) -> str:
    """The correct full ИНН for the given 10 or 12 digits (check digits recomputed)."""
    if len(inn) == 10:
        return inn[:9] + _check(inn[:9], _INN10_WEIGHTS)
    first = inn[:10] + _check(inn[:10], _INN12_WEIGHTS_11)
    return first + _check(first, _INN12_WEIGHTS_12)


def _ogrn_expected(ogrn: str) -> str:
    if len(ogrn) == 13:
        return ogrn[:12] + str(int(ogrn[:12]) % 11 % 10)
    return ogrn[:14] + str(int(ogrn[:14]) % 13 % 10)


def inn_is_valid(inn: str) -> bool:
    """ИНН: 10 digits (organisation) or 12 (person) with correct check digit(s); all zeros is not an ИНН."""
    if not isinstance(inn, str) or not _DIGITS_RE.match(inn) or len(inn) not in (10, 12):
        return False
    return inn == _inn_expected(inn) and inn.strip("0") != ""


def ogrn_is_valid(ogrn: str) -> bool:
    """ОГРН (13 digits) or ОГРНИП (15) with a correct check digit; all zeros is not an ОГРН."""
    if not isinstance(ogrn, str) or not _DIGITS_RE.match(ogrn) or len(ogrn) not in (13, 15):
        return False
    return ogrn == _ogrn_expected(ogrn) and ogrn.strip("0") != ""


def _wrong_check_message(label: str, value: str, expected: str) -> str:
    # Name the failing check digit(s), but don't offer a "fixed" number: the typo is usually elsewhere.
    # The check digits are the last one or two (positions 10 to 15), so always "th".
    wrong = [i + 1 for i, (a, b) in enumerate(zip(value, expected)) if a != b]
    if len(wrong) == 1:
        return _("{label} {value} has a wrong check digit (the {position}th): it fails the checksum,"
                 " so a digit is probably mistyped").format(label=label, value=value, position=wrong[0])
    return _("{label} {value} has wrong check digits (the {first}th and {second}th): it fails the checksum,"
             " so a digit is probably mistyped").format(label=label, value=value, first=wrong[0], second=wrong[-1])


def normalize_inn(text: str, field: str = "inn") -> str:
    """ИНН → its 10 or 12 digits, after checking the check digit(s)."""
    raw = _require_str(text, field, "ИНН")
    inn = raw.strip()
    if not _DIGITS_RE.match(inn) or len(inn) not in (10, 12):
        raise InvalidInput(
            _("ИНН must be 10 digits (organisation) or 12 digits (person); got {got}").format(got=quoted(inn)), field
        )
    if inn.strip("0") == "":
        raise InvalidInput(_("ИНН must not be all zeros"), field)
    expected = _inn_expected(inn)
    if inn != expected:
        raise InvalidInput(_wrong_check_message("ИНН", inn, expected), field)
    return inn


def normalize_ogrn(text: str, field: str = "ogrn") -> str:
    """ОГРН (13 digits) or ОГРНИП (15) → its digits, after checking the check digit."""
    raw = _require_str(text, field, "ОГРН")
    ogrn = raw.strip()
    if not _DIGITS_RE.match(ogrn) or len(ogrn) not in (13, 15):
        raise InvalidInput(
            _("ОГРН must be 13 digits (ОГРНИП: 15 digits); got {got}").format(got=quoted(ogrn)), field
        )
    if ogrn.strip("0") == "":
        raise InvalidInput(_("ОГРН must not be all zeros"), field)
    expected = _ogrn_expected(ogrn)
    if ogrn != expected:
        raise InvalidInput(_wrong_check_message("ОГРН", ogrn, expected), field)
    return ogrn


# Generators for the deterministic demo world: give the leading digits, get a valid number.


def _leading(digits: str, n: int, label: str, field: str) -> str:
    if not isinstance(digits, str) or not _DIGITS_RE.match(digits) or len(digits) != n:
        raise InvalidInput(_("{label} needs exactly {n} leading digits; got {got}").format(
            label=label, n=n, got=quoted(digits)), field)
    return digits


def complete_inn10(first9: str) -> str:
    return _inn_expected(_leading(first9, 9, "ИНН", "inn") + "0")


def complete_inn12(first10: str) -> str:
    return _inn_expected(_leading(first10, 10, "ИНН", "inn") + "00")


def complete_ogrn13(first12: str) -> str:
    return _ogrn_expected(_leading(first12, 12, "ОГРН", "ogrn") + "0")


def complete_ogrnip15(first14: str) -> str:
    return _ogrn_expected(_leading(first14, 14, "ОГРНИП", "ogrn") + "0")


# --- bank details: БИК and the key digit of a bank account (Bank of Russia, 1997 algorithm) ----------------

_BIK_RE = re.compile(r"^04[0-9]{7}\Z")
_BANK_ACCOUNT_RE = re.compile(r"^[0-9]{20}\Z")
_BANK_KEY_WEIGHTS = ((7, 1, 3) * 8)[:23]  # 23 digits: 3 of the БИК, then the 20 of the account
_BANK_KEY_INDEX = 8  # the account's 9th digit is its key


def bik_is_valid(bik: str) -> bool:
    """A БИК of a Russian bank: 9 digits starting 04."""
    return isinstance(bik, str) and bool(_BIK_RE.match(bik))


def _bank_key_prefix(bik: str, correspondent: bool) -> str:
    # A settlement account is checked with the БИК's last 3 digits; a correspondent account (at the Bank of
    # Russia's settlement centre) with "0" and the БИК's 5th and 6th digits.
    return "0" + bik[4:6] if correspondent else bik[-3:]


def _bank_key_sum(digits: str) -> int:
    return sum(int(d) * w % 10 for d, w in zip(digits, _BANK_KEY_WEIGHTS, strict=True))


def bank_account_is_valid(bik: str, account: str, *, correspondent: bool = False) -> bool:
    """A 20-digit account whose key digit (the 9th) agrees with the БИК of its bank."""
    if not bik_is_valid(bik) or not isinstance(account, str) or not _BANK_ACCOUNT_RE.match(account):
        return False
    return _bank_key_sum(_bank_key_prefix(bik, correspondent) + account) % 10 == 0


def complete_bank_account(bik: str, account: str, *, correspondent: bool = False) -> str:
    """The account with its key digit (the 9th, whatever it holds) set for the БИК: for generated demo data."""
    if not bik_is_valid(bik) or not isinstance(account, str) or not _BANK_ACCOUNT_RE.match(account):
        raise ValueError(f"a БИК (9 digits, 04…) and 20 digits are needed, got {bik!r} and {account!r}")
    blank = account[:_BANK_KEY_INDEX] + "0" + account[_BANK_KEY_INDEX + 1:]
    key = _bank_key_sum(_bank_key_prefix(bik, correspondent) + blank) % 10 * 3 % 10
    return blank[:_BANK_KEY_INDEX] + str(key) + blank[_BANK_KEY_INDEX + 1:]
