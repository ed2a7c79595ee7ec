"""Rule packs built from stored rule versions: the one place this is done.

The process that activates a ruleset and every process that loads it build the same packs
in the same order, so the version hash agrees and ``engine.compile_packs`` finds the
activating process's result in its cache.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from engine import PackSource


def packs_from_versions(versions: Iterable[tuple[str, Mapping[str, Any]]]) -> list[PackSource]:
    """One pack per agency, ordered by agency, from ``(agency, rule content)`` in rule id order."""
    by_agency: dict[str, list[dict[str, Any]]] = {}
    for agency, content in versions:
        by_agency.setdefault(agency, []).append(dict(content))
    return [
        PackSource(f"store:{agency}", {"agency": agency, "rules": rules}) for agency, rules in sorted(by_agency.items())
    ]
