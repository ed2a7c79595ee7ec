"""The ingest store: which airline messages ``targeting ingest`` has evaluated, by the digest of their body.

A message's digest is written in the same transaction as its decisions and hits
(``record_message``), and only if it is not there yet: so a message delivered twice (a worker
killed after its commit but before the broker saw the acknowledgement, or an airline sending
the same bytes again) has its travellers evaluated and recorded once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from api.evaluations.interface import DecisionRecord
from api.sources.interface import FlightUpdate

#: The kinds of message the worker reads.
KINDS = ("paxlst", "pnrgov")


def message_digest(body: bytes) -> str:
    """The identity of a message: SHA-256 of its body, as received (hex)."""
    return hashlib.sha256(body).hexdigest()


@dataclass(frozen=True)
class IngestedMessage:
    """A message evaluated: its digest, kind, the agency its decisions are for, how many travellers."""

    digest: str
    kind: str
    agency: str
    travellers: int
    ingested_at: dt.datetime


class IngestStore(Protocol):
    def ingested(self, digest: str) -> IngestedMessage | None:
        """The message with this digest, if its decisions are committed."""

    def record_message(
        self, message: IngestedMessage, decisions: Sequence[DecisionRecord], flights: Sequence[FlightUpdate] = ()
    ) -> bool:
        """Commit ``message`` with its decisions, their hits and what it changed of its flights' held API
        and PNR (``api.sources``) in one transaction; False (and nothing written) when a message with its
        digest is already recorded; ``FlightChanged`` (and nothing written) when a flight moved meanwhile."""
