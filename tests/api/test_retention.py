"""Passenger data past its retention limit is removed, and the removal is recorded."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from api.db.models import DecisionRow, JourneyPartRow
from tests.api.conftest import OPERATOR, live_rule, passenger


def test_purge_removes_records_past_retention_and_expired_journeys_and_audits_it(api, services):
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
    assert entry["action"] == "decisions.purge"
    assert entry["detail"]["purged"] == 1 and entry["detail"]["journey_parts_expired"] == 1
