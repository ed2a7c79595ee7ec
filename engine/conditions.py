"""The condition tree and rules: what parsing a pack produces and every later stage reads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Union


@dataclass(frozen=True)
class Leaf:
    """``{field: NAME, OP: VALUE}``; ``value`` is typed for the field (a tuple for lists), or for a
    field comparison (``lt_field`` ...) the name of the other field."""

    field: str
    op: str
    value: Any
    path: str
    list_name: str | None = None  # ``in_list``/``not_in_list``: the reference list the values came from

    @property
    def written_op(self) -> str:
        """The operator as the officer wrote it (``in_list``, not the ``in`` it reads as)."""
        if self.list_name:
            return "not_in_list" if self.op == "not_in" else "in_list"
        return self.op


@dataclass(frozen=True)
class All:
    items: tuple[Condition, ...]
    path: str


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Condition, ...]
    path: str


@dataclass(frozen=True)
class Not:
    item: Condition
    path: str


@dataclass(frozen=True)
class AnyLeg:
    """``{any_leg: CONDITION}``: one itinerary leg satisfies ``item``, a condition over ``leg.*`` fields."""

    item: Condition
    path: str


Condition = Union[Leaf, All, AnyOf, Not, AnyLeg]  # noqa: UP007 - recursive alias needs the string-free form


def leaves(condition: Condition) -> Iterator[Leaf]:
    """Every test of ``condition``, however deeply nested (leg tests too), in order (walked without recursion)."""
    pending: list[Condition] = [condition]
    while pending:
        node = pending.pop()
        if isinstance(node, Leaf):
            yield node
        elif isinstance(node, Not | AnyLeg):
            pending.append(node.item)
        else:
            pending.extend(reversed(node.items))


@dataclass(frozen=True)
class Rule:
    id: str
    agency: str
    title: str
    description: str
    weight: int
    action: str
    valid_from: dt.date | None
    valid_until: dt.date | None
    when: Condition
    source: str
    definition: Mapping[str, Any]  # the rule as written, for hashing and display
    path: str = ""  # where the rule sits in its pack, e.g. "rules[3]"

    def valid_on(self, day: dt.date) -> bool:
        if self.valid_from is not None and day < self.valid_from:
            return False
        return not (self.valid_until is not None and day > self.valid_until)
