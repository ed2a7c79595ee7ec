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

from api.audit.interface import AuditEntry, AuditLog
from api.audit.log import canonical_hash
from api.common import Actor, Conflict, Forbidden, NotFound, Unprocessable
from api.db.models import ReferenceListRow, ReferenceListVersionRow, lifecycle_view, utcnow
from api.db.sessions import SqlService
from api.rules.activation import new_ruleset, serialise_ruleset_changes
from engine.language import AGENCIES
from engine.lists import parse_list

TRANSITIONS = {
    "submit": ("draft", "submitted"),
    "approve": ("submitted", "approved"),
    "activate": ("approved", "active"),
}


def validate_list(agency: str, content: Mapping[str, Any], name: str | None = None) -> None:
    """Raise ``Unprocessable`` with every problem, by key, unless ``content`` is a valid list of ``agency``."""
    if not isinstance(content, Mapping):
        raise Unprocessable("the list is not valid", "invalid_list", {"list": ["must be an object"]})
    _, problems = parse_list(content, "request", AGENCIES)
    errors: dict[str, list[str]] = {}
    for problem in problems:
        errors.setdefault(problem.path or "list", []).append(problem.message)
    if content.get("agency") != agency:
        errors.setdefault("agency", []).append(f"must be {agency}, the agency that owns the list")
    if name is not None and content.get("name") != name:
        errors.setdefault("name", []).append(f"must stay {name}")
    if errors:
        raise Unprocessable("the list is not valid", "invalid_list", errors)


def version_view(row: ReferenceListVersionRow, with_values: bool = True) -> dict[str, Any]:
    content = dict(row.content)
    view = {
        "name": row.list_name,
        "number": row.number,
        **lifecycle_view(row),
        "value_count": len(content.get("values", [])),
    }
    if with_values:
        view["content"] = content
    return view


class SqlListStore(SqlService):
    """Implements ``ListStore``."""

    def __init__(self, sessions: sessionmaker[Session], audit: AuditLog) -> None:
        super().__init__(sessions)
        self._audit = audit

    def lists(self) -> list[dict[str, Any]]:
        with self.reading() as session:
            return [self._summary(row) for row in session.execute(select(ReferenceListRow)).scalars()]

    def list(self, name: str) -> dict[str, Any]:
        with self.reading() as session:
            row = self._row(session, name)
            return {**self._summary(row), "versions": [version_view(v, with_values=False) for v in row.versions]}

    def list_agency(self, name: str) -> str:
        with self.reading() as session:
            return self._row(session, name).agency

    def version(self, name: str, number: int) -> dict[str, Any]:
        with self.reading() as session:
            return version_view(self._version_row(session, name, number))

    def create(self, agency: str, content: Mapping[str, Any], reason: str, actor: Actor) -> dict[str, Any]:
        validate_list(agency, content)
        name = str(content["name"])
        try:
            with self.transaction() as session:
                if session.get(ReferenceListRow, name) is not None:
                    raise Conflict(f"list {name} already exists; add a version instead", "list_exists")
                session.add(ReferenceListRow(name=name, agency=agency, created_by=actor.name))
                session.flush()
                row = self._new_version(session, name, 1, content, reason, actor, "list.create", None)
                return version_view(row)
        except IntegrityError:
            raise Conflict(f"list {name} already exists; add a version instead", "list_exists") from None

    def add_version(self, name: str, content: Mapping[str, Any], reason: str, actor: Actor) -> dict[str, Any]:
        with self.transaction() as session:
            listed = self._row(session, name)
            validate_list(listed.agency, content, name)
            number = max((v.number for v in listed.versions), default=0) + 1
            previous = listed.versions[-1].content_hash if listed.versions else None
            row = self._new_version(session, name, number, content, reason, actor, "list.version", previous)
            return version_view(row)

    def transition(self, name: str, number: int, action: str, actor: Actor, reason: str = "") -> dict[str, Any]:
        before_status, after_status = TRANSITIONS[action]
        with self.transaction() as session:
            if action == "activate":
                serialise_ruleset_changes(session)
            row = self._version_row(session, name, number)
            if row.status != before_status:
                raise Conflict(
                    f"version {number} of list {name} is {row.status}; only a {before_status} version can be {action}d",
                    "invalid_transition",
                )
            if action == "approve" and row.author == actor.name:
                raise Forbidden("the author of a change cannot approve it; a second approver must", "self_approval")
            before = canonical_hash(version_view(row))
            now = utcnow()
            row.status = after_status
            stamp = {"submit": "submitted", "approve": "approved", "activate": "activated"}[action]
            setattr(row, f"{stamp}_by", actor.name)
            setattr(row, f"{stamp}_at", now)
            if action == "activate":
                for other in row.list.versions:
                    if other.status == "active" and other is not row:
                        other.status, other.retired_by, other.retired_at = "retired", actor.name, now
            session.flush()
            after = canonical_hash(version_view(row))
            detail = {"reason": reason} if reason else {}
            entry = AuditEntry(
                actor.label,
                row.list.agency,
                f"list.{action}",
                "list_version",
                f"{name}@{number}",
                before,
                after,
                detail,
            )
            self._audit.append(session, entry)
            if action == "activate":
                new_ruleset(session, self._audit, actor, f"activate list {name}@{number}")
            return version_view(row)

    def diff(self, name: str, old: int, new: int) -> dict[str, Any]:
        with self.reading() as session:
            before, after = (self._version_row(session, name, n).content for n in (old, new))
        old_values, new_values = set(map(str, before.get("values", []))), set(map(str, after.get("values", [])))
        changed = {
            key: {"from": before.get(key), "to": after.get(key)}
            for key in sorted(set(before) | set(after))
            if key != "values" and before.get(key) != after.get(key)
        }
        return {
            "name": name,
            "from_version": old,
            "to_version": new,
            "added": sorted(new_values - old_values),
            "removed": sorted(old_values - new_values),
            "changed": changed,
        }

    @staticmethod
    def _summary(row: ReferenceListRow) -> dict[str, Any]:
        active = next((v for v in row.versions if v.status == "active"), None)
        shown = active or (row.versions[-1] if row.versions else None)
        return {
            "name": row.name,
            "agency": row.agency,
            "description": shown.content.get("description", "") if shown else "",
            "shared": bool(shown.content.get("shared", False)) if shown else False,
            "active_version": active.number if active else None,
            "value_count": len(active.content.get("values", [])) if active else 0,
        }

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
