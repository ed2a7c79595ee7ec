"""The rule store: rules, their versions and lifecycle, and the rulesets approved versions make."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from api.common import Actor
from api.lifecycle import Version


class RuleVersion(Version):
    """One immutable version of a rule."""

    @property
    def rule_id(self) -> str:
        return self.key


@dataclass(frozen=True)
class Rule:
    """A rule of one agency, with every version it has had (oldest first)."""

    id: str
    agency: str
    created_at: dt.datetime
    created_by: str
    versions: tuple[RuleVersion, ...]

    @property
    def active_version(self) -> int | None:
        return next((v.number for v in self.versions if v.status == "active"), None)

    @property
    def latest_version(self) -> int | None:
        return self.versions[-1].number if self.versions else None

    @property
    def title(self) -> str | None:
        return self.versions[-1].content.get("title") if self.versions else None


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

    def create_rule(self, agency: str, content: Mapping[str, Any], reason: str, actor: Actor) -> RuleVersion: ...

    def add_version(self, rule_id: str, content: Mapping[str, Any], reason: str, actor: Actor) -> RuleVersion: ...

    def rollback(self, rule_id: str, to_number: int, reason: str, actor: Actor) -> RuleVersion: ...

    def rule(self, rule_id: str) -> Rule: ...

    def rule_agency(self, rule_id: str) -> str: ...

    def rules(self, agency: str | None = None) -> list[Rule]: ...

    def version(self, rule_id: str, number: int) -> RuleVersion: ...

    def rule_versions_summary(self, wanted: set[tuple[str, int]]) -> dict[tuple[str, int], tuple[str, str]]:
        """(agency, title) of each (rule id, version number) asked for that exists."""
        ...

    def transition(self, rule_id: str, number: int, action: str, actor: Actor, reason: str = "") -> RuleVersion:
        """``submit``, ``approve``, ``activate`` a version; activation makes a new ruleset."""

    def retire(self, rule_id: str, reason: str, actor: Actor) -> Rule: ...

    def import_packs(self, packs: Sequence[tuple[str, Mapping[str, Any]]], actor: Actor) -> RulesetInfo: ...

    def latest_ruleset(self) -> RulesetInfo | None: ...

    def ruleset_rules(self, seq: int) -> tuple[RulesetInfo, list[ActiveRule]]: ...
