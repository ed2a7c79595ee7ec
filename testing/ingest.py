"""Airline messages for the ingest worker's tests, and the test broker.

Every passenger id is the message's own (``<reference>-<n>`` for PAXLST, ``<locator>-<n>`` for
PNRGOV), so a test can count decisions per passenger across a thousand messages.
"""

from __future__ import annotations

import os

from testing.synthetic import synthetic_paxlst

AMQP_URL = os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")


def paxlst_message(reference: str, passengers: int) -> bytes:
    """A PAXLST message whose passengers are ``<reference>-1`` .. ``<reference>-<passengers>``
    (``reference``: up to 14 letters and digits), each a person of its own (their names hold the
    reference); a quarter of them are New Zealanders."""
    assert reference.isalnum() and len(reference) <= 14, reference
    text = synthetic_paxlst(passengers).replace("BIG1", reference)
    return text.replace("+++PASSENGER", f"+++{reference}PASSENGER").encode()


def pnrgov_message(locator: str, travellers: int) -> bytes:
    """A PNRGOV push of one PNR (``locator``, six letters and digits) for NZ5 LAX-AKL, whose travellers
    are ``<locator>-1`` .. ``<locator>-<travellers>``, American passport holders of their own."""
    segments = [
        "UNA:+.?*'",
        "UNB+IATA:1+NZ++261201:2100+IC1'",
        f"UNH+1+PNRGOV:11:1:IA+{locator}'",
        "MSG+:22'",
        "ORG+NZ:AKL+52519950'",
        "TVL+011226:0915+LAX+AKL+NZ+5'",
        "EQN+1'",
        "SRC'",
        f"RCI+NZ:{locator}'",
    ]
    for n in range(1, travellers + 1):
        segments += [
            f"TIF+{locator}TRAVELLER{n}+GIVEN{n}:A:{n}'",
            f"SSR+DOCS:HK::NZ:::::/P/USA/X{n:07d}/USA/12JUL84/M/23AUG30/{locator}TRAVELLER{n}/GIVEN{n}'",
        ]
    segments.append("TVL+011226:0915::1230+LAX+AKL+NZ+5:B'")
    in_message = len(segments) - 2 + 1  # UNH onwards (not UNA and UNB), and UNT
    segments += [f"UNT+{in_message}+1'", "UNZ+1+IC1'"]
    return "\n".join(segments).encode()


#: Bodies no reader takes: not EDIFACT, an envelope with no message, a PAXLST cut off in its header.
UNREADABLE = (
    b"hello, this is not an airline message",
    b"UNB+IATA:1+DL++101209:2100+1'UNZ+0+1'",
    b"UNA:+.? 'UNB+UNOA:4+NZAIR:ZZ+NZCS:ZZ+261201:2200+IC9'UNH+X1+PAXLST:D:05B:UN:IATA'",
)


def unreadable_message(number: int) -> bytes:
    """The ``number``-th unreadable body, each different (so each is its own message)."""
    return UNREADABLE[number % len(UNREADABLE)] + f"\n{number}".encode()
