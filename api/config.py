"""Every setting of the service, read from environment variables in this one place.

Defaults run anywhere with no servers: a SQLite file under ``instance/`` and an
in-process cache. Production sets ``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL``.
"""

from __future__ import annotations

import math
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Settings:
    database_url: str = field(
        default="",
        metadata={
            "secret": True,
            "doc": (
                "SQLAlchemy URL of the rule store, decisions and audit log (`postgres://` is taken as "
                "`postgresql+psycopg://`); unset: a SQLite file in INSTANCE_PATH; `memory://`: the in-memory "
                "stores, for tests only (one process, nothing kept)."
            ),
        },
    )
    redis_url: str = field(
        default="",
        metadata={"secret": True, "doc": "Redis URL of the evaluation cache; unset: an in-process cache."},
    )
    redis_key_prefix: str = field(
        default="",
        metadata={
            "doc": (
                "Prefix of every key the service writes to Redis (cache, journey profiles, rate-limit counters), "
                "for several deployments or test runs on one Redis; unset: no prefix."
            )
        },
    )
    cache_ttl_seconds: int = field(default=24 * 3600, metadata={"doc": "Seconds a cached evaluation result lives."})
    identity_hash_key: str = field(
        default="",
        metadata={
            "secret": True,
            "doc": (
                "Key of the HMAC that turns a passenger's identity into the hash stored with decisions; "
                "unset: one generated once into INSTANCE_PATH/identity.key (set it in production, "
                "the same on every host)."
            ),
        },
    )
    console_secret_key: str = field(
        default="",
        metadata={
            "secret": True,
            "doc": (
                "Key that signs the web console's session cookie (which holds the signed-in API key); "
                "unset: one generated once into INSTANCE_PATH/console.key (set it in production, "
                "the same on every host)."
            ),
        },
    )
    record_retention_days: int = field(
        default=30,
        metadata={"doc": "Days a decision keeps the passenger record it was made on (for replay), then purged."},
    )
    max_manifest_size: int = field(default=1000, metadata={"doc": "Passengers accepted in one evaluation request."})
    max_request_bytes: int = field(default=8 * 1024 * 1024, metadata={"doc": "Largest request body, bytes."})
    rate_limit: str = field(
        default="1200/minute",
        metadata={
            "doc": (
                "Requests one API key may make to /v1 (e.g. `1200/minute`, `20/second;1000/hour`); "
                "past it 429 with Retry-After. Counted in Redis when REDIS_URL is set, shared by every process."
            )
        },
    )
    trusted_proxies: int = field(
        default=0,
        metadata={
            "doc": (
                "Reverse proxies in front of the service whose X-Forwarded-For/-Proto headers are believed "
                "(0: none; the client address is the connection's). Set it to the number of proxies, so "
                "failed-authentication limits and audit entries see the real client, not the proxy."
            )
        },
    )
    auth_failure_limit: str = field(
        default="20/minute",
        metadata={
            "doc": (
                "Failed authentications (missing, unknown, revoked or expired key) one client address may make; "
                "past it every /v1 request from that address gets 429 until the window ends."
            )
        },
    )
    ruleset_poll_seconds: float = field(
        default=0.5, metadata={"doc": "How often each process checks the store for a newer ruleset, seconds."}
    )
    engine_isolation: bool = field(
        default=True,
        metadata={"doc": "Run durable-rules in a worker process that is replaced if it crashes or hangs."},
    )
    engine_timeout_seconds: float = field(
        default=10.0, metadata={"doc": "How long one engine round trip may take before the worker is replaced."}
    )
    watchlist_min_score: float = field(
        default=0.85,
        metadata={
            "doc": "Joint watchlist score from which an entry matches (0 to 1); blocking is complete from it down."
        },
    )
    watchlist_poll_seconds: float = field(
        default=2.0, metadata={"doc": "How often each process checks the store for watchlist changes, seconds."}
    )
    runaway_share: float = field(
        default=0.5,
        metadata={"doc": "A rule matching more than this share of a flight's passengers is flagged as runaway."},
    )
    runaway_min_passengers: int = field(
        default=20, metadata={"doc": "Passengers a flight (or manifest) needs before the runaway flag applies."}
    )
    journey_hours_after_arrival: int = field(
        default=24,
        metadata={
            "doc": "Hours after scheduled arrival a combined journey profile, and a flight's API and PNR held "
            "to join them, are kept, then gone."
        },
    )
    amqp_url: str = field(
        default="amqp://guest:guest@127.0.0.1:5672/%2F",
        metadata={
            "secret": True,
            "doc": (
                "AMQP URL of the RabbitMQ broker `targeting ingest` takes PAXLST and PNRGOV messages from "
                "(the default is a local broker's guest account, which RabbitMQ accepts from the same host only)."
            ),
        },
    )
    ingest_queue: str = field(
        default="targeting.ingest",
        metadata={
            "doc": (
                "Durable queue `targeting ingest` consumes; unreadable messages go to the queue of the same name "
                "with `.dead` added, through the fanout exchange of that name. Workers declare all three."
            )
        },
    )
    ingest_prefetch: int = field(
        default=8,
        metadata={
            "doc": (
                "Messages one ingest worker holds unacknowledged at a time: the rest of the queue stays with the "
                "other workers, and a killed worker's go back to the queue."
            )
        },
    )
    log_level: str = field(default="INFO", metadata={"doc": "Logging level of the service's JSON logs."})
    host: str = field(default="127.0.0.1", metadata={"doc": "Address `targeting serve` listens on."})
    port: int = field(default=8080, metadata={"doc": "Port `targeting serve` listens on."})
    workers: int = field(default=2, metadata={"doc": "Gunicorn worker processes started by `targeting serve`."})
    replicas: int = field(
        default=1,
        metadata={
            "doc": (
                "Instances of the service sharing one database (compose replicas, pods). Above 1, "
                "CONSOLE_SECRET_KEY and IDENTITY_HASH_KEY must be set, the same on each: otherwise every "
                "replica makes keys of its own, and a console session signed by one is refused by the next."
            )
        },
    )
    instance_path: str = field(
        default=str(ROOT / "instance"),
        metadata={"doc": "Directory for files the embedded defaults create (SQLite database, identity key)."},
    )
    #: Set by tests: disables background threads they do not want.
    testing: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from environment variables named after the fields in upper case (``DATABASE_URL``, ...).

        A value the setting cannot take raises :class:`SettingError` naming the variable.
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}  # each converted to its field's type by _convert
        for spec in fields(cls):
            if "doc" not in spec.metadata:
                continue
            variable = spec.name.upper()
            raw = _secret_file(variable, env) if spec.metadata.get("secret") else None
            if raw is None:
                raw = env.get(variable)
            if raw is None or raw == "":
                continue
            values[spec.name] = _convert(variable, raw, spec.default)
        return cls(**values)

    def __post_init__(self) -> None:
        if self.replicas < 1:
            raise SettingError(f"REPLICAS: expected a whole number from 1, got {self.replicas}")
        if self.replicas > 1:
            unset = [name for name in ("CONSOLE_SECRET_KEY", "IDENTITY_HASH_KEY") if not getattr(self, name.lower())]
            if unset:
                raise SettingError(
                    f"{' and '.join(unset)} must be set (or {'/'.join(f'{name}_FILE' for name in unset)}), "
                    f"the same on every replica, when REPLICAS is {self.replicas}: each replica would make a key "
                    "of its own"
                )
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{Path(self.instance_path) / 'targeting.sqlite3'}")
        elif self.database_url.startswith("postgres://"):
            # The scheme Heroku-style platforms hand out; SQLAlchemy knows PostgreSQL as postgresql.
            object.__setattr__(self, "database_url", "postgresql+psycopg://" + self.database_url[len("postgres://") :])

    def with_overrides(self, overrides: Mapping[str, Any]) -> Settings:
        return replace(self, **overrides)

    def resolved_identity_key(self) -> bytes:
        """The identity HMAC key; on the embedded default, one generated once and kept in the instance folder."""
        if self.identity_hash_key:
            return self.identity_hash_key.encode()
        path = Path(self.instance_path) / "identity.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        return path.read_text().strip().encode()

    def resolved_console_secret_key(self) -> bytes:
        """The console's session signing key; on the embedded default, one generated once into the instance folder."""
        if self.console_secret_key:
            return self.console_secret_key.encode()
        path = Path(self.instance_path) / "console.key"
        if not path.exists():
            # gunicorn workers start together: the first to link its key wins and every worker reads that one.
            path.parent.mkdir(parents=True, exist_ok=True)
            candidate = path.with_name(f".console.key.{os.getpid()}.{secrets.token_hex(4)}")
            candidate.write_text(secrets.token_hex(32))
            candidate.chmod(0o600)
            try:
                os.link(candidate, path)
            except FileExistsError:
                pass
            finally:
                candidate.unlink()
        return path.read_text().strip().encode()


class SettingError(ValueError):
    """An environment variable holds a value its setting cannot take; the message names the variable."""


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _secret_file(variable: str, env: Mapping[str, str]) -> str | None:
    """The value of a secret setting from the file ``<variable>_FILE`` names (Docker and Kubernetes
    secrets), without its final line break; None when that variable is not set."""
    path = env.get(f"{variable}_FILE")
    if not path:
        return None
    if env.get(variable):
        raise SettingError(f"{variable} and {variable}_FILE are both set: set one")
    try:
        value = Path(path).read_text(encoding="utf-8").rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise SettingError(f"{variable}_FILE: cannot read {path}: {reason}") from None
    if not value.strip():
        raise SettingError(f"{variable}_FILE: {path} is empty")
    return value


def _convert(variable: str, raw: str, default: object) -> object:
    """``raw`` as the type of the setting's ``default``."""
    if isinstance(default, bool):
        if raw.strip().lower() not in _TRUE + _FALSE:
            raise SettingError(f"{variable}: expected true or false, got {raw!r}")
        return raw.strip().lower() in _TRUE
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise SettingError(f"{variable}: expected a whole number, got {raw!r}") from None
    if isinstance(default, float):
        try:
            number = float(raw)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise SettingError(f"{variable}: expected a number, got {raw!r}")
        return number
    return raw


def describe() -> list[tuple[str, str, str]]:
    """(variable, default, meaning) for every setting, for the README and ``targeting config``."""
    rows = []
    for spec in fields(Settings):
        if "doc" in spec.metadata:
            default = spec.default
            shown = "(unset)" if default == "" else "./instance" if spec.name == "instance_path" else str(default)
            doc = spec.metadata["doc"]
            if spec.metadata.get("secret"):
                doc += f" Or from a file: {spec.name.upper()}_FILE (a Docker or Kubernetes secret)."
            rows.append((spec.name.upper(), shown, doc))
    return rows
