"""5,000 rules across the three agencies load and evaluate correctly (no pack size hangs the engine)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap


def test_five_thousand_rules_agree_with_the_reference():
    script = textwrap.dedent(
        """
        import datetime as dt, json
        from testing.synthetic import synthetic_packs, synthetic_records
        from engine import Evaluator, PackSource, check_record, compile_packs
        from engine.reference import matching_rules

        packs = [PackSource(f"synthetic-{n}", pack) for n, pack in enumerate(synthetic_packs(5000, seed=7))]
        ruleset = compile_packs(packs)
        evaluator = Evaluator(ruleset)
        at = dt.datetime(2026, 12, 1, tzinfo=dt.timezone.utc)
        rules = [compiled.rule for compiled in ruleset.rules]
        records = [check_record(raw) for raw in synthetic_records(400, seed=8)]
        disagreements = sum(evaluator.evaluate(r, at).rule_ids != matching_rules(rules, r, at) for r in records)
        hits = sum(bool(matching_rules(rules, r, at)) for r in records)
        agencies = sorted({c.rule.agency for c in ruleset.rules})
        print(json.dumps({"rules": ruleset.rule_count, "shards": len(ruleset.shards), "hits": hits,
                          "disagreements": disagreements, "agencies": agencies}))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert result["rules"] == 5000
    assert result["agencies"] == ["customs", "immigration", "mpi"]
    assert result["shards"] > 10  # sharded, not one ruleset
    assert 0 < result["hits"] < 400  # the comparison is not vacuous
    assert result["disagreements"] == 0
