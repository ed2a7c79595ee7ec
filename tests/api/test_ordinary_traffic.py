"""The shipped rule packs and seed watchlist against ordinary manifests, through the API.

3,000 generated passengers in 300-passenger manifests over December to February (the
season of MPI-0005, whose explanation once carried a raw datetime and turned whole
manifests into 500s), plus one manifest a month for the rest of the year: every
passenger gets one answer, and every answer is plain JSON.
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

from engine import read_packs
from screening import parse_csv
from testing.synthetic import synthetic_records
from tests.api.conftest import OPERATOR

ROOT = Path(__file__).resolve().parents[2]
SEASON = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def _seeded(services) -> None:
    packs, problems = read_packs([str(ROOT / "rules")])
    assert not problems
    services.rule_store.import_packs([(pack.source, pack.data) for pack in packs], OPERATOR)
    entries, problems = parse_csv((ROOT / "seeds" / "watchlist.csv").read_text(), today=SEASON.date())
    assert not problems
    services.watchlist_store.import_entries(entries, OPERATOR, "seeds/watchlist.csv")
    services.rulesets.refresh()
    services.watchlists.refresh()


def _with_listed_travellers(records: list[dict], entries) -> list[dict]:
    """One passenger in ten carries the name, birth date and nationality of a listed person."""
    for record, entry in zip(records[::10], itertools.cycle(entries), strict=False):
        record["traveller"].update(
            {"family_name": entry.family_name, "given_names": entry.given_names or "A"}
            | ({"nationality": entry.nationality} if entry.nationality else {})
            | ({"date_of_birth": entry.birth_date.isoformat()} if entry.birth_date else {})
        )
    return records


def _manifest_answers(api, records: list[dict], at: dt.datetime, system: str = "customs_system") -> list[dict]:
    response = api.post("/v1/evaluations", system, json={"passengers": records, "at": at.isoformat()})
    assert response.status_code == 200, (response.status_code, response.get_data(as_text=True)[:2000])
    return response.json["results"]


def test_a_season_of_ordinary_manifests_is_answered_for_every_passenger(api, services):
    _seeded(services)
    entries, _ = parse_csv((ROOT / "seeds" / "watchlist.csv").read_text(), today=SEASON.date())
    matched: set[str] = set()
    for number in range(10):
        first = SEASON + dt.timedelta(days=9 * number)
        records = synthetic_records(300, seed=500 + number, first_arrival=first, spread_days=1)
        records = _with_listed_travellers(records, entries)
        system = ("customs_system", "mpi_system")[number % 2]  # each sees its own agency's matches
        results = _manifest_answers(api, records, first + dt.timedelta(hours=12), system)
        assert [result["passenger_id"] for result in results] == [record["passenger_id"] for record in records]
        matched |= {match["rule_id"] for result in results for match in result["matches"]}
    # The season's rule and the customs watchlist rule both fired and were answered.
    assert {"MPI-0005", "CUS-0015"} <= matched


def test_one_ordinary_manifest_a_month_is_answered_for_every_passenger(api, services):
    _seeded(services)
    for month in range(1, 13):
        first = dt.datetime(2026, month, 1, tzinfo=dt.UTC)
        records = synthetic_records(100, seed=month, first_arrival=first, spread_days=27)
        results = _manifest_answers(api, records, first + dt.timedelta(days=14))
        assert len(results) == len(records)
