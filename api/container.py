"""The services one app uses, built from settings (or given by a test) in the app factory."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from flask import current_app
from sqlalchemy import Engine

from api.audit.interface import AuditLog
from api.audit.log import SqlAuditLog
from api.audit.memory import MemoryAuditLog, MemoryTransaction
from api.cache import Cache, MemoryCache, RedisCache
from api.config import Settings
from api.evaluations.decisions import DecisionRecorder, DecisionSpool
from api.evaluations.interface import DecisionStore
from api.evaluations.memory import MemoryDecisionStore
from api.evaluations.store import SqlDecisionStore
from api.hits.interface import HitStore
from api.hits.memory import MemoryHitStore
from api.hits.store import SqlHitStore
from api.ingest.interface import IngestStore
from api.ingest.memory import MemoryIngestStore
from api.ingest.store import SqlIngestStore
from api.journeys.interface import JourneyStore
from api.journeys.memory import MemoryJourneys
from api.journeys.store import RedisJourneys, SqlJourneys
from api.keys.interface import KeyStore
from api.keys.memory import MemoryKeyStore
from api.keys.store import SqlKeyStore
from api.lists.interface import ListStore
from api.lists.memory import MemoryListStore
from api.lists.store import SqlListStore
from api.rules.interface import RuleStore
from api.rules.memory import MemoryDocuments, MemoryRuleStore
from api.rules.rulesets import EngineIsolation, RulesetManager
from api.rules.store import SqlRuleStore
from api.sharing.interface import SharingStore
from api.sharing.memory import MemorySharingStore
from api.sharing.store import SqlSharingStore
from api.sources.interface import FlightSourceStore
from api.sources.memory import MemoryFlightSources
from api.sources.store import SqlFlightSources
from api.watchlist.interface import WatchlistStore
from api.watchlist.manager import WatchlistManager
from api.watchlist.memory import MemoryWatchlistStore
from api.watchlist.store import SqlWatchlistStore
from screening import MatchSettings

#: The ``DATABASE_URL`` of the in-memory stores: nothing is kept past the process, and each process
#: has its own (so one process only: tests, and trying the service out), but no database is needed.
MEMORY_URL = "memory://"


@dataclass
class Stores:
    """One implementation of every store interface, sharing one transaction and audit log."""

    #: The SQL engine (None on the in-memory stores)
    engine: Engine | None
    rule_store: RuleStore
    list_store: ListStore
    decision_store: DecisionStore
    key_store: KeyStore
    audit: AuditLog
    watchlist_store: WatchlistStore
    hits: HitStore
    sharing: SharingStore
    journeys: JourneyStore
    #: the airline messages ``targeting ingest`` evaluated, committed with their decisions
    ingest: IngestStore
    #: each flight's API and PNR, held to join them into one journey per traveller
    flight_sources: FlightSourceStore

    @staticmethod
    def sql(url: str, hasher: PasswordHasher | None) -> Stores:
        from api.db import make_engine, make_sessions

        engine = make_engine(url)
        sessions = make_sessions(engine)
        audit = SqlAuditLog(sessions)
        return Stores(
            engine=engine,
            rule_store=SqlRuleStore(sessions, audit),
            list_store=SqlListStore(sessions, audit),
            decision_store=SqlDecisionStore(sessions, audit),
            key_store=SqlKeyStore(sessions, audit, hasher),
            audit=audit,
            watchlist_store=SqlWatchlistStore(sessions, audit),
            hits=SqlHitStore(sessions, audit),
            sharing=SqlSharingStore(sessions, audit),
            journeys=SqlJourneys(sessions),
            ingest=SqlIngestStore(sessions),
            flight_sources=SqlFlightSources(sessions),
        )

    @staticmethod
    def memory(hasher: PasswordHasher | None) -> Stores:
        transaction = MemoryTransaction()
        audit = MemoryAuditLog(transaction)
        documents = MemoryDocuments(transaction, audit)
        hits = MemoryHitStore(transaction, audit)
        decisions = MemoryDecisionStore(transaction, audit, hits)
        flight_sources = MemoryFlightSources(transaction, decisions)
        return Stores(
            engine=None,
            rule_store=MemoryRuleStore(documents),
            list_store=MemoryListStore(documents),
            decision_store=decisions,
            key_store=MemoryKeyStore(transaction, audit, hasher),
            audit=audit,
            watchlist_store=MemoryWatchlistStore(transaction, audit),
            hits=hits,
            sharing=MemorySharingStore(transaction, audit),
            journeys=MemoryJourneys(),
            ingest=MemoryIngestStore(transaction, decisions, flight_sources),
            flight_sources=flight_sources,
        )


@dataclass
class Services(Stores):
    """The stores, and what the app builds on them: the cache, the ruleset and watchlist managers,
    the decision recorder."""

    settings: Settings
    cache: Cache
    rulesets: RulesetManager
    decisions: DecisionRecorder
    identity_key: bytes
    watchlists: WatchlistManager

    @classmethod
    def build(cls, settings: Settings, hasher: PasswordHasher | None = None) -> Services:
        """The real services for ``settings`` (tests pass a cheaper key hasher)."""
        stores = (
            Stores.memory(hasher) if settings.database_url == MEMORY_URL else Stores.sql(settings.database_url, hasher)
        )
        redis_url, prefix = settings.redis_url, settings.redis_key_prefix
        cache: Cache = RedisCache(redis_url, prefix) if redis_url else MemoryCache()
        stores = dataclasses.replace(
            stores,
            # Journeys are shared between processes through Redis when there is one.
            journeys=RedisJourneys(redis_url, prefix) if redis_url else stores.journeys,
        )
        return cls(
            **{field.name: getattr(stores, field.name) for field in dataclasses.fields(Stores)},
            settings=settings,
            cache=cache,
            rulesets=RulesetManager(
                stores.rule_store,
                settings.ruleset_poll_seconds,
                EngineIsolation(settings.engine_timeout_seconds) if settings.engine_isolation else None,
            ),
            decisions=DecisionRecorder(
                stores.decision_store, spool=DecisionSpool(Path(settings.instance_path) / "decision-spool")
            ),
            identity_key=settings.resolved_identity_key(),
            watchlists=WatchlistManager(
                stores.watchlist_store,
                settings.watchlist_poll_seconds,
                MatchSettings(min_score=settings.watchlist_min_score),
            ),
        )


def services() -> Services:
    return current_app.extensions["targeting"]
