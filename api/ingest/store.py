"""The ingest store on SQL: a message's digest and its decisions in one transaction."""

from __future__ import annotations

from collections.abc import Sequence

from api.common import as_utc
from api.db.models import IngestedMessageRow
from api.db.sessions import SqlService
from api.evaluations.interface import DecisionRecord
from api.evaluations.store import add_decisions
from api.hits.store import upsert
from api.ingest.interface import IngestedMessage
from api.sources.interface import FlightUpdate
from api.sources.store import apply_updates


class SqlIngestStore(SqlService):
    """Implements ``IngestStore``."""

    def ingested(self, digest: str) -> IngestedMessage | None:
        with self.reading() as session:
            row = session.get(IngestedMessageRow, digest)
            if row is None:
                return None
            at = as_utc(row.ingested_at)
            assert at is not None
            return IngestedMessage(row.digest, row.kind, row.agency, row.travellers, at)

    def record_message(
        self, message: IngestedMessage, decisions: Sequence[DecisionRecord], flights: Sequence[FlightUpdate] = ()
    ) -> bool:
        row = {
            "digest": message.digest,
            "kind": message.kind,
            "agency": message.agency,
            "travellers": message.travellers,
            "ingested_at": message.ingested_at,
        }
        with self.transaction() as session:
            # The digest first: a second worker holding the same message waits here on the first one's
            # uncommitted row (PostgreSQL) or the database lock (SQLite), then finds it and writes nothing.
            inserted = session.execute(
                upsert(session)(IngestedMessageRow)
                .values(**row)
                .on_conflict_do_nothing(index_elements=["digest"])
                .returning(IngestedMessageRow.digest)
            ).scalar_one_or_none()
            if inserted is None:
                return False
            apply_updates(session, flights)
            add_decisions(session, decisions)
            return True
