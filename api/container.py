"""The services one app uses, built from settings (or given by a test) in the app factory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from flask import current_app
from sqlalchemy import Engine

from api.audit.interface import AuditLog
from api.audit.log import SqlAuditLog
from api.cache import Cache, MemoryCache, RedisCache
from api.config import Settings
from api.evaluations.decisions import DecisionRecorder, DecisionSpool
from api.evaluations.interface import DecisionStore
from api.evaluations.store import SqlDecisionStore
from api.hits.interface import HitStore
from api.hits.store import SqlHitStore
from api.journeys.interface import JourneyStore
from api.journeys.store import RedisJourneys, SqlJourneys
from api.keys.interface import KeyStore
from api.keys.store import SqlKeyStore
from api.lists.interface import ListStore
from api.lists.store import SqlListStore
from api.rules.interface import RuleStore
from api.rules.rulesets import EngineIsolation, RulesetManager
from api.rules.store import SqlRuleStore
from api.sharing.interface import SharingStore
from api.sharing.store import SqlSharingStore
from api.watchlist.interface import WatchlistStore
from api.watchlist.manager import WatchlistManager
from api.watchlist.store import SqlWatchlistStore
from screening import MatchSettings


@dataclass
class Services:
    settings: Settings
    engine: Engine
    rule_store: RuleStore
    list_store: ListStore
    decision_store: DecisionStore
    key_store: KeyStore
    audit: AuditLog
    cache: Cache
    rulesets: RulesetManager
    decisions: DecisionRecorder
    identity_key: bytes
    watchlist_store: WatchlistStore
    watchlists: WatchlistManager
    hits: HitStore
    sharing: SharingStore
    journeys: JourneyStore

    @classmethod
    def build(cls, settings: Settings, hasher: PasswordHasher | None = None) -> Services:
        """The real services for ``settings`` (tests pass a cheaper key hasher)."""
        from api.db import make_engine, make_sessions

        engine = make_engine(settings.database_url)
        sessions = make_sessions(engine)
        audit = SqlAuditLog(sessions)
        rule_store = SqlRuleStore(sessions, audit)
        decision_store = SqlDecisionStore(sessions, audit)
        redis_url, prefix = settings.redis_url, settings.redis_key_prefix
        cache: Cache = RedisCache(redis_url, prefix) if redis_url else MemoryCache()
        watchlist_store = SqlWatchlistStore(sessions, audit)
        return cls(
            settings=settings,
            engine=engine,
            rule_store=rule_store,
            list_store=SqlListStore(sessions, audit),
            decision_store=decision_store,
            key_store=SqlKeyStore(sessions, audit, hasher),
            audit=audit,
            cache=cache,
            rulesets=RulesetManager(
                rule_store,
                settings.ruleset_poll_seconds,
                EngineIsolation(settings.engine_timeout_seconds) if settings.engine_isolation else None,
            ),
            decisions=DecisionRecorder(
                decision_store, spool=DecisionSpool(Path(settings.instance_path) / "decision-spool")
            ),
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
