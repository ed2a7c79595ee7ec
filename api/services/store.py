"""The relational store (SQLAlchemy 2): rules and versions, rulesets, API keys, decisions.

Every change and its audit entry commit in one transaction: nothing half-written, and no
change without its entry. Rule content is validated by the engine before it is stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
import time
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, ClassVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, or_, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, sessionmaker

from api.models import (
    ApiKeyRow,
    AuditHeadRow,
    DecisionRow,
    JourneyPartRow,
    RuleRow,
    RulesetRow,
    RuleVersionRow,
    utcnow,
)
from api.services import sessions
from api.services.audit import canonical_hash
from api.services.hits import add_hits, upsert
from api.services.interfaces import (
    ActiveRule,
    Actor,
    AuditEntry,
    AuditLog,
    Conflict,
    DecisionRecord,
    Forbidden,
    NotFound,
    RulesetInfo,
    Unavailable,
    Unprocessable,
)
from engine import PackSource, RuleCompilationError, compile_packs
from engine.errors import group_by_path
from engine.language import AGENCIES

ROLES = ("officer", "approver", "system", "auditor", "admin")
KEY_AGENCIES = (*AGENCIES, "central")
KEY_PREFIX = "tgt_"


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _iso(value: dt.datetime | None) -> str | None:
    value = _utc(value)
    return value.isoformat().replace("+00:00", "Z") if value else None


def validate_rule_content(agency: str, content: Mapping[str, Any]) -> None:
    """Raise ``Unprocessable`` with every problem (paths relative to the rule) unless the engine accepts it."""
    try:
        compile_packs([PackSource("request", {"agency": agency, "rules": [dict(content)]})])
    except RuleCompilationError as exc:
        errors = group_by_path(exc.problems, "rule", strip="rules[0]")
        raise Unprocessable("the rule is not valid", "invalid_rule", errors) from None


def version_view(row: RuleVersionRow) -> dict[str, Any]:
    return {
        "rule_id": row.rule_id,
        "number": row.number,
        "status": row.status,
        "content": row.content,
        "content_hash": row.content_hash,
        "reason": row.reason,
        "author": row.author,
        "created_at": _iso(row.created_at),
        "submitted_by": row.submitted_by,
        "submitted_at": _iso(row.submitted_at),
        "approved_by": row.approved_by,
        "approved_at": _iso(row.approved_at),
        "activated_by": row.activated_by,
        "activated_at": _iso(row.activated_at),
        "retired_by": row.retired_by,
        "retired_at": _iso(row.retired_at),
    }


def rule_view(row: RuleRow) -> dict[str, Any]:
    versions = [version_view(v) for v in row.versions]
    active = next((v["number"] for v in versions if v["status"] == "active"), None)
    return {
        "id": row.id,
        "agency": row.agency,
        "created_at": _iso(row.created_at),
        "created_by": row.created_by,
        "active_version": active,
        "latest_version": versions[-1]["number"] if versions else None,
        "title": versions[-1]["content"].get("title") if versions else None,
        "versions": versions,
    }


_READ_CHUNK = 400  # (rule id, version) pairs per query: well under SQLite's bound-parameter limit


class SqlStore:
    """Implements ``RuleStore``, ``DecisionStore`` and ``KeyStore`` on one database."""

    def __init__(self, sessions: sessionmaker[Session], audit: AuditLog, hasher: PasswordHasher | None = None) -> None:
        self._sessions = sessions
        self._audit = audit
        self._hasher = hasher or PasswordHasher()
        self._verified: dict[str, tuple[str, float, Actor]] = {}
        self._verified_lock = threading.Lock()

    def transaction(self) -> AbstractContextManager[Session]:
        return sessions.transaction(self._sessions)

    def reading(self) -> AbstractContextManager[Session]:
        return sessions.reading(self._sessions)

    def ping(self) -> bool:
        try:
            with self.reading() as session:
                session.execute(select(1))
            return True
        except Unavailable:
            return False

    # --- rules ---------------------------------------------------------------------------

    def create_rule(self, agency: str, content: Mapping[str, Any], reason: str, actor: Actor) -> dict[str, Any]:
        validate_rule_content(agency, content)
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
            validate_rule_content(rule.agency, content)
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
                self._serialise_ruleset_changes(session)
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
                self._new_ruleset(session, actor, f"activate {rule_id}@{number}")
            return version_view(row)

    def retire(self, rule_id: str, reason: str, actor: Actor) -> dict[str, Any]:
        with self.transaction() as session:
            self._serialise_ruleset_changes(session)
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
            self._new_ruleset(session, actor, f"retire {rule_id}")
            return rule_view(rule)

    def import_packs(self, packs: Sequence[tuple[str, Mapping[str, Any]]], actor: Actor) -> RulesetInfo:
        """Load packs as approved, active versions (bootstrapping), in one transaction."""
        try:
            compile_packs([PackSource(source, data) for source, data in packs])
        except RuleCompilationError as exc:
            raise Unprocessable(
                "the packs are not valid",
                "invalid_rules",
                {f"{p.source}:{p.rule_id}:{p.path}": [p.message] for p in exc.problems},
            ) from None
        with self.transaction() as session:
            self._serialise_ruleset_changes(session)
            now = utcnow()
            # Every rule with its versions in a few queries, the new rows in one flush and the audit
            # entries in one chained append: an import of 10,000 rules is seconds, not minutes.
            known = {rule.id: rule for rule in session.execute(select(RuleRow)).scalars()}
            entries: list[AuditEntry] = []
            for source, data in packs:
                agency = data["agency"]
                for content in data["rules"]:
                    rule_id = content["id"]
                    rule = known.get(rule_id)
                    if rule is None:
                        rule = known[rule_id] = RuleRow(id=rule_id, agency=agency, created_by=actor.name, versions=[])
                        session.add(rule)
                    elif rule.agency != agency:
                        raise Conflict(f"rule {rule_id} belongs to {rule.agency}", "agency_mismatch")
                    current = next((v for v in rule.versions if v.status == "active"), None)
                    if current is not None and current.content_hash == canonical_hash(content):
                        continue
                    number = max((v.number for v in rule.versions), default=0) + 1
                    row = self._version(rule_id, number, content, f"imported from {source}", actor, "active")
                    row.submitted_by = row.approved_by = row.activated_by = actor.name
                    row.submitted_at = row.approved_at = row.activated_at = now
                    rule.versions.append(row)  # added with its rule, written by the one flush below
                    if current is not None:
                        current.status, current.retired_by, current.retired_at = "retired", actor.name, now
                    entries.append(
                        AuditEntry(
                            actor.label,
                            agency,
                            "rule.import",
                            "rule_version",
                            f"{rule_id}@{number}",
                            current.content_hash if current else None,
                            row.content_hash,
                            {"source": source},
                        )
                    )
            session.flush()
            self._audit.append_many(session, entries)
            latest = session.execute(select(RulesetRow).order_by(RulesetRow.seq.desc()).limit(1)).scalar_one_or_none()
            if not entries and latest is not None:
                return self._ruleset_info(latest)
            return self._new_ruleset(session, actor, "import")

    @staticmethod
    def _serialise_ruleset_changes(session: Session) -> None:
        # A no-op update of the audit head takes its lock, so concurrent activations in
        # several processes each see the others' committed versions.
        session.execute(update(AuditHeadRow).where(AuditHeadRow.id == 1).values(seq=AuditHeadRow.seq))

    def _new_ruleset(self, session: Session, actor: Actor, reason: str) -> RulesetInfo:
        rows = list(
            session.execute(
                select(RuleVersionRow)
                .options(joinedload(RuleVersionRow.rule))
                .where(RuleVersionRow.status == "active")
                .order_by(RuleVersionRow.rule_id)
            ).scalars()
        )
        packs: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            packs.setdefault(row.rule.agency, []).append(row.content)
        # The same packs, in the same order, as the processes that load it (api.rulesets.build), so
        # the activating process compiles once (engine.compile_packs keeps recent results).
        compiled = compile_packs(
            [PackSource(f"store:{a}", {"agency": a, "rules": r}) for a, r in sorted(packs.items())]
        )
        ruleset = RulesetRow(
            version=compiled.version,
            rule_versions=[[row.rule_id, row.number] for row in rows],
            created_by=actor.name,
            reason=reason,
        )
        session.add(ruleset)
        session.flush()
        self._audit.append(
            session,
            AuditEntry(
                actor.label,
                actor.agency,
                "ruleset.activate",
                "ruleset",
                str(ruleset.seq),
                None,
                compiled.version,
                {"reason": reason, "rules": len(rows)},
            ),
        )
        return self._ruleset_info(ruleset)

    @staticmethod
    def _ruleset_info(row: RulesetRow) -> RulesetInfo:
        return RulesetInfo(
            row.seq, row.version, tuple((r, int(n)) for r, n in row.rule_versions), _utc(row.created_at), row.created_by
        )  # type: ignore[arg-type]

    def latest_ruleset(self) -> RulesetInfo | None:
        with self.reading() as session:
            row = session.execute(select(RulesetRow).order_by(RulesetRow.seq.desc()).limit(1)).scalar_one_or_none()
            return self._ruleset_info(row) if row else None

    def ruleset_rules(self, seq: int) -> tuple[RulesetInfo, list[ActiveRule]]:
        with self.reading() as session:
            row = session.get(RulesetRow, seq)
            if row is None:
                raise NotFound(f"no ruleset {seq}", "ruleset_not_found")
            info = self._ruleset_info(row)
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
            return info, rules

    # --- decisions -----------------------------------------------------------------------

    def record_decisions(self, decisions: Sequence[DecisionRecord]) -> None:
        rows = [
            {
                "id": d.id,
                "created_at": d.created_at,
                "evaluated_at": d.evaluated_at,
                "ruleset_seq": d.ruleset_seq,
                "ruleset_version": d.ruleset_version,
                "agency": d.agency,
                "submitted_by": d.submitted_by,
                "passenger_ref": d.passenger_ref,
                "identity_hash": d.identity_hash,
                "matches": d.matches,
                "score": d.score,
                "cached": d.cached,
                "record": dict(d.record) if d.record is not None else None,
                "flight": d.flight,
                "flight_date": d.flight_date,
                "watchlist_version": d.watchlist_version,
            }
            for d in decisions
        ]
        if rows:
            with self.transaction() as session:
                # Idempotent: a batch whose commit reached the database but whose answer was lost
                # in an outage is sent again by the retry queue, and must not fail or double up.
                session.execute(upsert(session)(DecisionRow).on_conflict_do_nothing(index_elements=["id"]), rows)
                add_hits(session, decisions)

    def decision(self, decision_id: str) -> DecisionRecord:
        with self.reading() as session:
            row = session.get(DecisionRow, decision_id)
            if row is None:
                raise NotFound(f"no decision {decision_id}", "decision_not_found")
            return self._decision_record(row)

    @staticmethod
    def _decision_record(row: DecisionRow) -> DecisionRecord:
        return DecisionRecord(
            row.id,
            _utc(row.created_at),
            _utc(row.evaluated_at),
            row.ruleset_seq,  # type: ignore[arg-type]
            row.ruleset_version,
            row.agency,
            row.submitted_by,
            row.passenger_ref,
            row.identity_hash,
            row.matches,
            row.score,
            row.cached,
            row.record,
            row.flight,
            row.flight_date,
            row.watchlist_version,
        )

    def flight_decisions(self, flight: str, day: dt.date) -> list[DecisionRecord]:
        query = (
            select(DecisionRow)
            .where(DecisionRow.flight == flight, DecisionRow.flight_date == day)
            .order_by(DecisionRow.created_at)
        )
        with self.reading() as session:
            newest: dict[str, DecisionRow] = {}
            for row in session.execute(query).scalars():
                newest[row.identity_hash] = row
            return [self._decision_record(row) for row in newest.values()]

    def unplaced_decisions(self, day: dt.date) -> list[DecisionRecord]:
        """The newest decision for each passenger evaluated on ``day`` (UTC) whose record names no flight.

        A decision is on a flight when its record gave carrier, number and scheduled departure;
        without them it is on no priority list, so it is listed here instead.
        """
        start = dt.datetime.combine(day, dt.time(), dt.UTC)
        query = (
            select(DecisionRow)
            .where(
                DecisionRow.created_at >= start,
                DecisionRow.created_at < start + dt.timedelta(days=1),
                or_(DecisionRow.flight.is_(None), DecisionRow.flight_date.is_(None)),
            )
            .order_by(DecisionRow.created_at)
        )
        with self.reading() as session:
            # By passenger id too: records with no identity fields (names, document) share one hash.
            newest: dict[tuple[str, str | None], DecisionRow] = {}
            for row in session.execute(query).scalars():
                newest[(row.identity_hash, row.passenger_ref)] = row
            return [self._decision_record(row) for row in newest.values()]

    def retained_decisions(self, since: dt.datetime, until: dt.datetime) -> list[DecisionRecord]:
        """The newest decision per passenger journey in the window whose record is still retained."""
        query = (
            select(DecisionRow)
            .where(DecisionRow.created_at >= since, DecisionRow.created_at < until, DecisionRow.record.is_not(None))
            .order_by(DecisionRow.created_at)
        )
        with self.reading() as session:
            newest: dict[tuple[str, str | None, dt.date | None], DecisionRow] = {}
            for row in session.execute(query).scalars():
                newest[(row.identity_hash, row.flight, row.flight_date)] = row
            return [self._decision_record(row) for row in newest.values()]

    def flights(self, day: dt.date) -> list[dict[str, Any]]:
        """Flights with evaluated passengers departing on ``day``: passengers counted once each."""
        from sqlalchemy import func

        query = (
            select(DecisionRow.flight, func.count(func.distinct(DecisionRow.identity_hash)))
            .where(DecisionRow.flight_date == day, DecisionRow.flight.is_not(None))
            .group_by(DecisionRow.flight)
            .order_by(DecisionRow.flight)
        )
        with self.reading() as session:
            return [
                {"flight": flight, "date": day.isoformat(), "passengers": int(count)}
                for flight, count in session.execute(query)
            ]

    def purge_records(self, before: dt.datetime, actor: Actor) -> int:
        with self.transaction() as session:
            result = session.execute(
                update(DecisionRow)
                .where(DecisionRow.created_at < before, DecisionRow.record.is_not(None))
                .values(record=None)
            )
            count = int(result.rowcount or 0)  # type: ignore[attr-defined]
            # Journey profiles kept in the database (no Redis) go once their own expiry passes.
            expired = session.execute(delete(JourneyPartRow).where(JourneyPartRow.expires_at <= utcnow()))
            self._audit.append(
                session,
                AuditEntry(
                    actor.label,
                    actor.agency,
                    "decisions.purge",
                    "decisions",
                    "records",
                    None,
                    None,
                    {
                        "before": before.isoformat(),
                        "purged": count,
                        "journey_parts_expired": int(expired.rowcount or 0),  # type: ignore[attr-defined]
                    },
                ),
            )
            return count

    # --- API keys ------------------------------------------------------------------------

    def create_key(
        self,
        name: str,
        agency: str,
        roles: Sequence[str],
        actor: Actor,
        expires_at: dt.datetime | None = None,
        secret: str | None = None,
        key_id: str | None = None,
    ) -> tuple[dict[str, Any], str]:
        bad = sorted(set(roles) - set(ROLES))
        if bad or not roles:
            raise Unprocessable("unknown roles", "invalid_roles", {"roles": [f"must be among {', '.join(ROLES)}"]})
        if agency not in KEY_AGENCIES:
            raise Unprocessable("unknown agency", "invalid_agency", {"agency": [f"one of {', '.join(KEY_AGENCIES)}"]})
        key_id = key_id or "k" + secrets.token_hex(6)
        plaintext = f"{KEY_PREFIX}{key_id}_{secret or secrets.token_urlsafe(24)}"
        row = ApiKeyRow(
            id=key_id,
            secret_hash=self._hasher.hash(plaintext),
            name=name,
            agency=agency,
            roles=",".join(sorted(set(roles))),
            created_by=actor.name,
            expires_at=expires_at,
        )
        try:
            with self.transaction() as session:
                session.add(row)
                session.flush()
                self._audit.append(
                    session,
                    AuditEntry(
                        actor.label,
                        agency,
                        "key.create",
                        "api_key",
                        key_id,
                        None,
                        None,
                        {"name": name, "roles": row.roles, "expires_at": _iso(expires_at)},
                    ),
                )
        except IntegrityError:
            raise Conflict(f"key {key_id} exists", "key_exists") from None
        return self._key_view(row), plaintext

    @staticmethod
    def _key_view(row: ApiKeyRow) -> dict[str, Any]:
        return {
            "id": row.id,
            "name": row.name,
            "agency": row.agency,
            "roles": row.roles.split(","),
            "created_at": _iso(row.created_at),
            "created_by": row.created_by,
            "expires_at": _iso(row.expires_at),
            "revoked_at": _iso(row.revoked_at),
        }

    def api_keys(self) -> list[dict[str, Any]]:
        with self.reading() as session:
            return [self._key_view(r) for r in session.execute(select(ApiKeyRow).order_by(ApiKeyRow.id)).scalars()]

    def revoke_key(self, key_id: str, actor: Actor) -> dict[str, Any]:
        with self.transaction() as session:
            row = session.get(ApiKeyRow, key_id)
            if row is None:
                raise NotFound(f"no key {key_id}", "key_not_found")
            if row.revoked_at is None:
                row.revoked_at = utcnow()
                self._audit.append(session, AuditEntry(actor.label, row.agency, "key.revoke", "api_key", key_id))
        with self._verified_lock:
            self._verified = {digest: kept for digest, kept in self._verified.items() if kept[0] != key_id}
        return self._key_view(row)

    def authenticate(self, presented: str) -> Actor | None:
        """The actor for a presented key, or None. Revocation and expiry are checked on every call.

        While the store is unreachable, a key verified in the last few minutes is still
        accepted (no key can be revoked then either), so agency systems keep evaluating on
        the loaded ruleset through a database outage; any other key gets the 503.
        """
        if not presented.startswith(KEY_PREFIX) or presented.count("_") < 2 or len(presented) > 200:
            return None
        key_id = presented[len(KEY_PREFIX) :].split("_", 1)[0]
        digest = hashlib.sha256(presented.encode()).hexdigest()
        try:
            with self.reading() as session:
                row = session.get(ApiKeyRow, key_id)
                if row is None or row.revoked_at is not None:
                    self._forget(digest)
                    return None
                expires = _utc(row.expires_at)
                if expires is not None and expires <= utcnow():
                    self._forget(digest)
                    return None
                actor = Actor(row.id, row.name, row.agency, frozenset(row.roles.split(",")))
                return actor if self._secret_matches(row, presented, digest, actor) else None
        except Unavailable:
            with self._verified_lock:
                remembered = self._verified.get(digest)
            if remembered is not None and remembered[1] > time.monotonic():
                return remembered[2]
            raise

    def _forget(self, digest: str) -> None:
        with self._verified_lock:
            self._verified.pop(digest, None)

    def _secret_matches(self, row: ApiKeyRow, presented: str, digest: str, actor: Actor) -> bool:
        # argon2 is deliberately slow; a verified key is remembered (by digest, briefly) so
        # each request does not pay for it. Revocation is still checked above every time.
        now = time.monotonic()
        with self._verified_lock:
            remembered = self._verified.get(digest)
        if remembered and remembered[0] == row.id and remembered[1] > now:
            return True
        try:
            self._hasher.verify(row.secret_hash, presented)
        except (VerificationError, InvalidHashError):
            return False
        with self._verified_lock:
            if len(self._verified) > 10_000:
                self._verified.clear()
            self._verified[digest] = (row.id, now + 300, actor)
        return True

    def record_failed_authentication(self, key_id: str, reason: str) -> None:
        try:
            with self.transaction() as session:
                self._audit.append(
                    session, AuditEntry("anonymous", "", "auth.failed", "api_key", key_id, detail={"reason": reason})
                )
        except Unavailable:
            pass  # the request is refused either way
