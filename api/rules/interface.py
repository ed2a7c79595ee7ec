"""The rule store: rules, their versions and lifecycle, and the rulesets approved versions make."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from api.common import Actor


@dataclass(frozen=True)
class RulesetInfo:
    seq: int
    version: str
    rule_versions: tuple[tuple[str, int], ...]
    created_at: dt.datetime
    created_by: str


@dataclass(frozen=True)
class ActiveRule:
    rule_id: str
    number: int
    agency: str
    content: Mapping[str, Any]


class RuleStore(Protocol):
    """Rules, their immutable versions and lifecycle, and the activated rulesets."""

    def ping(self) -> bool:
        """Whether the database answers (for readiness)."""
        ...

    def create_rule(self, agency: str, content: Mapping[str, Any], reason: str, actor: Actor) -> dict[str, Any]: ...

    def add_version(self, rule_id: str, content: Mapping[str, Any], reason: str, actor: Actor) -> dict[str, Any]: ...

    def rollback(self, rule_id: str, to_number: int, reason: str, actor: Actor) -> dict[str, Any]: ...

    def rule(self, rule_id: str) -> dict[str, Any]: ...

    def rule_agency(self, rule_id: str) -> str: ...

    def rules(self, agency: str | None = None) -> list[dict[str, Any]]: ...

    def version(self, rule_id: str, number: int) -> dict[str, Any]: ...

    def transition(self, rule_id: str, number: int, action: str, actor: Actor, reason: str = "") -> dict[str, Any]:
        """``submit``, ``approve``, ``activate`` a version; activation makes a new ruleset."""

    def retire(self, rule_id: str, reason: str, actor: Actor) -> dict[str, Any]: ...

    def import_packs(self, packs: Sequence[tuple[str, Mapping[str, Any]]], actor: Actor) -> RulesetInfo: ...

    def latest_ruleset(self) -> RulesetInfo | None: ...

    def ruleset_rules(self, seq: int) -> tuple[RulesetInfo, list[ActiveRule]]: ...
