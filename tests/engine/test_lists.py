"""Reference lists: read beside the packs, checked where a rule uses them, part of the version."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Evaluator, PackSource, check_record, compile_packs, validate
from engine.lists import parse_list


def _list(name: str = "source_countries", agency: str = "customs", **overrides: Any) -> PackSource:
    data = {"name": name, "agency": agency, "description": "fixture", "type": "code", "shared": False}
    data["values"] = ["COL", "PER", "BOL"]
    data.update(overrides)
    return PackSource(f"lists/{name}.yaml", data)


def _pack(when: dict[str, Any], agency: str = "customs") -> PackSource:
    prefix = {"customs": "CUS", "mpi": "MPI", "immigration": "IMM"}[agency]
    rule = {"id": f"{prefix}-0700", "title": "uses a list", "weight": 30, "action": "refer", "when": when}
    return PackSource(f"{agency}.yaml", {"agency": agency, "rules": [rule]})


def _problems(*packs: PackSource) -> list[tuple[str, str, str]]:
    return [(p.code, p.path, p.source) for p in validate(list(packs))]


def _codes(count: int) -> list[str]:
    return [
        "".join(letters)
        for letters in itertools.islice(itertools.product("ABCDEFGHIJKLMNOPQRSTUVWXYZ", repeat=3), count)
    ]


def test_a_rule_matches_through_a_list_and_explains_it_briefly():
    ruleset = compile_packs([_pack({"field": "traveller.nationality", "in_list": "source_countries"}), _list()])
    with Evaluator(ruleset) as evaluator:
        result = evaluator.evaluate(check_record({"passenger_id": "p", "traveller": {"nationality": "PER"}}))
    [reason] = result.matches[0].as_dict()["why"]
    assert reason["operator"] == "in_list"
    assert reason["expected"] == {"list": "source_countries", "list_size": 3, "matched": "PER"}


@pytest.mark.parametrize(
    ("when", "lists", "code"),
    [
        ({"field": "traveller.nationality", "in_list": "nowhere"}, [_list()], "unknown_list"),
        ({"field": "traveller.nationality", "in_list": "source_countries"}, [], "unknown_list"),
        ({"field": "booking.checked_bags", "in_list": "source_countries"}, [_list()], "invalid_operator"),
        ({"field": "itinerary.countries", "not_in_list": "source_countries"}, [_list()], "invalid_operator"),
        (
            {"field": "traveller.nationality", "in_list": "source_countries"},
            [_list(values=["COL", "Peru"])],
            "invalid_list_value",
        ),
    ],
)
def test_a_list_a_rule_cannot_use_is_refused_at_the_operator(when, lists, code):
    op = next(key for key in when if key != "field")
    assert [(c, p) for c, p, _ in _problems(_pack(when), *lists)] == [(code, f"rules[0].when.{op}")]


def test_another_agencys_list_is_usable_only_when_shared():
    when = {"field": "traveller.nationality", "in_list": "source_countries"}
    assert [c for c, _, _ in _problems(_pack(when, "mpi"), _list())] == ["list_not_shared"]
    assert _problems(_pack(when, "mpi"), _list(shared=True)) == []


def test_one_bad_code_in_ten_thousand_is_reported_by_its_position():
    values = _codes(10_000)
    values[9_123] = "NZ"
    [(code, path, _)] = _problems(
        _pack({"field": "traveller.nationality", "in_list": "big"}), _list("big", values=values)
    )
    assert (code, path) == ("invalid_list_value", "rules[0].when.in_list")
    [problem] = validate([_pack({"field": "traveller.nationality", "in_list": "big"}), _list("big", values=values)])
    assert "value 9123 ('NZ')" in problem.message and "lists/big.yaml" in problem.message


@pytest.mark.parametrize(
    ("overrides", "code", "path"),
    [
        ({"name": "Bad Name"}, "invalid_list_name", "name"),
        ({"agency": "police"}, "invalid_agency", "agency"),
        ({"type": "date"}, "invalid_list_type", "type"),
        ({"values": []}, "invalid_value", "values"),
        ({"values": ["COL", 7]}, "invalid_value", "values[1]"),
        ({"shared": "yes"}, "invalid_value", "shared"),
        ({"owner": "customs"}, "unknown_key", "owner"),
    ],
)
def test_a_bad_list_document_is_reported_at_its_key(overrides, code, path):
    assert [(c, p) for c, p, _ in _problems(_list(**overrides))] == [(code, path)]


def test_a_list_defined_twice_is_refused():
    problems = _problems(_list(), PackSource("other/source_countries.yaml", _list().data))
    assert [(c, p) for c, p, _ in problems] == [("duplicate_list", "name")]


def test_the_ruleset_version_follows_the_lists_it_uses():
    pack = _pack({"field": "traveller.nationality", "in_list": "source_countries"})
    first = compile_packs([pack, _list()]).version
    assert compile_packs([pack, _list(values=["COL", "PER", "BOL"])]).version == first
    assert compile_packs([pack, _list(values=["COL", "PER"])]).version != first
    # A list no rule uses does not change the version.
    plain = _pack({"field": "traveller.nationality", "eq": "COL"})
    assert compile_packs([plain, _list()]).version == compile_packs([plain]).version


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)


@settings(max_examples=300)
@given(
    st.fixed_dictionaries(
        {},
        optional={key: JSON for key in ("name", "agency", "description", "type", "shared", "values", "extra")},
    )
)
def test_any_document_gives_a_list_or_problems_never_an_exception(document):
    document.setdefault("values", [])
    found, problems = parse_list(document, "fuzz.yaml", ("customs", "mpi", "immigration"))
    assert (found is None) == bool(problems)
    # and a pack naming it compiles or reports problems, never raises anything else
    validate([PackSource("fuzz.yaml", document), _pack({"field": "traveller.nationality", "in_list": "x"})])
