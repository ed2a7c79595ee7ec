"""Every shipped rule pack against ordinary passengers across a whole year, through the CLI.

Each run of ``targeting evaluate`` must answer every passenger with one JSON line that is
a result, never an error and never a crash part-way through the stream.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from testing.synthetic import synthetic_records

ROOT = Path(__file__).resolve().parents[2]
# A passenger a month for a whole year, in the rules' own summer offset.
MONTHS = [dt.datetime(2026, month, 1, tzinfo=dt.UTC) for month in range(1, 13)] + [
    dt.datetime(2027, month, 1, tzinfo=dt.UTC) for month in range(1, 4)
]


def _answers(records: list[dict[str, object]], at: dt.datetime, tmp_path: Path) -> list[dict[str, object]]:
    source = tmp_path / f"passengers-{at:%Y-%m}.jsonl"
    source.write_text("".join(json.dumps(record) + "\n" for record in records))
    finished = subprocess.run(
        [sys.executable, "-m", "targeting", "evaluate", "--rules", "rules", "--at", at.isoformat(), str(source)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert finished.stderr == ""
    return [json.loads(line) for line in finished.stdout.splitlines()]


@pytest.mark.parametrize("month", MONTHS, ids=lambda month: f"{month:%Y-%m}")
def test_every_ordinary_passenger_of_a_month_is_answered(month, tmp_path):
    records = synthetic_records(200, seed=month.year * 100 + month.month, first_arrival=month, spread_days=30)
    answers = _answers(records, month + dt.timedelta(days=15), tmp_path)
    assert [answer.get("passenger_id") for answer in answers] == [record["passenger_id"] for record in records]
    assert not [answer for answer in answers if "error" in answer]


def test_the_summer_season_of_southeast_asian_flights_is_answered_and_explained(tmp_path):
    """3,000 passengers over December to February: the season of the shipped rule MPI-0005."""
    records = synthetic_records(3000, seed=13, first_arrival=dt.datetime(2026, 12, 1, tzinfo=dt.UTC), spread_days=89)
    answers = _answers(records, dt.datetime(2027, 1, 10, tzinfo=dt.UTC), tmp_path)
    assert len(answers) == len(records)
    assert not [answer for answer in answers if "error" in answer]
    matched = {match["rule_id"] for answer in answers for match in answer["matches"]}
    # The season's rule is among those that fire, and its explanation carries its datetime bounds as text.
    assert "MPI-0005" in matched
    season = next(
        reason
        for answer in answers
        for match in answer["matches"]
        if match["rule_id"] == "MPI-0005"
        for reason in match["why"]
        if reason["operator"] == "between"
    )
    assert season["expected"] == ["2026-11-30T11:00:00Z", "2027-02-28T10:59:59Z"]
