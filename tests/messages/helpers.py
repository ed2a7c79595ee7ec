"""What the message readers' tests share: problems as comparable tuples, the check that every
record is valid, the fuzzing of messages by mutation, and the keyed hash contacts are kept as."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from hypothesis import strategies as st

from engine import check_record
from messages.problems import MessageError, Reported


class Manifest(Protocol):
    """A reader's result, as the checks here see it."""

    @property
    def manifest(self) -> list[dict[str, Any]]: ...


def codes(result: Reported[Any] | MessageError[Any]) -> list[tuple[str, int, str]]:
    """Severity, segment number and code of each problem."""
    return [(p.severity, p.segment_number, p.code) for p in result.problems]


def assert_valid(result: Manifest, required: Iterable[str] = ()) -> None:
    """Every record is one check_record accepts (with ``required`` fields), and passenger ids are unique."""
    for record in result.manifest:
        check_record(record, required)
    ids = [record["passenger_id"] for record in result.manifest]
    assert len(ids) == len(set(ids))


def assert_read_or_refused(
    read: Callable[[str], Manifest], refused: type[MessageError[Any]], text: str, required: Iterable[str] = ()
) -> None:
    """Any input gives a valid result or the reader's error carrying its problems; nothing else."""
    try:
        result = read(text)
    except refused as exc:
        assert exc.problems
    else:
        assert_valid(result, required)


def mutated(text: str, data: st.DataObject, alphabet: str) -> str:
    """``text`` cut, with runs deleted, inserted (from ``alphabet``), replaced or duplicated: one to six times."""
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(0, len(text)))
        kind = data.draw(st.sampled_from(["cut", "delete", "insert", "replace", "duplicate"]))
        if kind == "cut":
            text = text[:at]
        elif kind == "delete":
            text = text[:at] + text[at + data.draw(st.integers(1, 30)) :]
        elif kind == "insert":
            text = text[:at] + data.draw(st.text(alphabet, max_size=12)) + text[at:]
        elif kind == "replace":
            text = text[:at] + data.draw(st.sampled_from(alphabet)) + text[at + 1 :]
        else:
            length = data.draw(st.integers(1, 80))
            text = text[:at] + text[at : at + length] + text[at:]
    return text


def keyed_hash(key: bytes, kind: str, value: str) -> str:
    """The hash kept of a contact or card: HMAC-SHA256 of ``kind:value``, written out here as the oracle."""
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
