"""The engine path (normalisation, sharding, durable-rules) agrees with the reference evaluator.

CI runs ``DIFFERENTIAL_EXAMPLES`` (default 2,000) rule packs, each against a batch of
records; the README documents the 100,000-example run.
"""

from __future__ import annotations

import os

from hypothesis import given, reject, settings
from hypothesis import strategies as st

from engine import Evaluator, PackSource, RuleCompilationError, check_record, compile_packs
from engine.reference import matching_rules
from engine.values import parse_datetime
from engine.watchlist import Watchlist, parse_csv
from tests.engine.strategies import AT, WATCHLIST_ROWS, record, rule_pack

EXAMPLES = int(os.environ.get("DIFFERENTIAL_EXAMPLES", "2000"))
_ENTRIES, _PROBLEMS = parse_csv(WATCHLIST_ROWS, today=parse_datetime("2026-01-01T00:00:00Z").date())
assert not _PROBLEMS, _PROBLEMS
WATCHLIST = Watchlist(_ENTRIES)


@settings(max_examples=EXAMPLES)
@given(pack=rule_pack(), records=st.lists(record(), min_size=1, max_size=8), at=st.sampled_from(AT))
def test_engine_agrees_with_reference(pack, records, at):
    try:
        ruleset = compile_packs([PackSource("generated", pack)])
    except RuleCompilationError as exc:
        # The only acceptable rejection of a generated pack is "too complex for one engine ruleset".
        assert {problem.code for problem in exc.problems} == {"too_complex"}, exc.problems
        reject()
    when = parse_datetime(at)
    rules = [compiled.rule for compiled in ruleset.rules]
    with Evaluator(ruleset) as evaluator:
        for raw in records:
            checked = check_record(raw)
            # The reference sees the record as screening leaves it (watchlist.* scores set).
            [screened], _ = evaluator.screen([checked], WATCHLIST, when)
            expected = matching_rules(rules, screened, when)
            result = evaluator.evaluate(checked, when, WATCHLIST)
            assert result.rule_ids == expected, (raw, pack)
            for match in result.matches:
                assert match.why, "every match explains itself"
