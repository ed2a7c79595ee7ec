"""The ``shard`` stage: compiled rules packed into engine rulesets, routed by their anchors."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from engine.atoms import Atom
from engine.gates import engine_tests
from engine.network import AlphaNetwork
from engine.ruleset import CompiledRule, Shard

# Rules per engine ruleset. A fact's cost grows with the children of each node it reaches
# (durable-rules scans them from the same 32 hash slots), so rulesets stay small and a
# record visits only those where one of its true atoms routes it.
MAX_RULES_PER_SHARD = 400
# Flags one ruleset tests: a fact holds at most 255 properties (error 302 past that).
MAX_FLAGS_PER_SHARD = 200


class Packing:
    """Rules packed into engine rulesets (the ``shard`` stage), rules routed by the same atoms together.

    A record visits the rulesets its true atoms route it to, plus those of rules with no
    routing atom (which can match with no test true, like ``not`` alone), and only the
    sub-expressions of the rules so reached are computed.
    """

    def __init__(self, rules: list[CompiledRule], atoms: Sequence[Atom]) -> None:
        self.rules, self.atoms = rules, atoms
        self.shards: list[Shard] = []
        self.always: list[int] = []
        self.routes: dict[int, list[int]] = defaultdict(list)
        self.pairs: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
        self.route_subs: dict[int, set[int]] = defaultdict(set)
        self.pair_subs: dict[int, dict[int, set[int]]] = defaultdict(lambda: defaultdict(set))
        self.always_subs: set[int] = set()
        batch: list[int] = []
        flags: set[int] = set()
        network = AlphaNetwork(MAX_RULES_PER_SHARD)
        unrouted = False
        for position in sorted(range(len(rules)), key=self._placement):
            compiled = rules[position]
            tests = [engine_tests(c, atoms) for c in compiled.conjunctions]
            new_flags = {flag for c in compiled.conjunctions for flag, _ in c}
            unrouted_now = compiled.anchors is None
            if batch and (
                unrouted_now != unrouted or len(flags | new_flags) > MAX_FLAGS_PER_SHARD or not network.fits(tests)
            ):
                self._close(batch, unrouted)
                batch, flags, network = [], set(), AlphaNetwork(MAX_RULES_PER_SHARD)
                network.fits(tests)
            elif not batch:
                network.fits(tests)
            unrouted = unrouted_now
            batch.append(position)
            flags |= new_flags
        if batch:
            self._close(batch, unrouted)

    def _placement(self, position: int) -> tuple[Any, ...]:
        # Rules routed by one field sit together: a record sets one value of a field, so it
        # visits one of that field's rulesets rather than one per ruleset holding the field.
        compiled = self.rules[position]
        anchors, second = compiled.anchors, compiled.second
        fields = tuple(sorted({self.atoms[a].field for a in anchors})) if anchors else ()
        return (anchors is None, fields, anchors or (), -1 if second is None else second, compiled.rule.id)

    def _close(self, batch: list[int], unrouted: bool) -> None:
        index = len(self.shards)
        self.shards.append(
            Shard(tuple(batch), frozenset(flag for p in batch for c in self.rules[p].conjunctions for flag, _ in c))
        )
        if unrouted:
            self.always.append(index)
        for position in batch:
            compiled = self.rules[position]
            subs = {flag for c in compiled.conjunctions for flag, _ in c if flag >= len(self.atoms)}
            if compiled.anchors is None:
                self.always_subs |= subs
            for anchor in compiled.anchors or ():
                if compiled.second is None:
                    found = self.routes[anchor]
                    self.route_subs[anchor] |= subs
                else:
                    found = self.pairs[anchor][compiled.second]
                    self.pair_subs[anchor][compiled.second] |= subs
                if not found or found[-1] != index:
                    found.append(index)
