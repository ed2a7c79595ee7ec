"""One journey from a flight's API and PNR (``api.sources``): a PAXLST and a PNRGOV of one flight become
one record per traveller, evaluated once per change, with each field's source and the disagreements.

The messages are written here: four travellers boarded NZ5 (the API), four booked it (the PNR), three
of them the same people: one by document (under another name), one by name and date of birth (booked
on an old passport), one by name alone (no DOCS); one booked and did not board, one boarded unbooked.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from typing import Any

import pytest

from api.ingest.handler import EVALUATED, MessageHandler
from api.sources.interface import FlightChanged, FlightKey, FlightState, FlightUpdate, HeldTraveller, RecordedView
from messages.journey import Traveller
from tests.api.conftest import live_rule, rule

BOARDED = [
    ("O?'BRIEN", "MARY ANNE", "850412", "USA", "X1234567"),
    ("SMITH JONES", "PETER", "991231", "GBR", "502345678"),
    ("NGATA", "TAMATI", "700101", "NZL", "LA123456"),
    ("WALKER", "JOHNNIE", "800202", "AUS", "PA999999"),
]
CARD = "CC:::VI:XXXXXXXX1186:0211"
BOOKED = [
    (
        "ABC123",
        "CA",
        [("O BRIEN", "MOLLY MRS", "USA/X1234567/USA/12APR85/F/15JAN31/OBRIEN/MOLLY"), ("NGATA", "TAMATI MR", None)],
    ),
    (
        "DEF456",
        CARD,
        [("SMITH JONES", "PETER", "GBR/OLD999999/GBR/31DEC99/M/01JUN29/SMITHJONES/PETER"), ("NOSHOW", "NORA", None)],
    ),
]
# NZ5 leaves Los Angeles at 22:00 local time on 1 December: 06:00 UTC on the 2nd, its departure date.
DAY = "2026-12-02"
# Rules that only a joined record can match, and one per disagreement.
RULES = [
    rule(
        "CUS-0901",
        title="Cash ticket on a US passport",
        when={
            "all": [
                {"field": "document.issuing_country", "eq": "USA"},
                {"field": "booking.payment_method", "eq": "cash"},
            ]
        },
    ),
    rule("CUS-0902", title="Booked under another name", when={"field": "journey.name_differs", "eq": True}),
    rule("CUS-0903", title="Booked on another document", when={"field": "journey.document_differs", "eq": True}),
    rule("CUS-0904", title="Booked, did not board", when={"field": "journey.booked_not_boarded", "eq": True}),
    rule("CUS-0905", title="Boarded, not booked", when={"field": "journey.boarded_not_booked", "eq": True}),
]


def paxlst(people: list[tuple[str, str, str, str, str]], reference: str = "MSG0001", crew: bool = False) -> str:
    segments = [
        "UNA:+.? '",
        "UNB+UNOA:4+NZAIR:ZZ+NZCS:ZZ+261201:2200+IC0001'",
        f"UNH+{reference}+PAXLST:D:05B:UN:IATA'",
        f"BGM+{'250' if crew else '745'}'",
        "TDT+20+NZ5+++NZ'",
        "LOC+125+LAX'",
        "DTM+189:2612012200:201'",
        "LOC+87+AKL'",
        "DTM+232:2612030800:201'",
    ]
    for family, given, birth, nationality, document in people:
        segments += [
            f"NAD+{'FM' if crew else 'FL'}+++{family}:{given}'",
            f"DTM+329:{birth}'",
            f"NAT+2+{nationality}'",
            f"DOC+P:110:111+{document}'",
            f"LOC+91+{nationality}'",
        ]
    count = f"CNT+{'41' if crew else '42'}:{len(people)}'"
    segments += [count, f"UNT+{len(segments) - 2 + 2}+{reference}'", "UNZ+1+IC0001'"]
    return "\n".join(segments)


def pnrgov(bookings: list[tuple[str, str, list[tuple[str, str, str | None]]]]) -> str:
    segments = [
        "UNA:+.?*'",
        "UNB+IATA:1+NZ++261201:1000+PNR0001'",
        "UNH+1+PNRGOV:11:1:IA+NZ5/011226'",
        "MSG+:22'",
        "ORG+NZ:AKL+52519950'",
        "TVL+011226:2200+LAX+AKL+NZ+5'",
        f"EQN+{len(bookings)}'",
    ]
    for locator, payment, travellers in bookings:
        segments += ["SRC'", f"RCI+NZ:{locator}'"]
        for n, (family, given, docs) in enumerate(travellers, 1):
            segments.append(f"TIF+{family}+{given}:A:{n}'")
            if docs:
                segments.append(f"SSR+DOCS:HK::NZ:::::/P/{docs}'")
            segments += [f"TKT+0862100000{n:03d}:T:1'", f"FOP+{payment}'"]
        segments.append("TVL+011226:2200:031226:0800+LAX+AKL+NZ+5:Y'")
    segments += [f"UNT+{len(segments) - 2 + 1}+1'", "UNZ+1+PNR0001'"]
    return "\n".join(segments)


@pytest.fixture
def joined_backend(backend):
    if backend.name == "postgresql":
        pytest.skip("the joining does not depend on the database: the in-memory and SQLite runs cover it")
    return backend


def _post(api, kind: str, text: str) -> dict[str, Any]:
    response = api.post(
        f"/v1/manifests/{kind}", "customs_system", data=text.encode(), content_type="application/edifact"
    )
    assert response.status_code == 200, response.json
    return response.json


def _by_traveller(body: dict[str, Any]) -> dict[tuple[str | None, str | None], dict[str, Any]]:
    """Results by (PAXLST passenger id, PNRGOV passenger id)."""
    return {(r["journey"]["api_passenger_id"], r["journey"]["pnr_passenger_id"]): r for r in body["results"]}


def _rules(result: dict[str, Any]) -> list[str]:
    return sorted(match["rule_id"] for match in result["matches"])


def test_a_paxlst_then_a_pnrgov_are_one_journey_per_traveller_evaluated_once_per_change(api, services, joined_backend):
    for content in RULES:
        live_rule(api, content)
    boarded = _post(api, "paxlst", paxlst(BOARDED))
    # The API alone: four journeys, no booking fields, no one yet "boarded, not booked" (no PNR has come).
    assert [r["journey"]["has_pnr"] for r in boarded["results"]] == [False] * 4
    assert all(_rules(r) == [] for r in boarded["results"])
    first = {r["passenger_id"]: r for r in boarded["results"]}

    booked = _post(api, "pnrgov", pnrgov(BOOKED))
    results = _by_traveller(booked)
    assert set(results) == {
        ("MSG0001-1", "ABC123-1"),
        ("MSG0001-2", "DEF456-1"),
        ("MSG0001-3", "ABC123-2"),
        ("MSG0001-4", None),  # boarded, not booked: changed by the PNR's coming
        (None, "DEF456-2"),  # booked, did not board
    }
    mary, peter, tamati = (
        results["MSG0001-1", "ABC123-1"],
        results["MSG0001-2", "DEF456-1"],
        results["MSG0001-3", "ABC123-2"],
    )
    # Document fields (the API's) and booking fields (the PNR's) together: only the joined record matches.
    assert _rules(mary) == ["CUS-0901", "CUS-0902"]
    assert mary["journey"]["matched_by"] == "document" and mary["journey"]["name_differs"] is True
    assert _rules(peter) == ["CUS-0903"] and peter["journey"]["matched_by"] == "name_and_birth_date"
    assert tamati["journey"]["matched_by"] == "name" and _rules(tamati) == []
    assert _rules(results["MSG0001-4", None]) == ["CUS-0905"]
    assert _rules(results[None, "DEF456-2"]) == ["CUS-0904"]
    # A joined journey keeps the passenger id (and identity) it was first evaluated under.
    assert mary["passenger_id"] == "MSG0001-1"

    # The decision keeps which message gave each field.
    view = api.get(f"/v1/decisions/{mary['decision_id']}", "customs_system").json["journey"]
    assert view["sources"]["traveller.family_name"] == view["sources"]["document.number"] == "api"
    assert view["sources"]["booking.payment_method"] == view["sources"]["booking.reference"] == "pnr"
    assert view["sections"]["booking"] == ["pnr"] and view["sections"]["traveller"] == ["api", "pnr"]
    assert view["disagreements"] == ["name_differs"] and view["fields"]["has_api"] is True
    assert (
        api.get(f"/v1/decisions/{first['MSG0001-1']['decision_id']}", "customs_system").json["journey"]["sources"][
            "traveller.family_name"
        ]
        == "api"
    )

    # One row per traveller on the flight's priority list, with the sources by section.
    listing = api.get(f"/v1/flights/NZ5/{DAY}/priority", "customs_officer").json
    assert listing["passengers"] == 5
    row = next(r for r in listing["ranked"] if r["decision_id"] == mary["decision_id"])
    assert row["journey"]["sections"]["booking"] == ["pnr"] and "sources" not in row["journey"]
    assert row["journey"]["disagreements"] == ["name_differs"]
    # Another agency that is not shown Customs' contributions sees the score, not the journey.
    mpi_row = next(
        r
        for r in api.get(f"/v1/flights/NZ5/{DAY}/priority", "mpi_officer").json["ranked"]
        if r["decision_id"] == mary["decision_id"]
    )
    assert mpi_row["journey"] is None

    # Sent again, either message changes nothing: no one is evaluated again.
    for kind, text in (("pnrgov", pnrgov(BOOKED)), ("paxlst", paxlst(BOARDED, reference="MSG0002"))):
        again = _post(api, kind, text)
        assert again["results"] == [] and len(again["unchanged"]) == 4
    unchanged = {u["journey"]["pnr_passenger_id"]: u for u in again["unchanged"]}
    assert unchanged["ABC123-1"]["decision_id"] == mary["decision_id"]
    # One decision per traveller per change: the API alone, then joined (or flagged); Nora once.
    assert Counter(d.passenger_ref for d in _decisions(services)) == {
        "MSG0001-1": 2,
        "MSG0001-2": 2,
        "MSG0001-3": 2,
        "MSG0001-4": 2,
        "DEF456-2": 1,
    }
    # A hit per match, each once.
    hits = Counter(hit.rule_id for hit in services.hits.hits(None, limit=100))
    assert hits == {"CUS-0901": 1, "CUS-0902": 1, "CUS-0903": 1, "CUS-0904": 1, "CUS-0905": 1}


def _decisions(services) -> list[Any]:
    """Every decision stored, not only the newest per journey."""
    return [services.decision_store.decision(decision_id) for decision_id in _decision_ids(services)]


def _decision_ids(services) -> list[str]:
    if services.engine is None:
        return list(services.decision_store._decisions)  # type: ignore[attr-defined]
    from sqlalchemy import select

    from api.db.models import DecisionRow

    with services.engine.connect() as connection:
        return list(connection.execute(select(DecisionRow.id)).scalars())


def test_a_pnr_first_then_the_api_keeps_one_row_per_traveller(api, services, joined_backend):
    live_rule(api, RULES[0])
    booked = _post(api, "pnrgov", pnrgov(BOOKED))
    assert len(booked["results"]) == 4 and all(not r["journey"]["has_api"] for r in booked["results"])
    assert all("booked_not_boarded" not in r["journey"] for r in booked["results"])  # no API yet
    boarded = _post(api, "paxlst", paxlst(BOARDED))
    results = _by_traveller(boarded)
    assert len(results) == 5 and results[None, "DEF456-2"]["journey"]["booked_not_boarded"] is True
    # The PNR traveller's journey, joined: the PNR's passenger id kept, one row on the list, not two.
    assert results["MSG0001-1", "ABC123-1"]["passenger_id"] == "ABC123-1"
    assert _rules(results["MSG0001-1", "ABC123-1"]) == ["CUS-0901"]
    listing = api.get(f"/v1/flights/NZ5/{DAY}/priority", "customs_officer").json
    assert listing["passengers"] == 5
    assert sorted(r["passenger_ref"] for r in listing["ranked"]) == [
        "ABC123-1",
        "ABC123-2",
        "DEF456-1",
        "DEF456-2",
        "MSG0001-4",
    ]


def test_a_pnr_sent_again_without_a_traveller_no_longer_books_them_and_a_crew_list_is_not_the_api(
    api, services, joined_backend
):
    _post(api, "pnrgov", pnrgov(BOOKED))
    # A crew list of the flight: its people are never booked, and it is not the passengers' API, so the
    # PNR's travellers are not "booked, not boarded" (their journeys do not change).
    crew = _post(api, "paxlst", paxlst([("PILOT", "PAT", "700101", "NZL", "CR000001")], reference="CREW1", crew=True))
    [pilot] = crew["results"]
    assert pilot["journey"] == {
        "has_api": True,
        "has_pnr": False,
        "api_passenger_id": "CREW1-1",
        "pnr_passenger_id": None,
    }
    # DEF456 sent again without Nora: Nora is no longer booked; Peter's booking now has one traveller.
    fewer = [BOOKED[0], ("DEF456", CARD, BOOKED[1][2][:1])]
    again = _post(api, "pnrgov", pnrgov(fewer))
    [peter] = again["results"]
    assert peter["passenger_id"] == "DEF456-1"
    assert {u["journey"]["pnr_passenger_id"] for u in again["unchanged"]} == {"ABC123-1", "ABC123-2"}
    view_of = api.get(f"/v1/decisions/{peter['decision_id']}", "customs_system").json
    assert view_of["journey"]["sources"]["booking.passengers_in_booking"] == "pnr"
    with services.flight_sources.view(FlightKey("customs", "NZ5", dt.date(2026, 12, 2))) as view:
        assert "pnr:DEF456-2" not in view.travellers(every=True)


def test_the_ingest_worker_joins_exactly_once_per_message(services, joined_backend):
    handler = MessageHandler(services, "customs")
    outcomes = [handler.handle(text.encode()) for text in (pnrgov(BOOKED), paxlst(BOARDED), pnrgov(BOOKED))]
    assert [o.status for o in outcomes] == [EVALUATED, EVALUATED, "duplicate"]
    assert [o.travellers for o in outcomes[:2]] == [4, 4]
    # A PAXLST of the same travellers in another message: no change, so no decision; its digest is kept.
    assert handler.handle(paxlst(BOARDED, reference="MSG0009").encode()).status == EVALUATED
    assert Counter(d.passenger_ref for d in _decisions(services)) == {
        "ABC123-1": 2,
        "ABC123-2": 2,
        "DEF456-1": 2,
        "DEF456-2": 2,
        "MSG0001-4": 1,
    }


# --- the store ------------------------------------------------------------------------------------


KEY = FlightKey("customs", "NZ9", dt.date(2026, 12, 2))


def _update(view: RecordedView, name: str, family: str) -> FlightUpdate:
    """A message of one API traveller, made from what ``view`` read."""
    traveller = Traveller(family, "ANA", "1990-01-01", f"D{family}", "NZL")
    view.travellers(names={name})
    documents, persons = {traveller.document_key}, {traveller.person_key}
    view.travellers(documents=documents, persons=persons, source="pnr")
    before, later = view.state, dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    # Neither message is the first API (that would change every journey of the PNR, and so each other's).
    after = FlightState(KEY, before.version + 1, before.api_at, before.pnr_at, later)
    held = HeldTraveller(traveller, name, f"digest-{family}")
    return FlightUpdate(before, after, list(view.reads), {name: held}, {name: {"passenger_id": name}})


def test_two_messages_of_one_flight_commit_at_once_unless_one_changed_what_the_other_read(services):
    # Both read the new flight, and each its own traveller: both commit (no one's reads changed)...
    with services.flight_sources.view(KEY) as one, services.flight_sources.view(KEY) as two:
        first, second = _update(RecordedView(one), "api:a", "LEE"), _update(RecordedView(two), "api:b", "NGATA")
    services.flight_sources.commit([first], [])
    services.flight_sources.commit([second], [])
    with services.flight_sources.view(KEY) as view:
        assert view.state.version == 2 and set(view.travellers(every=True)) == {"api:a", "api:b"}
    # ...but one that read a traveller another then changed joins again.
    with services.flight_sources.view(KEY) as one, services.flight_sources.view(KEY) as two:
        first, second = _update(RecordedView(one), "api:a", "LEA"), _update(RecordedView(two), "api:a", "LEE")
    services.flight_sources.commit([first], [])
    with pytest.raises(FlightChanged):
        services.flight_sources.commit([second], [])


def test_racing_commits_of_one_flight_keep_every_traveller(services):
    """Threads committing travellers of one flight at once: each commit that succeeds is kept, none lost."""
    committed: list[str] = []
    start = threading.Barrier(4)

    def commit(n: int) -> None:
        start.wait()
        for _ in range(20):
            with services.flight_sources.view(KEY) as view:
                found = _update(RecordedView(view), f"api:t{n}", f"T{n}")
            try:
                services.flight_sources.commit([found], [])
            except FlightChanged:
                continue
            committed.append(f"api:t{n}")
            return

    threads = [threading.Thread(target=commit, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with services.flight_sources.view(KEY) as view:
        assert set(view.travellers(every=True)) == set(committed) == {f"api:t{n}" for n in range(4)}
