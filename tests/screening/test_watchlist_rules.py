"""Rules that test the joint watchlist: ``{watchlist: joint, min_score: ..., category: ...}``."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from engine import Evaluator, PackSource, RecordError, RuleCompilationError, check_record, compile_packs
from engine.isolation import IsolatedEvaluator
from screening import Watchlist, parse_csv

AT = dt.datetime(2026, 12, 3, 9, tzinfo=dt.UTC)
LIST_CSV = (
    "id,agency,family_name,given_names,date_of_birth,nationality,document_number,document_country,"
    "category,reason,expires\n"
    "MPI-W1,mpi,Müller,Anna Maria,1980-04-03,DEU,,,biosecurity,repeat seed smuggling,2030-01-01\n"
    "CUS-W1,customs,Okafor,Chinedu,1975-01-01,NGA,A1234567,NGA,customs,cash courier,2030-01-01\n"
    "CUS-W2,customs,Lapsed,Old,1970-01-01,,,,customs,expired entry,2026-01-01\n"
)


def _watchlist() -> Watchlist:
    entries, problems = parse_csv(LIST_CSV, today=AT.date())
    assert not problems
    return Watchlist(entries)


def _pack(when: dict[str, Any], rule_id: str = "MPI-900") -> PackSource:
    rule = {"id": rule_id, "title": "listed", "weight": 80, "action": "inspect", "when": when}
    return PackSource("test", {"agency": "mpi", "rules": [rule]})


def _passenger(family: str, given: str, born: str, **extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "passenger_id": "P1",
        "flight": {"scheduled_arrival": "2026-12-03T08:00:00Z"},
        "traveller": {"family_name": family, "given_names": given, "date_of_birth": born, "nationality": "DEU"},
    }
    record.update(extra)
    return record


BIOSECURITY = {"watchlist": "joint", "min_score": 0.9, "category": "biosecurity"}


def test_a_listed_passenger_matches_with_the_entry_and_the_list_version() -> None:
    watchlist = _watchlist()
    with Evaluator(compile_packs([_pack(BIOSECURITY)])) as evaluator:
        result = evaluator.evaluate(_passenger("MUELLER", "Anna", "1980-04-03"), AT, watchlist)
    assert result.rule_ids == ["MPI-900"]
    assert result.watchlist_version == watchlist.version
    [reason] = result.matches[0].why
    shown = reason.as_dict()
    assert shown["field"] == "watchlist.biosecurity_score"
    assert shown["operator"] == "gte"
    assert shown["expected"] == "0.90"
    assert float(shown["actual"]) >= 0.9
    [entry] = shown["watchlist"]
    assert entry["entry_id"] == "MPI-W1"
    assert entry["category"] == "biosecurity"
    assert entry["parts"]["date_of_birth"] == "exact"
    assert "family_name" not in entry or isinstance(entry["family_name"], float)  # no listed name is echoed


def test_another_category_or_a_stricter_threshold_does_not_match() -> None:
    watchlist = _watchlist()
    customs = {"watchlist": "joint", "category": "customs"}
    strict = {"watchlist": "joint", "min_score": 1}
    passenger = _passenger("Muller", "Anna", "1980-04-03")
    with Evaluator(compile_packs([_pack(customs, "MPI-901")])) as evaluator:
        assert evaluator.evaluate(passenger, AT, watchlist).rule_ids == []
    with Evaluator(compile_packs([_pack(strict, "MPI-902")])) as evaluator:
        assert evaluator.evaluate(_passenger("Muller", "Ana", "1980-04-04"), AT, watchlist).rule_ids == []


def test_a_document_match_counts_and_an_expired_entry_never_does() -> None:
    watchlist = _watchlist()
    any_category = {"watchlist": "joint"}
    okafor = _passenger("Okafor", "Chinedu", "1975-01-01", document={"number": "A1234567", "issuing_country": "NGA"})
    lapsed = _passenger("Lapsed", "Old", "1970-01-01")
    with Evaluator(compile_packs([_pack(any_category)])) as evaluator:
        [match] = evaluator.evaluate(okafor, AT, watchlist).matches
        assert match.why[0].watchlist[0]["parts"]["document"] == "exact"
        assert evaluator.evaluate(lapsed, AT, watchlist).rule_ids == []


def test_not_listed_and_an_unscreened_record_reads_as_no_match() -> None:
    watchlist = _watchlist()
    clean = _passenger("Smith", "John", "1990-01-01")
    with Evaluator(compile_packs([_pack({"not": BIOSECURITY})])) as evaluator:
        assert evaluator.evaluate(clean, AT, watchlist).rule_ids == ["MPI-900"]
        assert evaluator.evaluate(_passenger("Müller", "Anna Maria", "1980-04-03"), AT, watchlist).rule_ids == []
        # No list given: screening finds nothing, every score is 0, and no version is claimed.
        unscreened = evaluator.evaluate(clean, AT)
        assert unscreened.rule_ids == ["MPI-900"]
        assert unscreened.watchlist_version is None


def test_a_ruleset_without_watchlist_rules_does_not_screen() -> None:
    ruleset = compile_packs([_pack({"field": "traveller.nationality", "eq": "DEU"})])
    assert ruleset.watchlist_floor is None
    with Evaluator(ruleset) as evaluator:
        result = evaluator.evaluate(_passenger("Müller", "Anna Maria", "1980-04-03"), AT, _watchlist())
    assert result.watchlist_version is None
    assert result.rule_ids == ["MPI-900"]


def test_screening_reports_down_to_the_lowest_rule_threshold() -> None:
    low = {"watchlist": "joint", "min_score": 0.5}
    assert compile_packs([_pack(low), _pack(BIOSECURITY, "MPI-901")]).watchlist_floor == pytest.approx(0.5)
    assert compile_packs([_pack({"field": "watchlist.score", "lt": 0.3})]).watchlist_floor == 1


@pytest.mark.parametrize(
    ("condition", "code", "path"),
    [
        ({"watchlist": "national"}, "unknown_watchlist", "rules[0].when.watchlist"),
        ({"watchlist": "joint", "category": "tax"}, "invalid_value", "rules[0].when.category"),
        ({"watchlist": "joint", "min_score": 0.2}, "invalid_value", "rules[0].when.min_score"),
        ({"watchlist": "joint", "min_score": 1.5}, "invalid_value", "rules[0].when.min_score"),
        ({"watchlist": "joint", "min_score": 0.905}, "invalid_value", "rules[0].when.min_score"),
        ({"watchlist": "joint", "min_score": True}, "invalid_value", "rules[0].when.min_score"),
        ({"watchlist": "joint", "min_scor": 0.9}, "unknown_key", "rules[0].when.min_scor"),
        ({"all": [{"watchlist": "joint", "category": 5}]}, "invalid_value", "rules[0].when.all[0].category"),
    ],
)
def test_a_bad_watchlist_condition_is_reported_at_its_path(condition: dict[str, Any], code: str, path: str) -> None:
    with pytest.raises(RuleCompilationError) as caught:
        compile_packs([_pack(condition)])
    assert [(problem.code, problem.path) for problem in caught.value.problems] == [(code, path)]


def test_a_record_cannot_supply_its_own_scores() -> None:
    with pytest.raises(RecordError) as caught:
        check_record({"watchlist": {"score": 0}})
    assert [(problem.code, problem.path) for problem in caught.value.problems] == [("derived_field", "watchlist")]


def test_the_isolated_worker_gives_the_same_answer() -> None:
    watchlist = _watchlist()
    passengers = [
        check_record(_passenger("MUELLER", "Anna", "1980-04-03")),
        check_record(_passenger("Xu", "Yan", "1990-01-01")),
    ]
    ruleset = compile_packs([_pack(BIOSECURITY)])
    with Evaluator(ruleset) as local, IsolatedEvaluator(ruleset) as isolated:
        expected = [e.as_dict() for e in local.evaluate_batch(passengers, AT, watchlist)]
        assert [e.as_dict() for e in isolated.evaluate_batch(passengers, AT, watchlist)] == expected
    assert [len(e["matches"]) for e in expected] == [1, 0]


@pytest.mark.parametrize(
    ("condition", "listed"),
    [
        ({"field": "watchlist.biosecurity_score", "between": ["0.8", "1"]}, ["MPI-W1"]),
        ({"field": "watchlist.score", "gt": "0.5"}, ["MPI-W1"]),
        ({"field": "watchlist.biosecurity_score", "eq": "1"}, ["MPI-W1"]),
        ({"field": "watchlist.score", "lte": "1"}, ["MPI-W1"]),
        ({"field": "watchlist.biosecurity_score", "exists": True}, ["MPI-W1"]),
    ],
)
def test_a_watchlist_leaf_lists_the_entries_that_pass_its_own_operator(condition, listed):
    # `between` (and every operator but gte) on a watchlist field once raised TypeError in the explanation.
    with Evaluator(compile_packs([_pack(condition)])) as evaluator:
        result = evaluator.evaluate(_passenger("Müller", "Anna Maria", "1980-04-03"), AT, _watchlist())
    [match] = result.matches
    assert [entry["entry_id"] for entry in match.why[0].watchlist] == listed
    import json

    json.dumps(result.as_dict())
