"""Journey profiles: each agency's contribution to one passenger's journey, kept until after arrival.

One Redis hash per journey, one field per agency: agencies write their own parts without
racing each other, and the whole profile expires on its own (TTL) a configured time
after the flight's arrival. Unlike the evaluation cache, a failing Redis here is an
error (503): a contribution is data an agency expects to be kept.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any

import redis
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from api.common import Unavailable
from api.db.models import JourneyPartRow
from api.db.sessions import transaction

PREFIX = "tgt:journey:v1:"


class RedisJourneys:
    def __init__(self, url: str, key_prefix: str = "") -> None:
        self._client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        self._prefix = key_prefix + PREFIX

    def put(self, key: str, agency: str, contribution: Mapping[str, Any], ttl_seconds: int) -> dict[str, Any]:
        """Store ``agency``'s part and return every agency's part, in one round trip."""
        try:
            with self._client.pipeline(transaction=True) as pipe:
                pipe.hset(self._prefix + key, agency, json.dumps(contribution, sort_keys=True))
                pipe.expire(self._prefix + key, ttl_seconds)
                pipe.hgetall(self._prefix + key)
                _, _, found = pipe.execute()
        except redis.RedisError as exc:
            raise Unavailable("the journey store is unavailable; try again", "journeys_unavailable") from exc
        return {name.decode(): json.loads(value) for name, value in found.items()}

    def get(self, key: str) -> dict[str, Any]:
        try:
            found = self._client.hgetall(self._prefix + key)
        except redis.RedisError as exc:
            raise Unavailable("the journey store is unavailable; try again", "journeys_unavailable") from exc
        # The client does not decode responses: names come back as bytes.
        return {name.decode() if isinstance(name, bytes) else name: json.loads(value) for name, value in found.items()}


class SqlJourneys:
    """The same in the relational store, for running without Redis: every worker process sees
    every part (an in-process store would split a journey between gunicorn workers)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def _session(self) -> AbstractContextManager[Session]:
        return transaction(self._sessions, "the journey store is unavailable; try again", "journeys_unavailable")

    def put(self, key: str, agency: str, contribution: Mapping[str, Any], ttl_seconds: int) -> dict[str, Any]:
        now = dt.datetime.now(dt.UTC)
        with self._session() as session:
            session.execute(delete(JourneyPartRow).where(JourneyPartRow.expires_at <= now))
            session.execute(
                delete(JourneyPartRow).where(JourneyPartRow.journey_key == key, JourneyPartRow.agency == agency)
            )
            session.add(
                JourneyPartRow(
                    journey_key=key,
                    agency=agency,
                    part=json.loads(json.dumps(contribution)),
                    expires_at=now + dt.timedelta(seconds=ttl_seconds),
                )
            )
            # Like Redis EXPIRE on the hash: the whole journey lives as long as its newest part says.
            session.execute(
                update(JourneyPartRow)
                .where(JourneyPartRow.journey_key == key)
                .values(expires_at=now + dt.timedelta(seconds=ttl_seconds))
            )
            return self._parts(session, key, now)

    def get(self, key: str) -> dict[str, Any]:
        with self._session() as session:
            return self._parts(session, key, dt.datetime.now(dt.UTC))

    @staticmethod
    def _parts(session: Session, key: str, now: dt.datetime) -> dict[str, Any]:
        rows = session.execute(
            select(JourneyPartRow).where(JourneyPartRow.journey_key == key, JourneyPartRow.expires_at > now)
        ).scalars()
        return {row.agency: row.part for row in rows}
