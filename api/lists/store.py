"""Reference lists on SQL: every version kept, changed through draft → submitted → approved (by
someone other than its author) → active, each step audited in its own transaction. Activating a
version makes a new ruleset, compiled with every active rule, so a list no rule can live with is
refused and nothing changes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from api.audit.interface import AuditEntry, canonical_hash
from api.audit.log import SqlAuditLog
from api.common import Actor, Conflict, NotFound
from api.db.models import ReferenceListRow, ReferenceListVersionRow, as_utc, utcnow
from api.db.sessions import SqlService
from api.lifecycle import check_transition, lifecycle_of, step
from api.lists.interface import ListChange, ListVersion, ReferenceList, list_change, validate_list
from api.rules.activation import new_ruleset, serialise_ruleset_changes


def list_version(row: ReferenceListVersionRow) -> ListVersion:
    return ListVersion(row.list_name, row.number, dict(row.content), row.content_hash, lifecycle_of(row))


def list_of(row: ReferenceListRow) -> ReferenceList:
    created = as_utc(row.created_at)
    assert created is not None
    return ReferenceList(row.name, row.agency, created, row.created_by, tuple(list_version(v) for v in row.versions))


class SqlListStore(SqlService):
    """Implements ``ListStore``."""

    def __init__(self, sessions: sessionmaker[Session], audit: SqlAuditLog) -> None:
        super().__init__(sessions)
        self._audit = audit

    def lists(self) -> list[ReferenceList]:
        query = select(ReferenceListRow).order_by(ReferenceListRow.name)
        with self.reading() as session:
            return [list_of(row) for row in session.execute(query).scalars()]

    def list(self, name: str) -> ReferenceList:
        with self.reading() as session:
            return list_of(self._row(session, name))

    def list_agency(self, name: str) -> str:
        with self.reading() as session:
            return self._row(session, name).agency

    def version(self, name: str, number: int) -> ListVersion:
        with self.reading() as session:
            return list_version(self._version_row(session, name, number))

    def create(self, agency: str, content: Mapping[str, Any], reason: str, actor: Actor) -> ListVersion:
        validate_list(agency, content)
        name = str(content["name"])
        try:
            with self.transaction() as session:
                if session.get(ReferenceListRow, name) is not None:
                    raise Conflict(f"list {name} already exists; add a version instead", "list_exists")
                session.add(ReferenceListRow(name=name, agency=agency, created_by=actor.name))
                session.flush()
                row = self._new_version(session, name, 1, content, reason, actor, "list.create", None)
                return list_version(row)
        except IntegrityError:
            raise Conflict(f"list {name} already exists; add a version instead", "list_exists") from None

    def add_version(self, name: str, content: Mapping[str, Any], reason: str, actor: Actor) -> ListVersion:
        with self.transaction() as session:
            listed = self._row(session, name)
            validate_list(listed.agency, content, name)
            number = max((v.number for v in listed.versions), default=0) + 1
            previous = listed.versions[-1].content_hash if listed.versions else None
            row = self._new_version(session, name, number, content, reason, actor, "list.version", previous)
            return list_version(row)

    def transition(self, name: str, number: int, action: str, actor: Actor, reason: str = "") -> ListVersion:
        with self.transaction() as session:
            if action == "activate":
                serialise_ruleset_changes(session)
            row = self._version_row(session, name, number)
            check_transition(row, action, actor, f"version {number} of list {name}")
            entry = step("list", name, row.list.agency, row, row.list.versions, action, actor, reason, utcnow())
            session.flush()
            self._audit.append(session, entry)
            if action == "activate":
                new_ruleset(session, self._audit, actor, f"activate list {entry.object_id}")
            return list_version(row)

    def diff(self, name: str, old: int, new: int) -> ListChange:
        with self.reading() as session:
            before, after = (self._version_row(session, name, n).content for n in (old, new))
        return list_change(name, old, new, before, after)

    def _new_version(
        self,
        session: Session,
        name: str,
        number: int,
        content: Mapping[str, Any],
        reason: str,
        actor: Actor,
        action: str,
        previous: str | None,
    ) -> ReferenceListVersionRow:
        row = ReferenceListVersionRow(
            list_name=name,
            number=number,
            content=dict(content),
            content_hash=canonical_hash(content),
            reason=reason,
            status="draft",
            author=actor.name,
        )
        session.add(row)
        session.flush()
        agency = str(content.get("agency"))
        where = f"{name}@{number}"
        entry = AuditEntry(
            actor.label, agency, action, "list_version", where, previous, row.content_hash, {"reason": reason}
        )
        self._audit.append(session, entry)
        return row

    @staticmethod
    def _row(session: Session, name: str) -> ReferenceListRow:
        row = session.get(ReferenceListRow, name)
        if row is None:
            raise NotFound(f"no list {name}", "list_not_found")
        return row

    def _version_row(self, session: Session, name: str, number: int) -> ReferenceListVersionRow:
        listed = self._row(session, name)
        row = next((v for v in listed.versions if v.number == number), None)
        if row is None:
            raise NotFound(f"list {name} has no version {number}", "version_not_found")
        return row
