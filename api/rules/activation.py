"""Activating a ruleset inside a rule change's transaction: the lock that orders changes, and the
new ruleset row, compiled from every active version and audited."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from api.audit.interface import AuditEntry, AuditLog
from api.common import Actor, Unprocessable
from api.db.models import (
    AuditHeadRow,
    ReferenceListVersionRow,
    RulesetRow,
    RuleVersionRow,
    as_utc,
)
from api.rules.interface import RulesetInfo
from api.rules.packs import packs_from_versions
from engine import RuleCompilationError, compile_packs


def serialise_ruleset_changes(session: Session) -> None:
    """Take the lock that orders ruleset changes across processes, inside ``session``'s transaction."""
    # A no-op update of the audit head takes its lock, so concurrent activations in
    # several processes each see the others' committed versions.
    session.execute(update(AuditHeadRow).where(AuditHeadRow.id == 1).values(seq=AuditHeadRow.seq))


def new_ruleset(session: Session, audit: AuditLog, actor: Actor, reason: str) -> RulesetInfo:
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
    try:
        compiled = compile_packs(packs_from_versions(versions))
    except RuleCompilationError as exc:
        # A list version that drops a value type a rule needs, or a rule naming a list not active.
        errors = {f"{p.source}:{p.rule_id}:{p.path}": [p.message] for p in exc.problems}
        raise Unprocessable("the active rules would not compile with this change", "ruleset_invalid", errors) from None
    ruleset = RulesetRow(
        version=compiled.version,
        rule_versions=[[row.rule_id, row.number] for row in rows],
        list_versions=[[row.list_name, row.number] for row in lists],
        created_by=actor.name,
        reason=reason,
    )
    session.add(ruleset)
    session.flush()
    audit.append(
        session,
        AuditEntry(
            actor.label,
            actor.agency,
            "ruleset.activate",
            "ruleset",
            str(ruleset.seq),
            None,
            compiled.version,
            {"reason": reason, "rules": len(rows), "lists": len(lists)},
        ),
    )
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
    )  # type: ignore[arg-type]
