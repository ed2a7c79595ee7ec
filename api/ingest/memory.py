"""The ingest store in memory: a message's digest and its decisions under the one lock of the in-memory
stores, as ``api.ingest.store.SqlIngestStore`` writes them in one transaction."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from api.audit.memory import MemoryTransaction
from api.common import as_utc
from api.evaluations.interface import DecisionRecord
from api.evaluations.memory import MemoryDecisionStore
from api.ingest.interface import IngestedMessage
from api.sources.interface import FlightUpdate
from api.sources.memory import MemoryFlightSources


class MemoryIngestStore:
    """Implements ``IngestStore``; the decisions go to ``decisions``, inside the same change."""

    def __init__(
        self, transaction: MemoryTransaction, decisions: MemoryDecisionStore, flights: MemoryFlightSources
    ) -> None:
        self._transaction = transaction
        self._decisions = decisions
        self._flights = flights
        self._messages: dict[str, IngestedMessage] = {}

    def ingested(self, digest: str) -> IngestedMessage | None:
        with self._transaction():
            return self._messages.get(digest)

    def record_message(
        self, message: IngestedMessage, decisions: Sequence[DecisionRecord], flights: Sequence[FlightUpdate] = ()
    ) -> bool:
        at = as_utc(message.ingested_at)
        assert at is not None
        with self._transaction():
            if message.digest in self._messages:
                return False
            # Fails before any change when a flight moved or a decision cannot be stored; then the digest
            # is not kept either.
            self._flights.apply(flights, lambda: self._decisions.record_decisions(decisions))
            self._messages[message.digest] = dataclasses.replace(message, ingested_at=at)
            return True
