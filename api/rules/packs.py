"""Rule packs built from stored rule versions: the one place this is done.

The process that activates a ruleset and every process that loads it build the same packs
in the same order, so the version hash agrees and ``engine.compile_packs`` finds the
activating process's result in its cache.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from engine import PackSource
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
