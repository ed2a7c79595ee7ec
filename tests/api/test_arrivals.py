"""What the worklist selects on, at store level and the same on every store: the newest retained decision
of each journey arriving in a window (``DecisionStore.arrivals``), the whole decisions of a page
(``decisions``), and the hits of a day's flights as states (``HitStore.hit_states``) or whole
(``journey_hits``).

The window is 3 December 2026 in New Zealand: 2026-12-02T11:00Z up to 2026-12-03T11:00Z.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from api.common import Actor
from api.evaluations.interface import DecisionRecord
from tests.api.conftest import OPERATOR

SINCE, UNTIL = dt.datetime(2026, 12, 2, 11, tzinfo=dt.UTC), dt.datetime(2026, 12, 3, 11, tzinfo=dt.UTC)
FIRST = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)  # when the first decisions were made
NZ5_DEPARTS, QF25_DEPARTS = dt.date(2026, 12, 2), dt.date(2026, 12, 3)
CASH = {"rule_id": "CUS-0510", "version": 1, "agency": "customs", "weight": 20, "action": "refer"}
FOOD = {"rule_id": "MPI-0500", "version": 1, "agency": "mpi", "weight": 60, "action": "inspect"}
OFFICER = Actor("test", "aroha@customs", "customs", frozenset({"officer"}))


def _decision(
    decision_id: str,
    who: str,
    flight: str | None,
    arrival: str | None,
    *,
    minutes: int = 0,
    score: float = 20.0,
    matches: tuple[dict[str, Any], ...] = (),
    **record: Any,
) -> DecisionRecord:
    """A decision ``minutes`` after ``FIRST`` on ``who``'s journey on ``flight`` (NZ5 departs 2 December,
    QF25 the 3rd), whose record says it arrives at ``arrival``."""
    departs = {"NZ5": NZ5_DEPARTS, "QF25": QF25_DEPARTS}.get(flight or "")
    legs = {"carrier": flight[:2], "number": flight[2:]} if flight else {}
    made = FIRST + dt.timedelta(minutes=minutes)
    return DecisionRecord(
        id=decision_id,
        created_at=made,
        evaluated_at=made,
        ruleset_seq=1,
        ruleset_version="rs-test",
        agency="customs",
        submitted_by="test",
        passenger_ref=who,
        identity_hash=f"h-{who}",
        matches=[dict(m) for m in matches],
        score=score,
        cached=False,
        record={
            "passenger_id": who,
            "flight": {**legs, **({"scheduled_arrival": arrival} if arrival else {})},
            "traveller": {"family_name": who.title()},
            **record,
        },
        flight=flight,
        flight_date=departs,
        explanations={m["rule_id"]: [{"field": "booking.payment_method", "actual": "cash"}] for m in matches},
    )


DECISIONS = [
    # Evaluated twice: the newer decision is the journey's.
    _decision("ana-1", "ANA", "NZ5", "2026-12-03T08:00:00+13:00", score=20.0, matches=(CASH,)),
    _decision("ana-2", "ANA", "NZ5", "2026-12-02T19:00:00Z", minutes=60, score=80.0, matches=(CASH, FOOD)),
    # Delayed past midnight by its newer decision: on the 4th now, not the 3rd.
    _decision("ben-1", "BEN", "NZ5", "2026-12-03T23:30:00+13:00", matches=(CASH,)),
    _decision("ben-2", "BEN", "NZ5", "2026-12-04T00:30:00+13:00", minutes=60, matches=(CASH,)),
    # At the window's very start (in it) and its very end (not in it).
    _decision("cat-1", "CAT", "QF25", "2026-12-03T00:00:00+13:00", booking={"passengers_in_booking": 2}),
    _decision("dan-1", "DAN", "QF25", "2026-12-04T00:00:00+13:00"),
    # No flight, no arrival: on no day's list.
    _decision("eve-1", "EVE", None, "2026-12-03T08:00:00+13:00"),
    _decision("fay-1", "FAY", "NZ5", None),
    # Its record purged (made long before the others): not retained, so not listed.
    _decision("gus-1", "GUS", "NZ5", "2026-12-03T08:00:00+13:00", minutes=-60 * 24 * 40),
]


def test_arrivals_are_each_journeys_newest_retained_decision_arriving_in_the_window(services):
    store = services.decision_store
    store.record_decisions(DECISIONS)
    assert store.purge_records(FIRST - dt.timedelta(days=30), OPERATOR) == 1  # gus-1's record
    arrivals = store.arrivals(SINCE, UNTIL)
    assert [(a.decision_id, a.arrival_at) for a in arrivals] == [
        ("cat-1", SINCE),  # earliest first
        ("ana-2", dt.datetime(2026, 12, 2, 19, tzinfo=dt.UTC)),
    ]
    ana = arrivals[1]
    assert (ana.identity_hash, ana.flight, ana.flight_date, ana.score, ana.agency) == (
        "h-ANA",
        "NZ5",
        NZ5_DEPARTS,
        80.0,
        "customs",
    )
    assert ana.journey == ("h-ANA", "NZ5", NZ5_DEPARTS) and ana.values == ()
    next_day = store.arrivals(UNTIL, UNTIL + dt.timedelta(days=1))
    assert [a.decision_id for a in next_day] == ["dan-1", "ben-2"]


def test_arrivals_carry_the_record_values_asked_for_as_text(services):
    services.decision_store.record_decisions(DECISIONS)
    fields = ("traveller.family_name", "booking.passengers_in_booking", "document.number")
    found = {a.decision_id: a.values for a in services.decision_store.arrivals(SINCE, UNTIL, fields)}
    assert found == {"cat-1": ("Cat", "2", None), "ana-2": ("Ana", None, None), "gus-1": ("Gus", None, None)}
    assert services.decision_store.arrivals(SINCE, SINCE) == []


def test_a_pages_decisions_are_read_whole_in_the_order_asked(services):
    store = services.decision_store
    store.record_decisions(DECISIONS)
    found = store.decisions(["cat-1", "no-such-decision", "ana-1"])
    assert [d.id for d in found] == ["cat-1", "ana-1"]
    assert found[1].record is not None and found[1].record["traveller"] == {"family_name": "Ana"}
    assert store.decisions([]) == []


def test_the_hits_of_a_days_flights_as_states_and_of_a_pages_journeys_whole(services):
    services.decision_store.record_decisions(DECISIONS)
    hits = services.hits
    ana, ben = ("h-ANA", "NZ5", NZ5_DEPARTS), ("h-BEN", "NZ5", NZ5_DEPARTS)
    states = hits.hit_states({("NZ5", NZ5_DEPARTS), ("QF25", QF25_DEPARTS)}, None)
    assert {journey: [(s.rule_id, s.agency, s.status, s.open) for s in found] for journey, found in states.items()} == {
        ana: [("CUS-0510", "customs", "new", True), ("MPI-0500", "mpi", "new", True)],  # oldest first
        ben: [("CUS-0510", "customs", "new", True)],
    }
    assert [s.rule_id for s in hits.hit_states({("NZ5", NZ5_DEPARTS)}, ["mpi"])[ana]] == ["MPI-0500"]
    assert hits.hit_states({("NZ5", QF25_DEPARTS)}, None) == {} and hits.hit_states(set(), None) == {}
    cleared = hits.set_status(states[ana][0].id, "cleared", "paid cash, all in order", OFFICER)
    assert [s.open for s in hits.hit_states({("NZ5", NZ5_DEPARTS)}, ["customs"])[ana]] == [False]
    whole = hits.journey_hits([ana], ["customs"])
    assert list(whole) == [ana] and whole[ana] == [cleared]
    assert whole[ana][0].why == [{"field": "booking.payment_method", "actual": "cash"}]
    assert hits.journey_hits([], None) == {}
