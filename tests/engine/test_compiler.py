from __future__ import annotations

from pathlib import Path

import pytest

from engine import PackSource, RuleCompilationError, compile_packs, read_packs, validate
from engine.gates import engine_tests
from engine.network import MAX_STACK, AlphaNetwork

ROOT = Path(__file__).resolve().parents[2]


def test_agency_packs_compile():
    packs, problems = read_packs([ROOT / "rules"])
    assert problems == []
    ruleset = compile_packs(packs)
    agencies = {compiled.rule.agency for compiled in ruleset.rules}
    assert agencies == {"customs", "mpi", "immigration"}
    for agency in agencies:
        assert sum(compiled.rule.agency == agency for compiled in ruleset.rules) >= 10


def test_pack_with_ten_mistakes_reports_all_ten_with_rule_and_path():
    packs, problems = read_packs([ROOT / "tests" / "data" / "ten_mistakes.yaml"])
    assert problems == []
    found = sorted((p.rule_id, p.path, p.code) for p in validate(packs))
    assert found == [
        ("CUS-0901", "rules[0].when.field", "unknown_field"),
        ("CUS-0901", "rules[4].id", "duplicate_id"),
        ("CUS-0902", "rules[1].when.lt", "invalid_operator"),
        ("CUS-0903", "rules[2].when.all[1].lte", "invalid_value"),
        ("CUS-0904", "rules[3].valid_until", "invalid_date"),
        ("CUS-0906", "rules[5].when.matches", "invalid_value"),
        ("CUS-0907", "rules[6].weight", "invalid_weight"),
        ("CUS-0908", "rules[7].action", "invalid_action"),
        ("CUS-0909", "rules[8].when.in", "invalid_value"),
        ("CUS-0910", "rules[9].when.any", "invalid_condition"),
    ]
    assert all(p.source.endswith("ten_mistakes.yaml") for p in validate(packs))


def _rule(**overrides):
    rule = {
        "id": "CUS-0001",
        "title": "t",
        "weight": 10,
        "action": "refer",
        "when": {"field": "booking.one_way", "eq": True},
    }
    rule.update(overrides)
    return rule


@pytest.mark.parametrize(
    ("rule", "code", "path"),
    [
        (_rule(when={"any": []}), "invalid_condition", "rules[0].when.any"),
        (
            _rule(when={"all": [{"field": "booking.one_way", "eq": True}], "any": []}),
            "invalid_condition",
            "rules[0].when",
        ),
        (_rule(when={"field": "booking.one_way"}), "invalid_condition", "rules[0].when"),
        (_rule(when={"field": "booking.one_way", "eq": True, "ne": False}), "invalid_condition", "rules[0].when"),
        (_rule(when={"field": "booking.checked_bags", "between": [5, 1]}), "invalid_value", "rules[0].when.between"),
        (_rule(when={"field": "booking.checked_bags", "in": []}), "invalid_value", "rules[0].when.in"),
        (_rule(when={"field": "booking.checked_bags", "gt": 51}), "invalid_value", "rules[0].when.gt"),
        (_rule(when={"field": "booking.total_fare", "gt": "10.005"}), "invalid_value", "rules[0].when.gt"),
        (_rule(when={"field": "booking.payment_method", "eq": "CASH"}), "invalid_value", "rules[0].when.eq"),
        (
            _rule(when={"field": "booking.travel_agency", "matches": "x" * 201}),
            "invalid_value",
            "rules[0].when.matches",
        ),
        (_rule(when={"field": "booking.travel_agency", "matches": "(?=a)b"}), "invalid_value", "rules[0].when.matches"),
        (_rule(when={"field": "booking.travel_agency", "exists": "yes"}), "invalid_value", "rules[0].when.exists"),
        (_rule(when={"field": "itinerary.countries", "eq": "COL"}), "invalid_operator", "rules[0].when.eq"),
        (_rule(valid_from="2027-01-01", valid_until="2026-01-01"), "invalid_validity", "rules[0].valid_until"),
        (_rule(id="bad id"), "invalid_id", "rules[0].id"),
        (_rule(valid_untill="2027-01-01"), "unknown_key", "rules[0].valid_untill"),
        (_rule(title=""), "invalid_title", "rules[0].title"),
        (_rule(weight=True), "invalid_weight", "rules[0].weight"),
        # field comparisons: the other side must be a field of a comparable kind
        (_rule(when={"field": "traveller.nationality", "eq_field": "NZL"}), "unknown_field", "rules[0].when.eq_field"),
        (
            _rule(when={"field": "document.expiry_date", "lt_field": "traveller.nationality"}),
            "incomparable_fields",
            "rules[0].when.lt_field",
        ),
        (
            _rule(when={"field": "traveller.nationality", "eq_field": "flight.departure_airport"}),
            "incomparable_fields",
            "rules[0].when.eq_field",
        ),
        (
            _rule(when={"field": "traveller.nationality", "lt_field": "document.issuing_country"}),
            "incomparable_fields",
            "rules[0].when.lt_field",
        ),
        (
            _rule(when={"field": "watchlist.score", "gte_field": "watchlist.customs_score"}),
            "incomparable_fields",
            "rules[0].when.gte_field",
        ),
        (
            _rule(when={"field": "itinerary.countries", "eq_field": "itinerary.countries"}),
            "incomparable_fields",
            "rules[0].when.eq_field",
        ),
        # leg conditions: leg fields only inside any_leg, and only they
        (_rule(when={"field": "leg.country", "eq": "COL"}), "misplaced_field", "rules[0].when.field"),
        (
            _rule(when={"any_leg": {"field": "traveller.nationality", "eq": "COL"}}),
            "misplaced_field",
            "rules[0].when.any_leg.field",
        ),
        (
            _rule(when={"any_leg": {"any_leg": {"field": "leg.country", "eq": "COL"}}}),
            "invalid_condition",
            "rules[0].when.any_leg.any_leg",
        ),
        (_rule(when={"any_leg": {"watchlist": "joint"}}), "invalid_condition", "rules[0].when.any_leg"),
        (
            _rule(when={"any_leg": {"field": "leg.country", "eq_field": "traveller.nationality"}}),
            "unknown_field",
            "rules[0].when.any_leg.eq_field",
        ),
        (
            _rule(when={"any_leg": {"field": "leg.stay_hours", "lt": "two"}}),
            "invalid_value",
            "rules[0].when.any_leg.lt",
        ),
    ],
)
def test_single_mistakes(rule, code, path):
    problems = validate([PackSource("p", {"agency": "customs", "rules": [rule]})])
    assert [(p.code, p.path) for p in problems] == [(code, path)]


def test_pack_level_mistakes():
    assert [p.code for p in validate([PackSource("p", [])])] == ["invalid_pack"]
    assert [p.code for p in validate([PackSource("p", {"agency": "police", "rules": [_rule()]})])] == ["invalid_agency"]
    assert [p.code for p in validate([PackSource("p", {"agency": "mpi", "rules": []})])] == ["invalid_pack"]


def test_duplicate_ids_across_packs():
    packs = [
        PackSource("a", {"agency": "mpi", "rules": [_rule()]}),
        PackSource("b", {"agency": "customs", "rules": [_rule()]}),
    ]
    problems = validate(packs)
    assert [(p.code, p.source, p.rule_id) for p in problems] == [("duplicate_id", "b", "CUS-0001")]


def test_version_is_a_content_hash():
    first = compile_packs([PackSource("a", {"agency": "customs", "rules": [_rule(), _rule(id="CUS-0002")]})])
    reordered = compile_packs(
        [
            PackSource("b", {"agency": "customs", "rules": [_rule(id="CUS-0002")]}),
            PackSource("c", {"agency": "customs", "rules": [_rule()]}),
        ]
    )
    changed = compile_packs([PackSource("a", {"agency": "customs", "rules": [_rule(weight=11), _rule(id="CUS-0002")]})])
    assert first.version == reordered.version
    assert first.version != changed.version


def test_compiled_ruleset_is_immutable():
    ruleset = compile_packs([PackSource("a", {"agency": "customs", "rules": [_rule()]})])
    with pytest.raises(AttributeError):
        ruleset.version = "x"  # type: ignore[misc]


def test_rules_are_routed_by_a_selective_atom_and_shards_stay_within_budget():
    rules = [
        _rule(
            id=f"CUS-{n:04d}",
            when={
                "all": [
                    {"field": "flight.departure_airport", "eq": airport},
                    {"field": "booking.checked_bags", "gte": n % 5},
                ]
            },
        )
        for n, airport in enumerate(["BOG", "LAX", "SYD"] * 100)
    ]
    rules.append(_rule(id="CUS-9999", when={"not": {"field": "traveller.nationality", "eq": "NZL"}}))
    ruleset = compile_packs([PackSource("a", {"agency": "customs", "rules": rules})])
    airports = {
        atom.id: next(iter(atom.values))
        for atom in ruleset.atoms
        if atom.field == "flight.departure_airport" and atom.kind == "member"
    }
    # Every routed rule is routed by its airport, and only the negation-only rule by none.
    assert {airports.get(a) for c in ruleset.rules if c.anchors for a in c.anchors} == {"BOG", "LAX", "SYD"}
    assert [c.rule.id for c in ruleset.rules if c.anchors is None] == ["CUS-9999"]
    assert len(ruleset.always) == 1
    for shard in ruleset.shards:
        network = AlphaNetwork()
        assert all(network.fits([engine_tests(c) for c in ruleset.rules[p].conjunctions]) for p in shard.rules)
        assert network.worst_stack <= MAX_STACK


def test_yaml_reading_is_strict(tmp_path):
    (tmp_path / "dup.yaml").write_text("agency: mpi\nagency: customs\nrules: []\n")
    (tmp_path / "bad.yaml").write_text("agency: [mpi\n")
    (tmp_path / "codes.yaml").write_text(
        "agency: immigration\nrules:\n  - {id: INZ-0001, title: t, weight: 5, action: notify, "
        "when: {field: traveller.nationality, in: [NOR, NO]}}\n"
    )
    packs, problems = read_packs([tmp_path])
    assert sorted((Path(p.source).name, p.code) for p in problems) == [
        ("bad.yaml", "syntax_error"),
        ("dup.yaml", "syntax_error"),
    ]
    with pytest.raises(RuleCompilationError) as caught:
        compile_packs(packs)
    # "NO" stays the text NO (YAML 1.1 would read it as false) and is reported as a bad code.
    assert [p.message for p in caught.value.problems] == ["item 1: 'NO' must match [A-Z]{3}"]


def _pack(weight: int, valid_until: object = "2030-01-01") -> PackSource:
    rule = {
        "id": "CUS-0001",
        "title": "t",
        "weight": weight,
        "action": "refer",
        "valid_until": valid_until,
        "when": {"field": "traveller.nationality", "eq": "FRA"},
    }
    return PackSource("cache-test", {"agency": "customs", "rules": [rule]})


def test_the_same_content_compiled_again_is_not_compiled_twice():
    first = compile_packs([_pack(10)])
    assert compile_packs([_pack(10)]) is first
    # Any change of content is a different ruleset, even one JSON would write alike in other languages.
    changed = compile_packs([_pack(11)])
    assert changed is not first and changed.version != first.version
    assert compile_packs([_pack(10)]) is first  # two recent results are kept


def test_content_that_is_not_plain_json_is_compiled_every_time():
    import datetime as dt

    dated = [_pack(10, valid_until=dt.date(2030, 1, 1))]  # as YAML reads a date
    assert compile_packs(dated) is not compile_packs(dated)
    assert compile_packs(dated).version == compile_packs([_pack(10)]).version


def test_a_failed_compilation_is_not_remembered():
    broken = PackSource("cache-test", {"agency": "customs", "rules": [{"id": "CUS-0001"}]})
    for _ in range(2):
        with pytest.raises(RuleCompilationError):
            compile_packs([broken])
