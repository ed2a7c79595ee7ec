"""E-mail addresses, telephone and card numbers: found in PNRGOV text, normalised, and kept only as keyed hashes.

A hash is HMAC-SHA256 under the caller's key of ``kind:value``, hex: ``kind`` is ``email``,
``phone`` or ``card``, so that equal text of two kinds never hashes alike. Values are
normalised first so that one address or number written two ways links: an e-mail address in
lower case (with the airline encoding decoded: ``//`` is ``@``, ``..`` is ``_``, ``./`` is
``-``), a telephone number as its digits (a leading ``+`` read as ``00``), a card number in
upper case without spaces or dashes (masked digits, ``XXXXXXXX1186``, are hashed as sent, so
a masked number links only to the same masked number).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable

from engine.values import unsafe_character

#: ``hasher(kind, normalised value)``: the keyed hash, or None when the caller gave no key.
Hasher = Callable[[str, str], str | None]

_CONTACT = re.compile(r"(?:^|[^A-Z])CTC ?([A-Z])(?![A-Z])[ :]*(.*)")
_PHONE = re.compile(r"\+?[0-9][0-9 ./()\-]*[0-9]")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
MIN_PHONE_DIGITS = 6
MAX_PHONE_DIGITS = 20
#: CTC codes of the traveller's own contacts: E-mail, Mobile, Home, Business, Phone (unspecified).
EMAIL_CODES = frozenset({"E"})
PHONE_CODES = frozenset({"M", "H", "B", "P"})


def keyed_hasher(key: bytes | None) -> Hasher:
    """The hasher for ``key``; without a key nothing is hashed (and so nothing kept)."""
    if key is None:
        return lambda kind, value: None
    if not isinstance(key, bytes | bytearray) or not key:
        raise ValueError("the contact hash key must be non-empty bytes")
    secret = bytes(key)

    def hasher(kind: str, value: str) -> str | None:
        # A lone surrogate cannot be UTF-8; it still hashes as itself rather than failing.
        return hmac.new(secret, f"{kind}:{value}".encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()

    return hasher


def contact_code(text: str) -> tuple[str, str] | None:
    """``(code, rest)`` of free text naming a contact, ``CTCE ...``, ``YY CTC M ...``; None if it names none."""
    found = _CONTACT.search(text.upper())
    return (found.group(1), found.group(2).strip()) if found else None


def email(text: str) -> str | None:
    """The e-mail address in contact text, normalised; None when there is none that reads as one."""
    for token in text.split():
        if "//" in token or "@" in token:
            address = token.replace("//", "@").replace("..", "_").replace("./", "-")
            address = re.split(r"/|-[0-9]", address)[0]  # a language code or a passenger association follows
            address = address.strip(".,;").lower()
            return address if _EMAIL.fullmatch(address) and unsafe_character(address) is None else None
    return None


def phones(text: str) -> list[str]:
    """The telephone numbers in contact text (``H5555555555 W 1 555 555 5555``), each as digits."""
    found = []
    for run in _PHONE.findall(text):
        digits = re.sub(r"[^0-9]", "", run)
        if run.startswith("+"):
            digits = "00" + digits
        if MIN_PHONE_DIGITS <= len(digits) <= MAX_PHONE_DIGITS:
            found.append(digits)
    return found


def card(number: str) -> str | None:
    """A card number as hashed: upper case, without spaces or dashes; None if it is not one."""
    cleaned = re.sub(r"[\s\-]", "", number).upper()
    return cleaned if re.fullmatch(r"[0-9X*]{8,25}", cleaned) and re.search(r"[0-9]", cleaned) else None
