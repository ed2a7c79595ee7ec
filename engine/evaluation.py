"""Evaluation: a passenger record against a compiled ruleset, with explanations and a score.

The combined risk score is a "noisy OR" of the matching rules' weights read as
percentages: ``score = 100 * (1 - prod(1 - weight / 100))``, rounded to one decimal. It
is 0 with no match, never exceeds 100, grows with every extra match, and one rule of
weight w alone scores exactly w.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from engine import durable_adapter
from engine.compiler import CompiledRuleset
from engine.errors import RecordError
from engine.language import Leaf, Rule, leaves
from engine.normalise import EngineTest
from engine.records import PassengerRecord, check_record, cut_score, with_watchlist
from engine.reference import value_holds
from engine.regex import SafePattern
from engine.values import EngineValue, encode, to_json
from engine.watchlist import Watchlist


@dataclass(frozen=True)
class Reason:
    """One leaf condition that held (or, under ``not``, whose negation held)."""

    path: str
    field: str
    operator: str
    expected: Any
    actual: Any
    negated: bool
    watchlist: tuple[dict[str, Any], ...] = ()  # the entries a watchlist condition matched

    def as_dict(self) -> dict[str, Any]:
        found = {
            "path": self.path,
            "field": self.field,
            "operator": ("not " if self.negated else "") + self.operator,
            "expected": self.expected,
            "actual": self.actual,
        }
        if self.watchlist:
            found["watchlist"] = list(self.watchlist)
        return found


@dataclass(frozen=True)
class Match:
    rule: Rule
    why: tuple[Reason, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule.id,
            "agency": self.rule.agency,
            "title": self.rule.title,
            "weight": self.rule.weight,
            "action": self.rule.action,
            "why": [reason.as_dict() for reason in self.why],
        }


@dataclass(frozen=True)
class Evaluation:
    passenger_id: str | None
    ruleset_version: str
    matches: tuple[Match, ...]
    watchlist_version: str | None = None  # the list screened against; None when no rule tests it

    @property
    def score(self) -> float:
        return combined_score(match.rule.weight for match in self.matches)

    @property
    def rule_ids(self) -> list[str]:
        return [match.rule.id for match in self.matches]

    def as_dict(self) -> dict[str, Any]:
        return {
            "passenger_id": self.passenger_id,
            "ruleset_version": self.ruleset_version,
            "watchlist_version": self.watchlist_version,
            "score": self.score,
            "matches": [match.as_dict() for match in self.matches],
        }


def combined_score(weights: Iterable[int]) -> float:
    remaining = math.prod(1 - weight / 100 for weight in weights)
    return float(round(100 * (1 - remaining), 1))


class BaseEvaluator:
    """Evaluation on a compiled ruleset; subclasses decide where durable-rules runs."""

    def __init__(self, ruleset: CompiledRuleset) -> None:
        self.ruleset = ruleset
        self._leaves = [_leaves_by_path(compiled.rule) for compiled in ruleset.rules]

    @property
    def version(self) -> str:
        return self.ruleset.version

    def fire_batch(self, records: Sequence[PassengerRecord]) -> list[dict[int, set[int]]]:
        """For each record: rule position -> the branches of that rule the engine matched."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> BaseEvaluator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def evaluate(
        self,
        record: PassengerRecord | Mapping[str, Any],
        at: dt.datetime | None = None,
        watchlist: Watchlist | None = None,
    ) -> Evaluation:
        """Every rule the record matches at ``at`` (default: now), with why; raises ``RecordError``."""
        checked = record if isinstance(record, PassengerRecord) else check_record(record)
        return self.evaluate_batch([checked], at, watchlist)[0]

    def evaluate_batch(
        self,
        records: Sequence[PassengerRecord],
        at: dt.datetime | None = None,
        watchlist: Watchlist | None = None,
    ) -> list[Evaluation]:
        """Checked records evaluated in one engine round trip (what a manifest wants).

        When a rule tests the joint watchlist, each record is screened against ``watchlist``
        first (no list: no matches, every score 0).
        """
        when = (at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
        day = when.date()
        screened, version = self.screen(records, watchlist, when)
        return [
            self._assemble(record, fired, day, version)
            for record, fired in zip(screened, self.fire_batch(screened), strict=True)
        ]

    def screen(
        self, records: Sequence[PassengerRecord], watchlist: Watchlist | None, at: dt.datetime
    ) -> tuple[list[PassengerRecord], str | None]:
        """The records with their ``watchlist.*`` scores set, and the list's version (None: not used)."""
        floor = self.ruleset.watchlist_floor
        if floor is None:
            return list(records), None
        if watchlist is None:
            return [with_watchlist(record, ()) for record in records], None
        # Screen down to the lowest threshold any rule asks for; the list's own threshold is
        # where blocking guarantees it finds every match.
        threshold = min(float(floor), watchlist.settings.min_score)
        day = at.date()
        return [
            with_watchlist(record, watchlist.screen(record, at=day, min_score=threshold)) for record in records
        ], watchlist.version

    def evaluate_many(
        self, records: Iterable[Mapping[str, Any]], at: dt.datetime | None = None
    ) -> list[Evaluation | RecordError]:
        """One result per record, in order; a bad record gives its error and the rest still run."""
        results: list[Evaluation | RecordError] = []
        for record in records:
            try:
                results.append(self.evaluate(record, at))
            except RecordError as exc:
                results.append(exc)
        return results

    def _assemble(
        self, record: PassengerRecord, fired: Mapping[int, set[int]], day: dt.date, watchlist_version: str | None
    ) -> Evaluation:
        matches = []
        for position in sorted(fired):
            rule = self.ruleset.rules[position].rule
            if rule.valid_on(day):
                matches.append(Match(rule, self._explain(position, fired[position], record)))
        return Evaluation(record.passenger_id, self.ruleset.version, tuple(matches), watchlist_version)

    def _explain(self, position: int, branches: set[int], record: PassengerRecord) -> tuple[Reason, ...]:
        compiled = self.ruleset.rules[position]
        by_path = self._leaves[position]
        reasons: dict[str, Reason] = {}
        for branch in sorted(branches):
            for test in compiled.conjunctions[branch]:
                if test.leaf_path not in reasons:
                    reasons[test.leaf_path] = _reason(by_path[test.leaf_path], test, record)
        return tuple(sorted(reasons.values(), key=lambda reason: reason.path))


class Evaluator(BaseEvaluator):
    """A compiled ruleset loaded into durable-rules in this process. Safe to share between threads."""

    def __init__(self, ruleset: CompiledRuleset) -> None:
        super().__init__(ruleset)
        definitions = []
        for shard in ruleset.shards:
            engine_rules = {
                f"c{position}_{branch}": conjunction
                for position in shard.rules
                for branch, conjunction in enumerate(ruleset.rules[position].conjunctions)
            }
            definitions.append(durable_adapter.ruleset_definition(engine_rules))
        self._engine = durable_adapter.load(definitions)
        # durable-rules never releases the GIL, so one lock costs no parallelism and
        # keeps each assert/drain/retract sequence whole.
        self._lock = threading.Lock()
        self._patterns: dict[str, tuple[str, SafePattern]] = {
            f"regex:{n}": entry for n, entry in enumerate(ruleset.regexes)
        }

    def close(self) -> None:
        """Free the engine rulesets; evaluating afterwards raises ``EngineFailure``."""
        with self._lock:
            for engine_ruleset in self._engine:
                engine_ruleset.close()

    def fire_batch(self, records: Sequence[PassengerRecord]) -> list[dict[int, set[int]]]:
        return [self._fire(record) for record in records]

    def _shards_for(self, record: PassengerRecord) -> list[int]:
        visited = dict.fromkeys(self.ruleset.always)
        for name, table in self.ruleset.routes.items():
            value = record.get(name)
            if value is None:
                continue
            for key in value if isinstance(value, tuple) else (value,):
                visited.update(dict.fromkeys(table.get(key, ())))
        return list(visited)

    def _fire(self, record: PassengerRecord) -> dict[int, set[int]]:
        fragments: dict[str, str] = {}
        payloads = []
        for index in self._shards_for(record):
            parts = []
            for name in self.ruleset.shards[index].fields:
                part = fragments.get(name)
                if part is None:
                    value = self._engine_value(name, record)
                    part = fragments[name] = "" if value is None else durable_adapter.fragment(name, value)
                if part:
                    parts.append(part)
            payloads.append((index, durable_adapter.payload(parts)))
        with self._lock:
            names = [self._engine[index].fire(fact) for index, fact in payloads]
        fired: dict[int, set[int]] = {}
        for fired_names in names:
            for name in fired_names:
                position, branch = name[1:].split("_")
                fired.setdefault(int(position), set()).add(int(branch))
        return fired

    def _engine_value(self, name: str, record: PassengerRecord) -> EngineValue | None:
        if name in self._patterns:
            field, pattern = self._patterns[name]
            value = record.get(field)
            return 1 if isinstance(value, str) and pattern.fullmatch(value) else 0
        value = record.get(name)
        return None if value is None else encode(value)


def _reason(leaf: Leaf, test: EngineTest, record: PassengerRecord) -> Reason:
    value = leaf.value
    expected = value.source if isinstance(value, SafePattern) else to_json(value)
    # Paths are shown relative to the rule ("when.all[1]"), not to the pack it came from.
    path = leaf.path[leaf.path.index("when") :]
    entries: tuple[dict[str, Any], ...] = ()
    if leaf.field.startswith("watchlist.") and not test.negated:
        category = leaf.field.removeprefix("watchlist.").removesuffix("_score")
        # The entries that pass the leaf's own test, whatever its operator: each entry's
        # score read as the field's value.
        entries = tuple(
            match.as_dict()
            for match in record.watchlist
            if (category == "score" or match.entry.category == category)
            and value_holds(leaf.op, value, cut_score(match.score))
        )
    return Reason(path, leaf.field, leaf.op, expected, to_json(record.get(leaf.field)), test.negated, entries)


def _leaves_by_path(rule: Rule) -> dict[str, Leaf]:
    return {leaf.path: leaf for leaf in leaves(rule.when)}
