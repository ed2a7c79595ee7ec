"""Filtering, sorting and cursor paging of the worklist.

A cursor is the sort key of the last row a page showed, with the sort and a digest of the
filters it was given for: the next page is the rows after that key, so a row is shown once
however the day's list changes between pages. Keys end with the decision id, so no two rows
tie. The token is opaque to clients (base64 of JSON); one that does not decode to a key of
this sort and these filters is refused as a 422 on ``cursor``, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from api.common import Unprocessable
from api.worklist.rows import (
    DOCUMENT_NUMBER,
    FAMILY_NAME,
    GIVEN_NAMES,
    NATIONALITY,
    Candidate,
    fold,
    fold_document,
    found_by_search,
)

SORTS = ("risk", "arrival", "name")
STATUSES = ("open", "closed", "all")
#: The query parameters that choose the rows (a cursor is good for these only).
FILTERS = ("date", "flight", "status", "band", "rule", "nationality", "q")

Key = tuple[float | str, ...]
#: The types of each sort's key, to check a cursor's against.
_KEY_TYPES: dict[str, tuple[type, ...]] = {
    "risk": (float, str, str),
    "arrival": (str, float, str),
    "name": (float, str, str, str),
}


def needed_fields(query: Mapping[str, Any]) -> tuple[str, ...]:
    """The record fields the query sorts or filters on: only these are read of every passenger of the day."""
    wanted = []
    if query.get("sort") == "name" or query.get("q"):
        wanted += [FAMILY_NAME, GIVEN_NAMES]
    if query.get("q"):
        wanted.append(DOCUMENT_NUMBER)
    if query.get("nationality"):
        wanted.append(NATIONALITY)
    return tuple(wanted)


def sort_key(candidate: Candidate, sort: str) -> Key:
    passenger = candidate.arrival
    arrival = passenger.arrival_at.isoformat()  # all UTC: as text they sort as instants
    if sort == "risk":
        return (-float(passenger.score), arrival, passenger.decision_id)
    if sort == "arrival":
        return (arrival, -float(passenger.score), passenger.decision_id)
    fields = candidate.fields
    if fields is None:  # withheld: last, and not by a name the caller may not see
        return (1.0, "", "", passenger.decision_id)
    return (0.0, fold(fields.get(FAMILY_NAME) or ""), fold(fields.get(GIVEN_NAMES) or ""), passenger.decision_id)


def selected(candidate: Candidate, query: Mapping[str, Any]) -> bool:
    """Whether the candidate passes every filter given (``date`` chose the candidates)."""
    status = query.get("status", "open")
    if status == "open" and not candidate.open:
        return False
    if status == "closed" and candidate.open:
        return False
    if query.get("flight") and candidate.arrival.flight != query["flight"]:
        return False
    if query.get("band") and candidate.risk.band != query["band"]:
        return False
    if query.get("rule") and not any(state.rule_id == query["rule"] for state in candidate.states):
        return False
    nationality, text = query.get("nationality"), query.get("q")
    if not (nationality or text):
        return True
    fields = candidate.fields
    if fields is None:  # matched by no identity filter: a match would show what is withheld
        return False
    if nationality and (fields.get(NATIONALITY) or "").upper() != nationality:
        return False
    return not text or found_by_search(fields, fold(text), fold_document(text))


@dataclass(frozen=True)
class Page:
    rows: list[Candidate]
    total: int
    next_cursor: str | None


def page(found: Sequence[Candidate], query: Mapping[str, Any], anchor: Candidate | None = None) -> Page:
    """The page of ``found`` (all of them selected) after the query's cursor, or after ``anchor`` (a
    passenger who need not be selected any more: the next one after them), and the cursor of the next.
    Without a ``limit``, every row after that."""
    sort, limit = query.get("sort", "risk"), query.get("limit")
    keyed = sorted(((sort_key(c, sort), c) for c in found), key=lambda pair: pair[0])
    digest = _digest(query)
    after = _decoded(query["cursor"], sort, digest) if query.get("cursor") else None
    if anchor is not None:
        after = sort_key(anchor, sort)
    if after is not None:
        keyed = [pair for pair in keyed if pair[0] > after]
    shown = keyed[:limit]
    more = limit is not None and len(keyed) > limit
    return Page([c for _, c in shown], len(found), _encoded(shown[-1][0], sort, digest) if more else None)


def _digest(query: Mapping[str, Any]) -> str:
    # A digest, not the filters: the token carries no search text.
    chosen = {name: str(query[name]) for name in FILTERS if query.get(name) is not None}
    return hashlib.sha256(json.dumps(chosen, sort_keys=True).encode()).hexdigest()[:16]


def _encoded(key: Key, sort: str, digest: str) -> str:
    text = json.dumps({"s": sort, "f": digest, "k": list(key)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decoded(token: str, sort: str, digest: str) -> Key:
    try:
        found = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode())
    except (binascii.Error, UnicodeDecodeError, ValueError, RecursionError):
        raise _refused("not a cursor this endpoint gave") from None
    if not isinstance(found, dict) or not isinstance(found.get("k"), list):
        raise _refused("not a cursor this endpoint gave")
    if found.get("s") != sort or found.get("f") != digest:
        raise _refused("this cursor is for another sort or other filters: send those again, or no cursor")
    key = found["k"]
    wanted = _KEY_TYPES[sort]
    if len(key) != len(wanted) or any(type(value) is not kind for value, kind in zip(key, wanted, strict=True)):
        raise _refused("not a cursor this endpoint gave")
    return tuple(key)


def _refused(message: str) -> Unprocessable:
    return Unprocessable("the cursor is not valid", "invalid_cursor", {"cursor": [message]})
