"""The reference list store: named lists of values, versioned and approved like rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from api.common import Actor, Unprocessable
from api.lifecycle import Version
from engine.language import AGENCIES
from engine.lists import parse_list


class ListVersion(Version):
    """One immutable version of a reference list: the list document."""

    @property
    def name(self) -> str:
        return self.key

    @property
    def value_count(self) -> int:
        return len(self.content.get("values", []))


@dataclass(frozen=True)
class ReferenceList:
    """A named list of one agency, with every version it has had (oldest first)."""

    name: str
    agency: str
    created_at: dt.datetime
    created_by: str
    versions: tuple[ListVersion, ...]

    @property
    def active(self) -> ListVersion | None:
        return next((v for v in self.versions if v.status == "active"), None)

    @property
    def active_version(self) -> int | None:
        active = self.active
        return active.number if active else None

    @property
    def _shown(self) -> ListVersion | None:
        # What the list says of itself: its active version's words, else its newest draft's.
        return self.active or (self.versions[-1] if self.versions else None)

    @property
    def description(self) -> str:
        shown = self._shown
        return str(shown.content.get("description", "")) if shown else ""

    @property
    def shared(self) -> bool:
        shown = self._shown
        return bool(shown.content.get("shared", False)) if shown else False

    @property
    def value_count(self) -> int:
        active = self.active
        return active.value_count if active else 0


@dataclass(frozen=True)
class ListChange:
    """What one version of a list changes from another: values added and removed, other keys changed."""

    name: str
    from_version: int
    to_version: int
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: Mapping[str, Mapping[str, Any]]


def list_change(name: str, old: int, new: int, before: Mapping[str, Any], after: Mapping[str, Any]) -> ListChange:
    """The change from document ``before`` (version ``old``) to ``after`` (version ``new``)."""
    old_values, new_values = set(map(str, before.get("values", []))), set(map(str, after.get("values", [])))
    changed = {
        key: {"from": before.get(key), "to": after.get(key)}
        for key in sorted(set(before) | set(after))
        if key != "values" and before.get(key) != after.get(key)
    }
    return ListChange(
        name, old, new, tuple(sorted(new_values - old_values)), tuple(sorted(old_values - new_values)), changed
    )


def validate_list(agency: str, content: Mapping[str, Any], name: str | None = None) -> None:
    """Raise ``Unprocessable`` with every problem, by key, unless ``content`` is a valid list of ``agency``."""
    if not isinstance(content, Mapping):
        raise Unprocessable("the list is not valid", "invalid_list", {"list": ["must be an object"]})
    _, problems = parse_list(content, "request", AGENCIES)
    errors: dict[str, list[str]] = {}
    for problem in problems:
        errors.setdefault(problem.path or "list", []).append(problem.message)
    if content.get("agency") != agency:
        errors.setdefault("agency", []).append(f"must be {agency}, the agency that owns the list")
    if name is not None and content.get("name") != name:
        errors.setdefault("name", []).append(f"must stay {name}")
    if errors:
        raise Unprocessable("the list is not valid", "invalid_list", errors)


class ListStore(Protocol):
    def lists(self) -> list[ReferenceList]:
        """Every list, by name, with its versions."""
        ...

    def list(self, name: str) -> ReferenceList: ...

    def list_agency(self, name: str) -> str: ...

    def version(self, name: str, number: int) -> ListVersion: ...

    def create(self, agency: str, content: Mapping[str, Any], reason: str, actor: Actor) -> ListVersion: ...

    def add_version(self, name: str, content: Mapping[str, Any], reason: str, actor: Actor) -> ListVersion: ...

    def transition(self, name: str, number: int, action: str, actor: Actor, reason: str = "") -> ListVersion:
        """submit, approve (not by the author) or activate (a new ruleset, which must compile)."""
        ...

    def diff(self, name: str, old: int, new: int) -> ListChange:
        """The values one version adds and removes, and the other keys it changes."""
        ...
