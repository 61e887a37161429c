"""The payer's surname as proof of knowing the bill: linking an account needs it beside the number.

People type a surname as it comes: any case, ё or е, a Latin look-alike from the wrong keyboard
layout, stray spaces. Those differences are forgiven; any other one is a mismatch.
"""

from __future__ import annotations

import re

from gkh.domain.errors import InvalidInput
from gkh.i18n import _

MAX_PAYER_LENGTH = 200

# Lower-case Latin letters that look like Cyrillic ones (the ЕЛС rule's A B E K M H O P C T X Y).
_LOOK_ALIKES = str.maketrans("abekmhopctxy", "авекмнорстху")
_SEPARATORS = re.compile(r"[\s\-‐‑–—]+")


def surname_key(text: str) -> str:
    """A surname folded for comparison: lower case, ё as е, Latin look-alikes as Cyrillic, one hyphen."""
    folded = text.casefold().replace("ё", "е").translate(_LOOK_ALIKES)
    return _SEPARATORS.sub("-", folded.strip(" -"))


def parse_payer(text: str | None, field: str = "payer") -> str:
    """The surname a person gave: 1–200 characters with a letter in it, no control characters."""
    if text is None or not text.strip():
        raise InvalidInput(_("give the payer's surname as printed on the bill"), field)
    if len(text) > MAX_PAYER_LENGTH:
        raise InvalidInput(_("the payer's surname is over {max} characters").format(max=MAX_PAYER_LENGTH), field)
    # isprintable() is False for control characters and lone surrogates alike.
    if not text.isprintable() or not any(c.isalpha() for c in text):
        raise InvalidInput(_("the payer's surname must be letters, as printed on the bill"), field)
    return " ".join(text.split())


def payer_matches(payer: str, given: str) -> bool:
    """Whether `given` is the surname (the first word) of the payer's full name, or the full name itself."""
    names = payer.split()
    if not names:
        return False
    return surname_key(given) in (surname_key(names[0]), surname_key(" ".join(names)))
