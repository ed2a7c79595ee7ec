"""The rule store on SQL (SQLAlchemy 2): rules and versions, their lifecycle, and rulesets.

Every change and its audit entry commit in one transaction: nothing half-written, and no
change without its entry. Rule content is validated by the engine before it is stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from sqlalchemy import select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, sessionmaker

from api.audit.interface import AuditEntry, AuditLog
from api.audit.log import canonical_hash
from api.common import Actor, Conflict, Forbidden, NotFound, Unprocessable
from api.db.models import (
    ReferenceListVersionRow,
    RuleRow,
    RulesetRow,
    RuleVersionRow,
    iso_utc,
    lifecycle_view,
    utcnow,
)
from api.db.sessions import SqlService
from api.rules.activation import active_lists, new_ruleset, ruleset_info, serialise_ruleset_changes
from api.rules.importing import import_lists, import_rules
from api.rules.interface import ActiveRule, RulesetInfo
from api.rules.packs import LIST_PREFIX
from engine import PackSource, RuleCompilationError, compile_packs
from engine.errors import group_by_path


def validate_rule_content(agency: str, content: Mapping[str, Any], lists: Sequence[Mapping[str, Any]] = ()) -> None:
    """Raise ``Unprocessable`` with every problem (paths relative to the rule) unless the engine accepts
    it with the active reference ``lists`` (list documents) it may name."""
    try:
        list_packs = [PackSource(f"store:list:{data.get('name')}", dict(data)) for data in lists]
        compile_packs([PackSource("request", {"agency": agency, "rules": [dict(content)]}), *list_packs])
    except RuleCompilationError as exc:
        errors = group_by_path(exc.problems, "rule", strip="rules[0]")
        raise Unprocessable("the rule is not valid", "invalid_rule", errors) from None


def version_view(row: RuleVersionRow) -> dict[str, Any]:
    return {
        "rule_id": row.rule_id,
        "number": row.number,
        "content": row.content,
        "content_hash": row.content_hash,
        **lifecycle_view(row),
    }


def rule_view(row: RuleRow) -> dict[str, Any]:
    versions = [version_view(v) for v in row.versions]
    active = next((v["number"] for v in versions if v["status"] == "active"), None)
    return {
        "id": row.id,
        "agency": row.agency,
        "created_at": iso_utc(row.created_at),
        "created_by": row.created_by,
        "active_version": active,
        "latest_version": versions[-1]["number"] if versions else None,
        "title": versions[-1]["content"].get("title") if versions else None,
        "versions": versions,
    }


_READ_CHUNK = 400  # (rule id, version) pairs per query: well under SQLite's bound-parameter limit


class SqlRuleStore(SqlService):
    """Implements ``RuleStore``."""

    def __init__(self, sessions: sessionmaker[Session], audit: AuditLog) -> None:
        super().__init__(sessions)
        self._audit = audit

    def _lists(self) -> list[Mapping[str, Any]]:
        with self.reading() as session:
            return [row.content for row in active_lists(session)]

    def create_rule(self, agency: str, content: Mapping[str, Any], reason: str, actor: Actor) -> dict[str, Any]:
        validate_rule_content(agency, content, self._lists())
        rule_id = str(content["id"])
        try:
            with self.transaction() as session:
                if session.get(RuleRow, rule_id) is not None:
                    raise Conflict(f"rule {rule_id} already exists; add a version instead", "rule_exists")
                session.add(RuleRow(id=rule_id, agency=agency, created_by=actor.name))
                session.flush()
                row = self._new_version(session, rule_id, 1, content, reason, actor, "draft")
                self._audit.append(
                    session,
                    AuditEntry(
                        actor.label,
                        agency,
                        "rule.create",
                        "rule_version",
                        f"{rule_id}@1",
                        None,
                        row.content_hash,
                        {"reason": reason},
                    ),
                )
                return version_view(row)
        except IntegrityError:
            raise Conflict(f"rule {rule_id} already exists; add a version instead", "rule_exists") from None

    def add_version(self, rule_id: str, content: Mapping[str, Any], reason: str, actor: Actor) -> dict[str, Any]:
        with self.transaction() as session:
            rule = self._rule_row(session, rule_id)
            if content.get("id", rule_id) != rule_id:
                raise Unprocessable("the rule's id cannot change", "invalid_rule", {"id": ["must stay " + rule_id]})
            content = {**content, "id": rule_id}
            validate_rule_content(rule.agency, content, [row.content for row in active_lists(session)])
            number = max((v.number for v in rule.versions), default=0) + 1
            previous = rule.versions[-1].content_hash if rule.versions else None
            row = self._new_version(session, rule_id, number, content, reason, actor, "draft")
            self._audit.append(
                session,
                AuditEntry(
                    actor.label,
                    rule.agency,
                    "rule.version",
                    "rule_version",
                    f"{rule_id}@{number}",
                    previous,
                    row.content_hash,
                    {"reason": reason},
                ),
            )
            return version_view(row)

    def rollback(self, rule_id: str, to_number: int, reason: str, actor: Actor) -> dict[str, Any]:
        source = self.version(rule_id, to_number)
        return self.add_version(rule_id, source["content"], reason or f"roll back to version {to_number}", actor)

    def _new_version(
        self,
        session: Session,
        rule_id: str,
        number: int,
        content: Mapping[str, Any],
        reason: str,
        actor: Actor,
        status: str,
    ) -> RuleVersionRow:
        row = self._version(rule_id, number, content, reason, actor, status)
        session.add(row)
        session.flush()
        return row

    @staticmethod
    def _version(
        rule_id: str, number: int, content: Mapping[str, Any], reason: str, actor: Actor, status: str
    ) -> RuleVersionRow:
        return RuleVersionRow(
            rule_id=rule_id,
            number=number,
            content=dict(content),
            content_hash=canonical_hash(content),
            reason=reason,
            status=status,
            author=actor.name,
        )

    def _rule_row(self, session: Session, rule_id: str) -> RuleRow:
        rule = session.get(RuleRow, rule_id)
        if rule is None:
            raise NotFound(f"no rule {rule_id}", "rule_not_found")
        return rule

    def rule(self, rule_id: str) -> dict[str, Any]:
        with self.reading() as session:
            return rule_view(self._rule_row(session, rule_id))

    def rules(self, agency: str | None = None) -> list[dict[str, Any]]:
        query = select(RuleRow).order_by(RuleRow.id)
        if agency:
            query = query.where(RuleRow.agency == agency)
        with self.reading() as session:
            return [rule_view(row) for row in session.execute(query).scalars()]

    def rule_agency(self, rule_id: str) -> str:
        with self.reading() as session:
            return self._rule_row(session, rule_id).agency

    def rule_versions_summary(self, wanted: set[tuple[str, int]]) -> dict[tuple[str, int], tuple[str, str]]:
        """(agency, title) of each (rule id, version number) asked for."""
        if not wanted:
            return {}
        ids = {rule_id for rule_id, _ in wanted}
        query = select(RuleVersionRow).where(RuleVersionRow.rule_id.in_(ids))
        with self.reading() as session:
            return {
                (row.rule_id, row.number): (row.rule.agency, str(row.content.get("title", "")))
                for row in session.execute(query).scalars()
                if (row.rule_id, row.number) in wanted
            }

    def version(self, rule_id: str, number: int) -> dict[str, Any]:
        with self.reading() as session:
            return version_view(self._version_row(session, rule_id, number))

    def _version_row(self, session: Session, rule_id: str, number: int) -> RuleVersionRow:
        if not 0 < number < 2**31:
            raise NotFound(f"rule {rule_id} has no version {number}", "version_not_found")
        row = session.execute(
            select(RuleVersionRow).where(RuleVersionRow.rule_id == rule_id, RuleVersionRow.number == number)
        ).scalar_one_or_none()
        if row is None:
            self._rule_row(session, rule_id)
            raise NotFound(f"rule {rule_id} has no version {number}", "version_not_found")
        return row

    _TRANSITIONS: ClassVar[dict[str, tuple[str, str]]] = {
        "submit": ("draft", "submitted"),
        "approve": ("submitted", "approved"),
        "activate": ("approved", "active"),
    }

    def transition(self, rule_id: str, number: int, action: str, actor: Actor, reason: str = "") -> dict[str, Any]:
        before_status, after_status = self._TRANSITIONS[action]
        with self.transaction() as session:
            if action == "activate":
                serialise_ruleset_changes(session)
            row = self._version_row(session, rule_id, number)
            agency = row.rule.agency
            if row.status != before_status:
                raise Conflict(
                    f"version {number} of {rule_id} is {row.status}; only a {before_status} version can be {action}d",
                    "invalid_transition",
                )
            if action == "approve" and row.author == actor.name:
                raise Forbidden("the author of a change cannot approve it; a second approver must", "self_approval")
            if action == "activate" and not row.content.get("valid_until"):
                raise Unprocessable(
                    "a rule without valid_until cannot be activated: every rule must come up for review",
                    "no_review_date",
                    {"content.valid_until": ["required for activation"]},
                )
            before = canonical_hash(version_view(row))
            now = utcnow()
            row.status = after_status
            stamp = {"submit": "submitted", "approve": "approved", "activate": "activated"}[action]
            setattr(row, f"{stamp}_by", actor.name)
            setattr(row, f"{stamp}_at", now)
            if action == "activate":
                for other in row.rule.versions:
                    if other.status == "active" and other is not row:
                        other.status, other.retired_by, other.retired_at = "retired", actor.name, now
            session.flush()
            self._audit.append(
                session,
                AuditEntry(
                    actor.label,
                    agency,
                    f"rule.{action}",
                    "rule_version",
                    f"{rule_id}@{number}",
                    before,
                    canonical_hash(version_view(row)),
                    {"reason": reason} if reason else {},
                ),
            )
            if action == "activate":
                new_ruleset(session, self._audit, actor, f"activate {rule_id}@{number}")
            return version_view(row)

    def retire(self, rule_id: str, reason: str, actor: Actor) -> dict[str, Any]:
        with self.transaction() as session:
            serialise_ruleset_changes(session)
            rule = self._rule_row(session, rule_id)
            active = [v for v in rule.versions if v.status == "active"]
            if not active:
                raise Conflict(f"rule {rule_id} has no active version", "invalid_transition")
            for row in active:
                before = canonical_hash(version_view(row))
                row.status, row.retired_by, row.retired_at = "retired", actor.name, utcnow()
                session.flush()
                self._audit.append(
                    session,
                    AuditEntry(
                        actor.label,
                        rule.agency,
                        "rule.retire",
                        "rule_version",
                        f"{rule_id}@{row.number}",
                        before,
                        canonical_hash(version_view(row)),
                        {"reason": reason},
                    ),
                )
            new_ruleset(session, self._audit, actor, f"retire {rule_id}")
            return rule_view(rule)

    def import_packs(self, packs: Sequence[tuple[str, Mapping[str, Any]]], actor: Actor) -> RulesetInfo:
        """Load packs and reference lists as approved, active versions (bootstrapping), in one transaction."""
        try:
            compile_packs([PackSource(source, data) for source, data in packs])
        except RuleCompilationError as exc:
            raise Unprocessable(
                "the packs are not valid",
                "invalid_rules",
                {f"{p.source}:{p.rule_id}:{p.path}": [p.message] for p in exc.problems},
            ) from None
        with self.transaction() as session:
            serialise_ruleset_changes(session)
            entries = import_lists(session, packs, actor) + import_rules(session, packs, actor, self._version)
            session.flush()
            self._audit.append_many(session, entries)
            latest = session.execute(select(RulesetRow).order_by(RulesetRow.seq.desc()).limit(1)).scalar_one_or_none()
            if not entries and latest is not None:
                return ruleset_info(latest)
            return new_ruleset(session, self._audit, actor, "import")

    def latest_ruleset(self) -> RulesetInfo | None:
        with self.reading() as session:
            row = session.execute(select(RulesetRow).order_by(RulesetRow.seq.desc()).limit(1)).scalar_one_or_none()
            return ruleset_info(row) if row else None

    def ruleset_rules(self, seq: int) -> tuple[RulesetInfo, list[ActiveRule]]:
        with self.reading() as session:
            row = session.get(RulesetRow, seq)
            if row is None:
                raise NotFound(f"no ruleset {seq}", "ruleset_not_found")
            info = ruleset_info(row)
            # One query per chunk, not per version: a 10,000-rule ruleset is read in seconds less.
            found: dict[tuple[str, int], RuleVersionRow] = {}
            pairs = list(info.rule_versions)
            for start in range(0, len(pairs), _READ_CHUNK):
                chunk = pairs[start : start + _READ_CHUNK]
                query = (
                    select(RuleVersionRow)
                    .options(joinedload(RuleVersionRow.rule))
                    .where(tuple_(RuleVersionRow.rule_id, RuleVersionRow.number).in_(chunk))
                )
                found.update(((row.rule_id, row.number), row) for row in session.execute(query).scalars())
            rules = []
            for rule_id, number in pairs:
                version = found.get((rule_id, number)) or self._version_row(session, rule_id, number)
                rules.append(ActiveRule(rule_id, number, version.rule.agency, version.content))
            # The reference list versions the ruleset was compiled with, as entries of their own.
            for name, number in row.list_versions or []:
                listed = session.execute(
                    select(ReferenceListVersionRow).where(
                        ReferenceListVersionRow.list_name == name, ReferenceListVersionRow.number == number
                    )
                ).scalar_one()
                rules.append(ActiveRule(f"{LIST_PREFIX}{name}", int(number), listed.list.agency, listed.content))
            return info, rules
