"""Rule packs built from stored rule versions, the one place this is done; and the engine's checks
of a rule and of a whole ruleset before a store keeps a change.

The process that activates a ruleset and every process that loads it build the same packs
in the same order, so the version hash agrees and ``engine.compile_packs`` finds the
activating process's result in its cache.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from api.audit.interface import AuditEntry
from api.common import Actor, Unprocessable
from engine import CompiledRuleset, PackSource, RuleCompilationError, compile_packs
from engine.errors import group_by_path
from engine.lists import is_list_document

#: How a reference list version is named among a ruleset's entries (``ActiveRule.rule_id``).
LIST_PREFIX = "list:"


def packs_from_versions(versions: Iterable[tuple[str, Mapping[str, Any]]]) -> list[PackSource]:
    """One pack per agency, ordered by agency, from ``(agency, rule content)`` in rule id order; a
    reference list version (a list document) is a source of its own, after the packs."""
    by_agency: dict[str, list[dict[str, Any]]] = {}
    lists: list[PackSource] = []
    for agency, content in versions:
        if is_list_document(content):
            lists.append(PackSource(f"store:list:{content.get('name')}", dict(content)))
        else:
            by_agency.setdefault(agency, []).append(dict(content))
    packs = [
        PackSource(f"store:{agency}", {"agency": agency, "rules": rules}) for agency, rules in sorted(by_agency.items())
    ]
    return packs + sorted(lists, key=lambda pack: pack.source)


def validate_rule_content(agency: str, content: Mapping[str, Any], lists: Sequence[Mapping[str, Any]] = ()) -> None:
    """Raise ``Unprocessable`` with every problem (paths relative to the rule) unless the engine accepts
    it with the active reference ``lists`` (list documents) it may name."""
    try:
        list_packs = [PackSource(f"store:list:{data.get('name')}", dict(data)) for data in lists]
        compile_packs([PackSource("request", {"agency": agency, "rules": [dict(content)]}), *list_packs])
    except RuleCompilationError as exc:
        errors = group_by_path(exc.problems, "rule", strip="rules[0]")
        raise Unprocessable("the rule is not valid", "invalid_rule", errors) from None


def compile_active(versions: Iterable[tuple[str, Mapping[str, Any]]]) -> CompiledRuleset:
    """The ruleset of every active ``(agency, content)`` (rules in id order, then lists), compiled: which
    proves it loads. ``Unprocessable`` (``ruleset_invalid``) when a change would leave it broken, e.g. a
    list version that drops a value type a rule needs, or a rule naming a list that is not active."""
    try:
        return compile_packs(packs_from_versions(versions))
    except RuleCompilationError as exc:
        errors = {f"{p.source}:{p.rule_id}:{p.path}": [p.message] for p in exc.problems}
        raise Unprocessable("the active rules would not compile with this change", "ruleset_invalid", errors) from None


def ruleset_entry(actor: Actor, seq: int, version: str, reason: str, rules: int, lists: int) -> AuditEntry:
    """The audit entry of a new ruleset (every store writes the same)."""
    detail = {"reason": reason, "rules": rules, "lists": lists}
    return AuditEntry(actor.label, actor.agency, "ruleset.activate", "ruleset", str(seq), None, version, detail)


def check_packs(packs: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
    """``Unprocessable`` (``invalid_rule``) with every problem, by source, rule and path, unless the
    packs and lists to import compile."""
    try:
        compile_packs([PackSource(source, data) for source, data in packs])
    except RuleCompilationError as exc:
        errors = {f"{p.source}:{p.rule_id}:{p.path}": [p.message] for p in exc.problems}
        raise Unprocessable("the packs are not valid", "invalid_rule", errors) from None
