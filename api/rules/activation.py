"""Activating a ruleset inside a rule change's transaction: the lock that orders changes, and the
new ruleset row, compiled from every active version and audited."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from api.audit.log import SqlAuditLog
from api.common import Actor
from api.db.models import (
    AuditHeadRow,
    ReferenceListVersionRow,
    RulesetRow,
    RuleVersionRow,
    as_utc,
)
from api.rules.interface import RulesetInfo
from api.rules.packs import compile_active, ruleset_entry


def serialise_ruleset_changes(session: Session) -> None:
    """Take the lock that orders ruleset changes across processes, inside ``session``'s transaction."""
    # A no-op update of the audit head takes its lock, so concurrent activations in
    # several processes each see the others' committed versions.
    session.execute(update(AuditHeadRow).where(AuditHeadRow.id == 1).values(seq=AuditHeadRow.seq))


def new_ruleset(session: Session, audit: SqlAuditLog, actor: Actor, reason: str) -> RulesetInfo:
    """A ruleset of every active version, compiled (which proves it loads) and audited, in ``session``."""
    rows = list(
        session.execute(
            select(RuleVersionRow)
            .options(joinedload(RuleVersionRow.rule))
            .where(RuleVersionRow.status == "active")
            .order_by(RuleVersionRow.rule_id)
        ).scalars()
    )
    lists = active_lists(session)
    versions = [*((row.rule.agency, row.content) for row in rows), *((row.list.agency, row.content) for row in lists)]
    compiled = compile_active(versions)
    ruleset = RulesetRow(
        version=compiled.version,
        rule_versions=[[row.rule_id, row.number] for row in rows],
        list_versions=[[row.list_name, row.number] for row in lists],
        created_by=actor.name,
        reason=reason,
    )
    session.add(ruleset)
    session.flush()
    audit.append(session, ruleset_entry(actor, ruleset.seq, compiled.version, reason, len(rows), len(lists)))
    return ruleset_info(ruleset)


def active_lists(session: Session) -> list[ReferenceListVersionRow]:
    """The active version of every reference list, by name."""
    query = (
        select(ReferenceListVersionRow)
        .options(joinedload(ReferenceListVersionRow.list))
        .where(ReferenceListVersionRow.status == "active")
        .order_by(ReferenceListVersionRow.list_name)
    )
    return list(session.execute(query).scalars())


def ruleset_info(row: RulesetRow) -> RulesetInfo:
    return RulesetInfo(
        row.seq,
        row.version,
        tuple((r, int(n)) for r, n in row.rule_versions),
        as_utc(row.created_at),
        row.created_by,
    )
