"""Passenger data past its retention limit is removed, and the removal is recorded."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from api.db.models import DecisionRow, JourneyPartRow
from api.evaluations.interface import DecisionRecord
from tests.api.conftest import OPERATOR, live_rule, passenger


def test_purge_removes_records_past_retention_and_expired_journeys_and_audits_it(sql_backend, api, services):
    live_rule(api)
    old, new = (
        api.post("/v1/evaluations", "customs_system", json={"passenger": passenger()}).json["results"][0]["decision_id"]
        for _ in range(2)
    )
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=services.settings.record_retention_days + 1)
    with services.engine.begin() as connection:
        connection.execute(update(DecisionRow).where(DecisionRow.id == old).values(created_at=long_ago))
    from api.db import make_sessions
    from api.journeys.store import SqlJourneys

    journeys = SqlJourneys(make_sessions(services.engine))
    journeys.put("j-" + "b" * 32, "customs", {"at": "1", "passenger": {}}, 3600)
    journeys.put("j-" + "a" * 32, "customs", {"at": "1", "passenger": {}}, 0)  # past its time at once
    before = dt.datetime.now(dt.UTC) - dt.timedelta(days=services.settings.record_retention_days)
    assert services.decision_store.purge_records(before, OPERATOR) == 1
    assert services.decision_store.decision(old).record is None
    assert services.decision_store.decision(new).record is not None
    replay = api.get(f"/v1/decisions/{old}/replay", "customs_system")
    assert (replay.status_code, replay.json["code"]) == (409, "record_purged")
    with services.engine.connect() as connection:
        assert connection.execute(select(JourneyPartRow.journey_key)).scalars().all() == ["j-" + "b" * 32]
    [entry] = services.audit.entries(object_id="records")
    assert entry.action == "decisions.purge"
    assert entry.detail["purged"] == 1 and entry.detail["journey_parts_expired"] == 1


def _decision(decision_id: str, created: dt.datetime, record: dict | None) -> DecisionRecord:
    return DecisionRecord(
        decision_id,
        created,
        created,
        1,
        "rs-test",
        "customs",
        "test",
        decision_id.upper(),
        "h-" + decision_id,
        [],
        0.0,
        False,
        record,
        "NZ5",
        created.date(),
    )


def test_a_record_is_purged_once_and_a_purged_or_missing_one_is_never_retained(services):
    # Every store: a JSON column must keep a purged record as SQL NULL, not as the JSON text null,
    # or each purge counts it again and backtests read it as an empty passenger.
    now = dt.datetime.now(dt.UTC)
    retention = dt.timedelta(days=services.settings.record_retention_days)
    long_ago = now - retention - dt.timedelta(days=1)
    services.decision_store.record_decisions(
        [
            _decision("d-old", long_ago, {"passenger_id": "P-OLD"}),
            _decision("d-none", long_ago, None),
            _decision("d-new", now, {"passenger_id": "P-NEW"}),
        ]
    )
    window = (long_ago - dt.timedelta(days=1), now + dt.timedelta(seconds=1))
    assert sorted(d.id for d in services.decision_store.retained_decisions(*window)) == ["d-new", "d-old"]
    assert services.decision_store.purge_records(now - retention, OPERATOR) == 1
    assert services.decision_store.purge_records(now - retention, OPERATOR) == 0
    assert [d.id for d in services.decision_store.retained_decisions(*window)] == ["d-new"]
    assert [e.detail["purged"] for e in services.audit.entries(object_id="records")] == [1, 0]
