"""Every crash, hang and silent misbehaviour of durable-rules 2.0.28 listed in
``../shared/notes/durable-rules.md`` is out of reach through the rule language or a record:
the input is rejected with a clear error, or evaluated correctly.

Cases that would kill or freeze the process if the protection regressed run in a child
process with a timeout, so a regression fails the test instead of taking pytest down.
"""

from __future__ import annotations

import inspect
import subprocess
import sys
import textwrap
import threading

import pytest

from engine import Evaluator, PackSource, RecordError, RuleCompilationError, compile_packs, durable_adapter
from engine.catalogue import CATALOGUE
from engine.language import MAX_DEPTH

ARRIVAL = "2026-12-03T08:00:00+13:00"


def pack(*rules: dict) -> list[PackSource]:
    full = []
    for number, rule in enumerate(rules):
        full.append({"id": f"TST-{number:04d}", "title": "t", "weight": 10, "action": "notify", **rule})
    return [PackSource("test", {"agency": "customs", "rules": full})]


def problems_of(*rules: dict) -> list[tuple[str, str]]:
    with pytest.raises(RuleCompilationError) as caught:
        compile_packs(pack(*rules))
    return [(p.code, p.path) for p in caught.value.problems]


def run_isolated(body: str, timeout: float = 60) -> str:
    """Run ``body`` in a fresh interpreter; fail on a crash or a hang, return its stdout."""
    prelude = "from engine import *\nfrom engine.compiler import PackSource\n"
    try:
        done = subprocess.run(
            [sys.executable, "-c", prelude + textwrap.dedent(body)],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"engine hung (> {timeout}s)")
    assert done.returncode == 0, f"child exited with {done.returncode}: {done.stderr[-2000:]}"
    return done.stdout


# --- crashes and hangs -------------------------------------------------------------


def test_adapter_never_deletes_state_and_never_uses_host():
    # delete_state on an unmatched session is a SIGSEGV; Host runs actions on threads and loses hits.
    source = inspect.getsource(durable_adapter)
    assert "delete_state" not in source.replace("never ``delete_state``", "").replace("never delete_state", "")
    assert "Host" not in source.replace("``durable.engine.Host``", "")
    assert "import durable_rules_engine" in source


def test_only_the_adapter_imports_durable_rules():
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[2]
    pattern = re.compile(r"^\s*(import|from)\s+durable", re.MULTILINE)
    importers = [
        path.relative_to(root).as_posix()
        for path in root.glob("*/**/*.py")
        if ".venv" not in path.parts and "tests" not in path.parts and pattern.search(path.read_text())
    ]
    assert importers == ["engine/durable_adapter.py"]


def test_many_non_matching_records_in_one_session():
    out = run_isolated(
        """
        rs = compile_packs([PackSource("t", {"agency": "mpi", "rules": [
            {"id": "MPI-0001", "title": "t", "weight": 5, "action": "notify",
             "when": {"field": "declarations.food", "eq": True}}]})])
        ev = Evaluator(rs)
        hits = sum(len(ev.evaluate({"declarations": {"food": i % 7 == 0}}).matches) for i in range(5000))
        print(hits)
        """
    )
    assert out.split() == [str(len(range(0, 5000, 7)))]


@pytest.mark.parametrize("rules", [600, 1200])
def test_more_than_512_children_under_one_node_do_not_hang(rules):
    # 512+ rules whose first test differs made one node with 512 children: endless loop.
    out = run_isolated(
        f"""
        rules = [{{"id": f"CUS-{{i:04d}}", "title": "t", "weight": 5, "action": "notify",
                   "when": {{"field": "booking.checked_bags", "eq": i % 51}}}} for i in range({rules})]
        rs = compile_packs([PackSource("t", {{"agency": "customs", "rules": rules}})])
        ev = Evaluator(rs)
        print(len(rs.shards), len(ev.evaluate({{"booking": {{"checked_bags": 7}}}}).matches))
        """
    )
    shards, matches = map(int, out.split())
    assert shards > 1
    assert matches == len([i for i in range(rules) if i % 51 == 7])


def test_300_rules_with_one_identical_condition_all_match():
    # 256 identical conditions crashed; more than 64 true at once raised error 303.
    out = run_isolated(
        """
        rules = [{"id": f"CUS-{i:04d}", "title": "t", "weight": 1, "action": "notify",
                  "when": {"field": "booking.payment_method", "eq": "cash"}} for i in range(300)]
        rs = compile_packs([PackSource("t", {"agency": "customs", "rules": rules})])
        ev = Evaluator(rs)
        print(len(ev.evaluate({"booking": {"payment_method": "cash"}}).matches),
              len(ev.evaluate({"booking": {"payment_method": "card"}}).matches))
        """
    )
    assert out.split() == ["300", "0"]


def test_many_simultaneous_matches_across_operators():
    rules = [{"when": {"field": "booking.checked_bags", "gt": i % 10}} for i in range(200)]
    rules += [{"when": {"not": {"field": "booking.travel_agency", "exists": True}}} for _ in range(150)]
    ruleset = compile_packs(pack(*rules))
    with Evaluator(ruleset) as evaluator:
        assert len(evaluator.evaluate({"booking": {"checked_bags": 10}}).matches) == 350
        assert len(evaluator.evaluate({"booking": {"checked_bags": 0, "travel_agency": "X"}}).matches) == 0


def test_division_and_arithmetic_are_not_in_the_language():
    # $div by integer zero is a SIGFPE.
    assert problems_of({"when": {"field": "booking.checked_bags", "div": 0}}) == [
        ("unknown_operator", "rules[0].when.div")
    ]
    assert ("invalid_value", "rules[0].when.gt") in problems_of(
        {"when": {"field": "booking.checked_bags", "gt": {"$div": {"$l": 1, "$r": 0}}}}
    )


def test_no_joins_or_field_references():
    # Joins of two facts with $neq read invalid memory. Values are literals only.
    found = problems_of({"when": {"field": "traveller.nationality", "ne": {"field": "document.issuing_country"}}})
    assert found == [("invalid_value", "rules[0].when.ne")]


def test_session_id_is_fixed_and_records_cannot_supply_one():
    # A megabyte sid was copied onto the C stack: SIGSEGV.
    ruleset = compile_packs(pack({"when": {"field": "passenger_id", "exists": True}}))
    with Evaluator(ruleset) as evaluator:
        with pytest.raises(RecordError) as caught:
            evaluator.evaluate({"sid": "x" * 5_000_000})
        assert [p.path for p in caught.value.problems] == ["sid"]
        with pytest.raises(RecordError) as caught:
            evaluator.evaluate({"passenger_id": "x" * 5_000_000})
        assert [p.path for p in caught.value.problems] == ["passenger_id"]
    payload = durable_adapter.encode_payload([("passenger_id", "P1")])
    assert '"sid":"s"' in payload


def test_negative_only_rules_match_correctly_without_looping():
    # A rule made only of $nex matched the engine's state fact: endless loop or a false hit.
    out = run_isolated(
        """
        rules = [{"id": f"INZ-{i:04d}", "title": "t", "weight": 5, "action": "notify",
                  "when": {"field": f, "exists": False}}
                 for i, f in enumerate(["visa.type", "document.number", "booking.reference"])]
        rs = compile_packs([PackSource("t", {"agency": "immigration", "rules": rules})])
        ev = Evaluator(rs)
        full = {"visa": {"type": "NONE"}, "document": {"number": "A1"}, "booking": {"reference": "ABCDE"}}
        print(ev.evaluate({}).rule_ids, ev.evaluate({"visa": {"type": "NONE"}}).rule_ids, ev.evaluate(full).rule_ids)
        """,
        timeout=30,
    )
    assert out.strip() == "['INZ-0000', 'INZ-0001', 'INZ-0002'] ['INZ-0001', 'INZ-0002'] []"


def test_deeply_nested_input_is_rejected():
    # Nesting 200k deep crashed the engine's parser.
    deep: object = "x"
    for _ in range(10_000):
        deep = [deep]
    with pytest.raises(RecordError):
        from engine import check_record

        check_record({"traveller": {"family_name": deep}})
    condition: dict = {"field": "booking.one_way", "eq": True}
    for _ in range(MAX_DEPTH + 8):
        condition = {"not": condition}
    assert problems_of({"when": condition})[0][0] == "too_deep"


# --- silent misbehaviour -----------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "path"),
    [
        ({"field": "booking.checked_bags", "eq": "30"}, "rules[0].when.eq"),  # 30 == "30"
        ({"field": "booking.checked_bags", "eq": 30.5}, "rules[0].when.eq"),
        ({"field": "booking.one_way", "eq": 1}, "rules[0].when.eq"),  # true == 1
        ({"field": "booking.one_way", "eq": "true"}, "rules[0].when.eq"),  # true == "true"
        ({"field": "traveller.family_name", "gt": "A"}, "rules[0].when.gt"),  # "9" > "18"
        ({"field": "traveller.nationality", "lt": 18}, "rules[0].when.lt"),  # "abc" > 18
        ({"field": "document.expiry_date", "lt": "soon"}, "rules[0].when.lt"),
        ({"field": "flight.scheduled_departure", "eq": "2026-01-01T00:00:00Z"}, "rules[0].when.eq"),
    ],
)
def test_loose_typing_is_rejected_at_compile_time(condition, path):
    assert [p for p in problems_of({"when": condition}) if p[1] == path]


@pytest.mark.parametrize(
    ("record", "path"),
    [
        ({"booking": {"checked_bags": "30"}}, "booking.checked_bags"),
        ({"booking": {"checked_bags": True}}, "booking.checked_bags"),
        ({"booking": {"one_way": 1}}, "booking.one_way"),
        ({"booking": {"one_way": "true"}}, "booking.one_way"),
        ({"traveller": {"nationality": 554}}, "traveller.nationality"),
        ({"document": {"expiry_date": 20270101}}, "document.expiry_date"),
    ],
)
def test_loose_typing_is_rejected_in_records(record, path):
    from engine import check_record

    with pytest.raises(RecordError) as caught:
        check_record(record)
    assert [p.path for p in caught.value.problems] == [path]


def test_numeric_looking_strings_compare_as_strings():
    ruleset = compile_packs(pack({"when": {"field": "booking.travel_agency", "eq": "30"}}))
    with Evaluator(ruleset) as evaluator:
        for agency, hit in (("30", True), ("30.0", False), ("030", False), ("3e1", False)):
            assert bool(evaluator.evaluate({"booking": {"travel_agency": agency}}).matches) is hit, agency


def fnv1a_32(data: bytes) -> int:
    value = 0x811C9DC5
    for byte in data:
        value = ((value ^ byte) * 16777619) & 0xFFFFFFFF
    return value


def test_engine_property_names_do_not_collide():
    # durable-rules identifies properties by a 32-bit FNV-1a hash of their name.
    names = [durable_adapter.property_name(f) for f in CATALOGUE]
    names += [durable_adapter.property_name(f"#{n}") for n in range(durable_adapter.CHECKED_FLAGS)]
    names += [durable_adapter.MARKER, "sid", "id", "$s"]
    assert len(set(names)) == len(names)
    hashes = {fnv1a_32(name.encode()) for name in names}
    assert len(hashes) == len(names)
    assert {durable_adapter.fnv1a_32(name) for name in names} == hashes
    assert not durable_adapter.flag_names_collide(durable_adapter.CHECKED_FLAGS)


@pytest.mark.parametrize(
    ("pattern", "value", "hit"),
    [
        ("\\d{7}", "1234567", True),  # \d never matched in durable-rules
        ("^AB$", "AB", True),  # neither did ^ and $
        ("AB", "XABX", False),  # whole value, not a substring
        ("(?i)ab", "AB", True),
        ("[A-Z]{2}[0-9]{1,300}", "AB" + "1" * 98, True),  # {1,300} was error 501
        ("[A-Z]{2}[0-9]{1,300}", "AB" + "1" * 97 + "x", False),
    ],
)
def test_regular_expressions_match_the_whole_value_with_usual_syntax(pattern, value, hit):
    ruleset = compile_packs(pack({"when": {"field": "booking.travel_agency", "matches": pattern}}))
    with Evaluator(ruleset) as evaluator:
        assert bool(evaluator.evaluate({"booking": {"travel_agency": value}}).matches) is hit


def test_huge_alternation_is_rejected_or_evaluated_correctly():
    words = [f"AGENCY{n:04d}" for n in range(1000)]  # a 1000-way alternation was error 503
    pattern = "|".join(words)
    try:
        ruleset = compile_packs(pack({"when": {"field": "booking.travel_agency", "matches": pattern}}))
    except RuleCompilationError as exc:
        assert [p.code for p in exc.problems] == ["invalid_value"]
        assert "characters" in exc.problems[0].message or "too large" in exc.problems[0].message
        return
    with Evaluator(ruleset) as evaluator:
        assert evaluator.evaluate({"booking": {"travel_agency": "AGENCY0999"}}).matches
        assert not evaluator.evaluate({"booking": {"travel_agency": "AGENCY1000"}}).matches


def test_catastrophic_patterns_run_in_linear_time():
    ruleset = compile_packs(pack({"when": {"field": "booking.travel_agency", "matches": "(a|a)*(a*)*b"}}))
    with Evaluator(ruleset) as evaluator:
        assert not evaluator.evaluate({"booking": {"travel_agency": "a" * 99 + "c"}}).matches


def test_rule_with_two_true_branches_matches_once():
    ruleset = compile_packs(
        pack(
            {
                "when": {
                    "any": [
                        {"field": "booking.one_way", "eq": True},
                        {"field": "booking.checked_bags", "gte": 3},
                        {"not": {"field": "booking.travel_agency", "exists": True}},
                    ]
                }
            }
        )
    )
    with Evaluator(ruleset) as evaluator:
        result = evaluator.evaluate({"booking": {"one_way": True, "checked_bags": 4}})
        assert result.rule_ids == ["TST-0000"]
        assert len(result.matches[0].why) == 3


def test_no_hits_lost_over_many_evaluations():
    # Host's background actions lost 1 to 3 hits in 12,000.
    ruleset = compile_packs(pack({"when": {"field": "booking.checked_bags", "gte": 2}}))
    with Evaluator(ruleset) as evaluator:
        hits = sum(len(evaluator.evaluate({"booking": {"checked_bags": i % 4}}).matches) for i in range(12_000))
    assert hits == 6_000


# --- limits that raised errors -----------------------------------------------------


def test_many_threads_share_one_session():
    # More than 1024 live session ids per ruleset raised MemoryError.
    ruleset = compile_packs(pack({"when": {"field": "booking.one_way", "eq": True}}))
    evaluator = Evaluator(ruleset)
    results: list[int] = []

    def work() -> None:
        results.append(len(evaluator.evaluate({"booking": {"one_way": True}}).matches))

    for _ in range(1100):
        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
    assert results == [1] * 1100
    evaluator.close()


def test_concurrent_threads_get_correct_answers():
    ruleset = compile_packs(pack({"when": {"field": "booking.checked_bags", "eq": 1}}))
    evaluator = Evaluator(ruleset)
    wrong: list[int] = []

    def work(seed: int) -> None:
        for i in range(2000):
            bags = (i + seed) % 3
            got = len(evaluator.evaluate({"booking": {"checked_bags": bags}}).matches)
            if got != (bags == 1):
                wrong.append(i)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    evaluator.close()
    assert wrong == []


def test_records_are_projected_below_the_property_limit():
    # 253+ properties per fact raised error 302; 300 regex flags plus the catalogue would exceed it.
    rules = [{"when": {"field": "booking.travel_agency", "matches": f"AG{n}"}} for n in range(300)]
    ruleset = compile_packs(pack(*rules))
    assert all(len(shard.flags) < 250 for shard in ruleset.shards)
    with Evaluator(ruleset) as evaluator:
        assert evaluator.evaluate({"booking": {"travel_agency": "AG299"}}).rule_ids == ["TST-0299"]


@pytest.mark.parametrize(
    "value",
    ["x" * 201, "x" * 17_000_000],  # 16 MB strings raised error 314; durable compares 16-bit lengths
)
def test_oversized_strings_are_rejected(value):
    from engine import check_record

    with pytest.raises(RecordError) as caught:
        check_record({"booking": {"travel_agency": value}})
    assert "longer than" in caught.value.problems[0].message


@pytest.mark.parametrize("fare", [1e-05, 1e20, float("inf"), float("nan"), "1e400", "0.001"])
def test_awkward_numbers_are_rejected(fare):
    # Floats in exponent notation (204) and inf (202) broke the engine's parser.
    from engine import check_record

    with pytest.raises(RecordError) as caught:
        check_record({"booking": {"total_fare": fare}})
    assert caught.value.problems[0].path == "booking.total_fare"


def test_decimals_are_exact():
    ruleset = compile_packs(pack({"when": {"field": "booking.total_fare", "between": ["0.01", "99.99"]}}))
    with Evaluator(ruleset) as evaluator:
        for fare, hit in ((1e2, False), (99.99, True), ("0.01", True), (0, False), ("100.00", False)):
            assert bool(evaluator.evaluate({"booking": {"total_fare": fare}}).matches) is hit, fare


def test_in_is_compiled_without_an_engine_in_operator():
    # $in is not an operator of durable-rules (error 202).
    ruleset = compile_packs(pack({"when": {"field": "flight.departure_airport", "in": ["BOG", "MDE"]}}))
    with Evaluator(ruleset) as evaluator:
        assert evaluator.evaluate({"flight": {"departure_airport": "MDE"}}).matches
        assert not evaluator.evaluate({"flight": {"departure_airport": "LAX"}}).matches


def test_long_lists_and_nested_products_compile_and_match_without_expansion():
    # Once refused as "too complex": a not_in of 25 values, and 8 nested any of 2 (256 branches in DNF).
    values = [f"A{n:02d}" for n in range(2000)]
    nested = {
        "all": [
            {"any": [{"field": "booking.checked_bags", "gte": i}, {"field": "booking.passengers_in_booking", "gte": i}]}
            for i in range(1, 9)
        ]
    }
    ruleset = compile_packs(pack({"when": {"field": "booking.travel_agency", "not_in": values}}, {"when": nested}))
    assert all(len(compiled.conjunctions) == 1 for compiled in ruleset.rules)
    with Evaluator(ruleset) as evaluator:
        assert evaluator.evaluate({"booking": {"travel_agency": "A1999"}}).rule_ids == []
        assert evaluator.evaluate({"booking": {"travel_agency": "B1"}}).rule_ids == ["TST-0000"]
        assert evaluator.evaluate({"booking": {"checked_bags": 8}}).rule_ids == ["TST-0001"]
        assert evaluator.evaluate({"booking": {"checked_bags": 7, "passengers_in_booking": 2}}).rule_ids == []
