"""The audit log: append-only rows, each holding the hash of the one before.

An append first bumps the single ``audit_head`` row. That update takes a row lock
(PostgreSQL) or the write lock (SQLite) for the rest of the transaction, so appends from
any number of processes form one chain in commit order. ``verify`` recomputes the chain
and names the first entry that was edited, deleted or moved.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from api.audit.interface import AuditEntry, AuditRecord, ChainReport, audit_record, check_head, entry_hash, verify_chain
from api.db.models import AuditHeadRow, AuditRow, utcnow


class SqlAuditLog:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def append(self, session: Session, entry: AuditEntry) -> int:
        return self.append_many(session, [entry])[0]

    def append_many(self, session: Session, entries: Sequence[AuditEntry]) -> list[int]:
        """Chain ``entries`` in order, in ``session``'s transaction; their sequence numbers.

        The head row is updated first, which locks it until the transaction ends, so
        concurrent writers chain one after the other and never fork the chain.
        """
        if not entries:
            return []
        session.execute(update(AuditHeadRow).where(AuditHeadRow.id == 1).values(seq=AuditHeadRow.seq + len(entries)))
        head = session.execute(select(AuditHeadRow).where(AuditHeadRow.id == 1)).scalar_one()
        session.refresh(head)
        first, previous, rows = head.seq - len(entries) + 1, head.hash, []
        for offset, entry in enumerate(entries):
            row = AuditRow(
                seq=first + offset,
                at=utcnow(),
                actor=entry.actor,
                agency=entry.agency,
                action=entry.action,
                object_type=entry.object_type,
                object_id=entry.object_id,
                before_hash=entry.before_hash,
                after_hash=entry.after_hash,
                detail=json.loads(json.dumps(dict(entry.detail), default=str)),
                prev_hash=previous,
                hash="",
            )
            row.hash = previous = entry_hash(row)
            rows.append(row)
        head.hash = previous
        session.add_all(rows)
        session.flush()
        return [row.seq for row in rows]

    def entries(
        self,
        *,
        agency: str | None = None,
        object_id: str | None = None,
        object_prefix: str | None = None,
        actor: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        after_seq: int = 0,
        limit: int = 100,
        before_seq: int | None = None,
        newest_first: bool = False,
    ) -> list[AuditRecord]:
        order = AuditRow.seq.desc() if newest_first else AuditRow.seq
        query = select(AuditRow).where(AuditRow.seq > after_seq).order_by(order).limit(limit)
        if before_seq is not None:
            query = query.where(AuditRow.seq < before_seq)
        if agency:
            query = query.where(AuditRow.agency == agency)
        if object_id:
            query = query.where(AuditRow.object_id == object_id)
        if object_prefix:
            query = query.where(AuditRow.object_id.startswith(object_prefix, autoescape=True))
        if actor:
            query = query.where(AuditRow.actor.contains(actor))
        if since:
            query = query.where(AuditRow.at >= since)
        if until:
            query = query.where(AuditRow.at < until)
        with self._sessions() as session:
            return [audit_record(row) for row in session.execute(query).scalars()]

    def verify(self) -> ChainReport:
        with self._sessions() as session:

            def stored() -> Iterator[AuditRow]:
                last_seq = 0
                while True:
                    query = select(AuditRow).where(AuditRow.seq > last_seq).order_by(AuditRow.seq).limit(1000)
                    batch = list(session.execute(query).scalars())
                    if not batch:
                        return
                    yield from batch
                    last_seq = batch[-1].seq

            report = verify_chain(stored())
            if not report.ok:
                return report
            head = session.execute(select(AuditHeadRow).where(AuditHeadRow.id == 1)).scalar_one()
            return check_head(report, head.seq, head.hash)
