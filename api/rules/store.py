"""The rule store on SQL (SQLAlchemy 2): rules and versions, their lifecycle, and rulesets.

Every change and its audit entry commit in one transaction: nothing half-written, and no
change without its entry. Rule content is validated by the engine before it is stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, sessionmaker

from api.audit.interface import AuditEntry, canonical_hash
from api.audit.log import SqlAuditLog
from api.common import Actor, Conflict, NotFound, Unprocessable
from api.db.models import ReferenceListRow, ReferenceListVersionRow, RuleRow, RulesetRow, RuleVersionRow, as_utc, utcnow
from api.db.sessions import SqlService
from api.lifecycle import check_transition, lifecycle_of, step
from api.rules.activation import active_lists, new_ruleset, ruleset_info, serialise_ruleset_changes
from api.rules.importing import import_documents, incoming_lists, incoming_rules
from api.rules.interface import ActiveRule, Rule, RulesetInfo, RuleVersion
from api.rules.packs import LIST_PREFIX, check_packs, validate_rule_content


def rule_version(row: RuleVersionRow) -> RuleVersion:
    return RuleVersion(row.rule_id, row.number, dict(row.content), row.content_hash, lifecycle_of(row))


def rule_of(row: RuleRow) -> Rule:
    created = as_utc(row.created_at)
    assert created is not None
    return Rule(row.id, row.agency, created, row.created_by, tuple(rule_version(v) for v in row.versions))


_READ_CHUNK = 400  # (rule id, version) pairs per query: well under SQLite's bound-parameter limit


class SqlRuleStore(SqlService):
    """Implements ``RuleStore``."""

    def __init__(self, sessions: sessionmaker[Session], audit: SqlAuditLog) -> None:
        super().__init__(sessions)
        self._audit = audit

    def _lists(self) -> list[Mapping[str, Any]]:
        with self.reading() as session:
            return [row.content for row in active_lists(session)]

    def create_rule(self, agency: str, content: Mapping[str, Any], reason: str, actor: Actor) -> RuleVersion:
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
                return rule_version(row)
        except IntegrityError:
            raise Conflict(f"rule {rule_id} already exists; add a version instead", "rule_exists") from None

    def add_version(self, rule_id: str, content: Mapping[str, Any], reason: str, actor: Actor) -> RuleVersion:
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
            return rule_version(row)

    def rollback(self, rule_id: str, to_number: int, reason: str, actor: Actor) -> RuleVersion:
        source = self.version(rule_id, to_number)
        return self.add_version(rule_id, source.content, reason or f"roll back to version {to_number}", actor)

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

    def rule(self, rule_id: str) -> Rule:
        with self.reading() as session:
            return rule_of(self._rule_row(session, rule_id))

    def rules(self, agency: str | None = None) -> list[Rule]:
        query = select(RuleRow).order_by(RuleRow.id)
        if agency:
            query = query.where(RuleRow.agency == agency)
        with self.reading() as session:
            return [rule_of(row) for row in session.execute(query).scalars()]

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

    def version(self, rule_id: str, number: int) -> RuleVersion:
        with self.reading() as session:
            return rule_version(self._version_row(session, rule_id, number))

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

    def transition(self, rule_id: str, number: int, action: str, actor: Actor, reason: str = "") -> RuleVersion:
        with self.transaction() as session:
            if action == "activate":
                serialise_ruleset_changes(session)
            row = self._version_row(session, rule_id, number)
            check_transition(row, action, actor, f"version {number} of {rule_id}")
            if action == "activate" and not row.content.get("valid_until"):
                raise Unprocessable(
                    "a rule without valid_until cannot be activated: every rule must come up for review",
                    "no_review_date",
                    {"content.valid_until": ["required for activation"]},
                )
            entry = step("rule", rule_id, row.rule.agency, row, row.rule.versions, action, actor, reason, utcnow())
            session.flush()
            self._audit.append(session, entry)
            if action == "activate":
                new_ruleset(session, self._audit, actor, f"activate {entry.object_id}")
            return rule_version(row)

    def retire(self, rule_id: str, reason: str, actor: Actor) -> Rule:
        with self.transaction() as session:
            serialise_ruleset_changes(session)
            rule = self._rule_row(session, rule_id)
            active = [v for v in rule.versions if v.status == "active"]
            if not active:
                raise Conflict(f"rule {rule_id} has no active version", "invalid_transition")
            for row in active:
                entry = step("rule", rule_id, rule.agency, row, (), "retire", actor, reason, utcnow())
                session.flush()
                self._audit.append(session, entry)
            new_ruleset(session, self._audit, actor, f"retire {rule_id}")
            return rule_of(rule)

    def import_packs(self, packs: Sequence[tuple[str, Mapping[str, Any]]], actor: Actor) -> RulesetInfo:
        """Load packs and reference lists as approved, active versions (bootstrapping), in one transaction."""
        check_packs(packs)
        with self.transaction() as session:
            serialise_ruleset_changes(session)
            entries = self._import(session, packs, actor)
            session.flush()
            self._audit.append_many(session, entries)
            latest = session.execute(select(RulesetRow).order_by(RulesetRow.seq.desc()).limit(1)).scalar_one_or_none()
            if not entries and latest is not None:
                return ruleset_info(latest)
            return new_ruleset(session, self._audit, actor, "import")

    def _import(
        self, session: Session, packs: Sequence[tuple[str, Mapping[str, Any]]], actor: Actor
    ) -> list[AuditEntry]:
        # Every document with its versions in a few queries, the new rows in one flush (by the
        # caller) and the audit entries in one chained append: 10,000 rules import in seconds.
        now = utcnow()

        def add_list(name: str, agency: str) -> ReferenceListRow:
            listed = ReferenceListRow(name=name, agency=agency, created_by=actor.name, versions=[])
            session.add(listed)
            return listed

        def add_list_version(listed: ReferenceListRow, number: int, content: Mapping[str, Any], reason: str) -> Any:
            row = ReferenceListVersionRow(
                list_name=listed.name,
                number=number,
                content=dict(content),
                content_hash=canonical_hash(content),
                reason=reason,
                status="active",
                author=actor.name,
            )
            listed.versions.append(row)
            return row

        def add_rule(rule_id: str, agency: str) -> RuleRow:
            rule = RuleRow(id=rule_id, agency=agency, created_by=actor.name, versions=[])
            session.add(rule)
            return rule

        def add_rule_version(rule: RuleRow, number: int, content: Mapping[str, Any], reason: str) -> Any:
            row = self._version(rule.id, number, content, reason, actor, "active")
            rule.versions.append(row)  # added with its rule, written by the one flush
            return row

        lists = {row.name: row for row in session.execute(select(ReferenceListRow)).scalars()}
        rules = {row.id: row for row in session.execute(select(RuleRow)).scalars()}
        return [
            *import_documents("list", lists, incoming_lists(packs), actor, now, add_list, add_list_version),
            *import_documents("rule", rules, incoming_rules(packs), actor, now, add_rule, add_rule_version),
        ]

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
