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


class MemoryIngestStore:
    """Implements ``IngestStore``; the decisions go to ``decisions``, inside the same change."""

    def __init__(self, transaction: MemoryTransaction, decisions: MemoryDecisionStore) -> None:
        self._transaction = transaction
        self._decisions = decisions
        self._messages: dict[str, IngestedMessage] = {}

    def ingested(self, digest: str) -> IngestedMessage | None:
        with self._transaction():
            return self._messages.get(digest)

    def record_message(self, message: IngestedMessage, decisions: Sequence[DecisionRecord]) -> bool:
        at = as_utc(message.ingested_at)
        assert at is not None
        with self._transaction():
            if message.digest in self._messages:
                return False
            # Fails before any change when a decision cannot be stored; then the digest is not kept either.
            self._decisions.record_decisions(decisions)
            self._messages[message.digest] = dataclasses.replace(message, ingested_at=at)
            return True
