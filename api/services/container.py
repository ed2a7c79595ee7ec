"""The services one app uses, built from settings (or given by a test) in the app factory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from flask import current_app
from sqlalchemy import Engine

from api.config import Settings
from api.decisions import DecisionRecorder, DecisionSpool
from api.rulesets import EngineIsolation, RulesetManager
from api.services.audit import SqlAuditLog
from api.services.cache import MemoryCache, RedisCache
from api.services.hits import SqlHitStore
from api.services.interfaces import Cache
from api.services.journeys import RedisJourneys, SqlJourneys
from api.services.sharing import SqlSharingStore
from api.services.store import SqlStore
from api.services.watchlists import SqlWatchlistStore
from api.watchlists import WatchlistManager
from screening import MatchSettings


@dataclass
class Services:
    settings: Settings
    engine: Engine
    store: SqlStore
    audit: SqlAuditLog
    cache: Cache
    rulesets: RulesetManager
    decisions: DecisionRecorder
    identity_key: bytes
    watchlist_store: SqlWatchlistStore
    watchlists: WatchlistManager
    hits: SqlHitStore
    sharing: SqlSharingStore
    journeys: RedisJourneys | SqlJourneys

    @classmethod
    def build(cls, settings: Settings, hasher: PasswordHasher | None = None) -> Services:
        """The real services for ``settings`` (tests pass a cheaper key hasher)."""
        from api.db import make_engine, make_sessions

        engine = make_engine(settings.database_url)
        sessions = make_sessions(engine)
        audit = SqlAuditLog(sessions)
        store = SqlStore(sessions, audit, hasher)
        redis_url, prefix = settings.redis_url, settings.redis_key_prefix
        cache: Cache = RedisCache(redis_url, prefix) if redis_url else MemoryCache()
        watchlist_store = SqlWatchlistStore(sessions, audit)
        return cls(
            settings=settings,
            engine=engine,
            store=store,
            audit=audit,
            cache=cache,
            rulesets=RulesetManager(
                store,
                settings.ruleset_poll_seconds,
                EngineIsolation(settings.engine_timeout_seconds) if settings.engine_isolation else None,
            ),
            decisions=DecisionRecorder(store, spool=DecisionSpool(Path(settings.instance_path) / "decision-spool")),
            identity_key=settings.resolved_identity_key(),
            watchlist_store=watchlist_store,
            watchlists=WatchlistManager(
                watchlist_store, settings.watchlist_poll_seconds, MatchSettings(min_score=settings.watchlist_min_score)
            ),
            hits=SqlHitStore(sessions, audit),
            sharing=SqlSharingStore(sessions, audit),
            journeys=RedisJourneys(redis_url, prefix) if redis_url else SqlJourneys(sessions),
        )


def services() -> Services:
    return current_app.extensions["targeting"]  # type: ignore[no-any-return]
