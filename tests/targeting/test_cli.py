from __future__ import annotations

import json
from pathlib import Path

from targeting.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_validate_agency_packs(capsys):
    assert main(["rules", "validate", str(ROOT / "rules")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines and all(": ok, " in line for line in lines)


def test_validate_reports_every_problem_one_per_line(capsys):
    path = ROOT / "tests" / "data" / "ten_mistakes.yaml"
    assert main(["rules", "validate", str(path)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 10
    for line in lines:
        source, rule_id, where, message = line.split(": ", 3)
        assert source == str(path) and rule_id.startswith("CUS-09") and where.startswith("rules[") and message


def test_evaluate_jsonl_with_a_bad_line(tmp_path, capsys, cash_pack):
    pack = cash_pack
    records = tmp_path / "in.jsonl"
    records.write_text(
        "\n".join(
            [
                json.dumps({"passenger_id": "P1", "booking": {"payment_method": "cash"}}),
                "{not json",
                json.dumps({"passenger_id": "P3", "booking": {"payment_method": "gold"}}),
                json.dumps({"passenger_id": "P4", "booking": {"payment_method": "card"}}),
            ]
        )
    )
    assert main(["evaluate", "--rules", str(pack), "--at", "2026-12-01T00:00:00Z", str(records)]) == 1
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [o.get("passenger_id") for o in out] == ["P1", None, "P3", "P4"]
    assert out[0]["score"] == 40.0 and out[0]["matches"][0]["rule_id"] == "CUS-0001"
    assert out[0]["matches"][0]["why"] == [
        {"path": "when", "field": "booking.payment_method", "operator": "eq", "expected": "cash", "actual": "cash"}
    ]
    assert out[1]["error"]["code"] == "invalid_json" and out[1]["line"] == 2
    assert out[2]["error"]["code"] == "invalid_passenger" and list(out[2]["error"]["errors"]) == [
        "booking.payment_method"
    ]
    assert out[3]["matches"] == [] and out[3]["score"] == 0.0
    # outside the rule's validity dates nothing matches
    assert main(["evaluate", "--rules", str(pack), "--at", "2027-07-01T00:00:00Z", str(records)]) == 1
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert out[0]["matches"] == []


def test_fields_markdown_is_what_docs_hold(capsys):
    assert main(["fields", "--markdown"]) == 0
    assert capsys.readouterr().out == (ROOT / "docs" / "fields.md").read_text()


def test_paxlst_prints_the_manifest_and_evaluates_it(capsys):
    message = ROOT / "tests" / "data" / "paxlst" / "airline2.edi"
    assert main(["paxlst", str(message)]) == 0
    captured = capsys.readouterr()
    records = [json.loads(line) for line in captured.out.splitlines()]
    assert len(records) == 10 and all(r["flight"]["carrier"] == "TN" for r in records)
    assert "stray_space" in captured.err and "count_mismatch" in captured.err
    assert main(["paxlst", "--evaluate", "--rules", str(ROOT / "rules"), str(message)]) == 0
    evaluated = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(evaluated) == 10 and all("score" in line for line in evaluated)


def test_paxlst_unreadable_message(tmp_path, capsys):
    path = tmp_path / "bad.edi"
    path.write_text("this is not EDIFACT")
    assert main(["paxlst", str(path)]) == 1
    assert "not_edifact" in capsys.readouterr().err


def test_evaluate_refuses_a_record_without_a_passenger_id(tmp_path, capsys, cash_pack):
    pack = cash_pack
    records = tmp_path / "in.jsonl"
    records.write_text('{}\n{"passenger_id": " ", "booking": {"payment_method": "cash"}}\n{"passenger_id": "P3"}\n')
    assert main(["evaluate", "--rules", str(pack), "--at", "2026-12-01T00:00:00Z", str(records)]) == 1
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [o["error"]["errors"] for o in out[:2]] == [{"passenger_id": ["is required"]}] * 2
    assert out[2]["passenger_id"] == "P3" and "error" not in out[2]


def test_evaluate_screens_against_a_watchlist_file_as_the_service_does(tmp_path, capsys):
    """Without --watchlist a watchlist rule cannot match; with the seed list it matches a listed person."""
    listed = {
        "passenger_id": "WL-1",
        "traveller": {
            "family_name": "Brandauer",
            "given_names": "Friederike",
            "date_of_birth": "1983-03-15",
            "nationality": "DEU",
        },
        "document": {"type": "P", "number": "C8K2L7M9N", "issuing_country": "DEU", "expiry_date": "2030-01-01"},
    }
    records = tmp_path / "in.jsonl"
    records.write_text(json.dumps(listed) + "\n")
    command = ["evaluate", "--rules", str(ROOT / "rules"), "--at", "2026-12-03T00:00:00Z"]
    assert main([*command, str(records)]) == 0
    without = json.loads(capsys.readouterr().out)
    assert "CUS-0015" not in [match["rule_id"] for match in without["matches"]]
    assert main([*command, "--watchlist", str(ROOT / "seeds" / "watchlist.csv"), str(records)]) == 0
    screened = json.loads(capsys.readouterr().out)
    [match] = [match for match in screened["matches"] if match["rule_id"] == "CUS-0015"]
    assert [entry["entry_id"] for entry in match["why"][0]["watchlist"]] == ["CUS-WL-0001"]
    assert screened["watchlist_version"].startswith("wl-")


def test_evaluate_refuses_a_watchlist_file_with_bad_rows(tmp_path, capsys):
    bad = tmp_path / "list.csv"
    bad.write_text("id,agency,family_name,category,reason,expires\nX-1,customs,,customs,r,2030-01-01\n")
    records = tmp_path / "in.jsonl"
    records.write_text(json.dumps({"passenger_id": "P1"}) + "\n")
    assert main(["evaluate", "--rules", str(ROOT / "rules"), "--watchlist", str(bad), str(records)]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "1 problem in the watchlist" in captured.err


def test_validate_warns_and_strict_fails_on_a_rule_that_can_never_match(tmp_path, capsys):
    pack = tmp_path / "pack.yaml"
    pack.write_text(
        "agency: customs\nrules:\n"
        "  - {id: CUS-0901, title: t, weight: 10, action: notify, valid_until: 2027-06-30,\n"
        "     when: {all: [{field: booking.checked_bags, gte: 5}, {field: booking.checked_bags, lt: 5}]}}\n"
    )
    assert main(["rules", "validate", "--at", "2026-12-01T00:00:00Z", str(pack)]) == 0
    out = capsys.readouterr().out
    assert f"warning: {pack}: CUS-0901: rules[0].when: the rule can never match" in out
    assert "(never_matches)" in out
    assert main(["rules", "validate", "--strict", "--at", "2026-12-01T00:00:00Z", str(pack)]) == 1
    assert main(["rules", "validate", "--strict", "--at", "2028-01-01T00:00:00Z", str(pack)]) == 1
    assert "(expired)" in capsys.readouterr().out


def test_the_shipped_packs_pass_strict_validation():
    # As of a fixed day: the packs expire in their time, and the test must not with them.
    assert main(["rules", "validate", "--strict", "--at", "2026-12-01T00:00:00Z", str(ROOT / "rules")]) == 0
