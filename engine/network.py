"""A model of the alpha network durable-rules builds for one ruleset, to prove it safe.

durable-rules turns each ``$and`` chain into a path of alpha nodes below the root,
reusing an existing child when the property, operator and value are identical (its
``findAlpha``; array tests are never reused). For one fact it walks that tree depth first
with a fixed stack of 64 nodes: a node's matching children are all pushed before the
first is visited. Other fixed limits hang or crash the process: 512 children under one
node, 256 rules ending on one node, 128 ``$nex`` children.

This model counts, for the tree the compiler is about to load, the worst stack depth any
fact can cause. Equality children on one property exclude each other (a fact has one
value), as do ``$nex`` and every other test on the same property, so the bound stays
tight for rules that share a route. A shard is accepted only when every figure is well
under its limit; ``tests/engine/test_network.py`` checks the model against the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field

# Engine test operators (durable-rules spelling in the adapter).
EQ, NEQ, LT, LTE, GT, GTE, EX, NEX, ANY_EQ, ALL_NEQ = (
    "eq",
    "neq",
    "lt",
    "lte",
    "gt",
    "gte",
    "ex",
    "nex",
    "any_eq",
    "all_neq",
)


@dataclass(frozen=True)
class EngineTest:
    """One primitive engine test on one property of the fact: a flag (``#<id>``) or, in the
    model's own tests, a catalogue field."""

    field: str
    op: str
    value: str | int | list[str] | None
    # Flags of one group are never set together (one value of one field): for the model only.
    exclusive: str | None = dataclass_field(default=None, compare=False)

    @property
    def key(self) -> tuple[str, str, object]:
        """What the engine tests."""
        return (self.field, self.op, tuple(self.value) if isinstance(self.value, list) else self.value)


Conjunction = tuple[EngineTest, ...]

MAX_STACK = 48  # durable-rules: 64
MAX_CHILDREN = 400  # durable-rules: hangs at 512
MAX_RULES_PER_NODE = 200  # durable-rules: crashes at 256
MAX_NEX_CHILDREN = 100  # durable-rules: fails at 128


def engine_order(conjunction: Conjunction) -> list[EngineTest]:
    """The order tests are chained in the engine (shared by the adapter and this model): as
    the compiler arranged them (routing flag first, then by flag)."""
    return list(conjunction)


@dataclass
class _FieldChildren:
    equal: int = 0
    other: int = 0
    missing: bool = False

    @property
    def simultaneous(self) -> int:
        """Most children on this property that one fact can make true at once."""
        return max(1 if self.missing else 0, min(1, self.equal) + self.other)


@dataclass
class _Node:
    children: dict[tuple[str, str, object], _Node] = dataclass_field(default_factory=dict)
    array_children: list[_Node] = dataclass_field(default_factory=list)
    per_field: dict[str, _FieldChildren] = dataclass_field(default_factory=dict)
    rules_ending: int = 0
    nex_children: int = 0
    true_at_once: int = 0  # sum over fields of _FieldChildren.simultaneous
    deepest_child_stack: int = 0  # max stack over children subtrees
    stack: int = 0  # worst stack while visiting this node's subtree

    def child_count(self) -> int:
        return len(self.children) + len(self.array_children)


class AlphaNetwork:
    """The network of one engine ruleset, grown one rule at a time."""

    def __init__(self, max_rules: int = 1000) -> None:
        self.max_rules = max_rules
        self.marker = _Node()
        self.rules: list[Sequence[Conjunction]] = []

    def fits(self, conjunctions: Sequence[Conjunction]) -> bool:
        """Add a rule if the network stays within every limit; leave it unchanged otherwise."""
        if len(self.rules) >= self.max_rules:
            return False
        results = [self._insert(engine_order(c)) for c in conjunctions]
        if all(results):
            self.rules.append(conjunctions)
            return True
        # Rare (once per full shard): rebuild without the rule rather than keep an undo log.
        kept = self.rules
        self.marker, self.rules = _Node(), []
        for rule in kept:
            for conjunction in rule:
                self._insert(engine_order(conjunction))
        self.rules = kept
        return False

    @property
    def worst_stack(self) -> int:
        return max(1, self.marker.stack)

    def _insert(self, tests: list[EngineTest]) -> bool:
        path = [self.marker]
        node = self.marker
        for test in tests:
            node = self._child(node, test)
            path.append(node)
        node.rules_ending += 1
        ok = node.rules_ending <= MAX_RULES_PER_NODE
        # Children's bounds only grow, so updating along the new path keeps every node exact.
        for position in range(len(path) - 1, -1, -1):
            current = path[position]
            if position + 1 < len(path):
                current.deepest_child_stack = max(current.deepest_child_stack, path[position + 1].stack)
            current.stack = max(current.true_at_once, current.true_at_once - 1 + current.deepest_child_stack)
            ok = ok and current.child_count() <= MAX_CHILDREN and current.nex_children <= MAX_NEX_CHILDREN
        return ok and self.marker.stack <= MAX_STACK

    @staticmethod
    def _child(node: _Node, test: EngineTest) -> _Node:
        if test.op in (ANY_EQ, ALL_NEQ):
            child = _Node()
            node.array_children.append(child)
        else:
            existing = node.children.get(test.key)
            if existing is not None:
                return existing
            child = node.children[test.key] = _Node()
            if test.op == NEX:
                node.nex_children += 1
        counts = node.per_field.setdefault(test.exclusive or test.field, _FieldChildren())
        before = counts.simultaneous
        if test.op == EQ:
            counts.equal += 1
        elif test.op == NEX:
            counts.missing = True
        else:
            counts.other += 1
        node.true_at_once += counts.simultaneous - before
        return child
