"""The reference list store: named lists of values, versioned and approved like rules."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from api.common import Actor


class ListStore(Protocol):
    def lists(self) -> list[dict[str, Any]]:
        """Every list: name, owner, whether it is shared, its active version (no values)."""
        ...

    def list(self, name: str) -> dict[str, Any]:
        """One list with the history of its versions (no values)."""
        ...

    def list_agency(self, name: str) -> str: ...

    def version(self, name: str, number: int) -> dict[str, Any]:
        """One version, with its document (values included)."""
        ...

    def create(self, agency: str, content: Mapping[str, Any], reason: str, actor: Actor) -> dict[str, Any]: ...

    def add_version(self, name: str, content: Mapping[str, Any], reason: str, actor: Actor) -> dict[str, Any]: ...

    def transition(self, name: str, number: int, action: str, actor: Actor, reason: str = "") -> dict[str, Any]:
        """submit, approve (not by the author) or activate (a new ruleset, which must compile)."""
        ...

    def diff(self, name: str, old: int, new: int) -> dict[str, Any]:
        """The values one version adds and removes, and the other keys it changes."""
        ...
