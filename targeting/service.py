"""Service commands of ``targeting``: serve, db, seed, rules import, keys, audit, decisions.

They read settings from the environment like the service (``api.config``).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import getpass
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from targeting.cli import CommandError
from targeting.wording import counted


def add_commands(commands: Any, rules: Any) -> None:
    serve = commands.add_parser("serve", help="run the HTTP service (gunicorn), migrating the database first")
    serve.add_argument("--host", help="address to listen on (default: HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: PORT or 8080)")
    serve.add_argument("--workers", type=int, help="gunicorn worker processes (default: WORKERS or 2)")
    serve.add_argument("--dev", action="store_true", help="Flask's development server instead of gunicorn")
    add_no_migrate_option(serve)
    serve.set_defaults(handler=_serve)

    db = commands.add_parser("db", help="database").add_subparsers(title="database commands")
    upgrade = db.add_parser("upgrade", help="create or migrate the database schema")
    upgrade.set_defaults(handler=_db_upgrade)

    seed = commands.add_parser("seed", help="demo data: the agencies' rule packs and the demo keys")
    seed.add_argument("--rules", default="rules", help="rule packs to import (default: ./rules)")
    seed.add_argument("--accounts", default="seeds/accounts.yaml", help="demo keys (default: ./seeds/accounts.yaml)")
    seed.add_argument(
        "--watchlist", default="seeds/watchlist.csv", help="demo joint watchlist (default: ./seeds/watchlist.csv)"
    )
    seed.set_defaults(handler=_seed)

    watchlist = commands.add_parser("watchlist", help="the joint watchlist").add_subparsers(title="watchlist commands")
    load = watchlist.add_parser(
        "import", help="import a CSV of entries: every bad row reported by line and column; nothing imported if any"
    )
    load.add_argument("path", metavar="CSV")
    load.add_argument("--skip-bad-rows", action="store_true", help="import the good rows and report the bad ones")
    load.add_argument("--quiet", action="store_true", help="no progress bar")
    load.set_defaults(handler=_watchlist_import)

    importer = rules.add_parser("import", help="load packs as approved, active rule versions (bootstrapping)")
    importer.add_argument("paths", nargs="+", metavar="PATH")
    importer.set_defaults(handler=_rules_import)

    keys = commands.add_parser("keys", help="API keys").add_subparsers(title="key commands")
    create = keys.add_parser("create", help="create an API key; it is printed once")
    create.add_argument("--name", required=True, help="the person or system the key belongs to")
    create.add_argument("--agency", required=True, help="customs, mpi, immigration or central")
    create.add_argument("--roles", required=True, help="comma-separated: officer,approver,system,auditor,admin")
    create.add_argument("--expires-days", type=int, help="days until the key expires")
    create.set_defaults(handler=_keys_create)
    revoke = keys.add_parser("revoke", help="revoke an API key")
    revoke.add_argument("key_id")
    revoke.set_defaults(handler=_keys_revoke)

    audit = commands.add_parser("audit", help="audit log").add_subparsers(title="audit commands")
    verify = audit.add_parser("verify", help="check the hash chain; name the first broken entry")
    verify.set_defaults(handler=_audit_verify)

    decisions = commands.add_parser("decisions", help="decisions").add_subparsers(title="decision commands")
    purge = decisions.add_parser("purge", help="remove passenger records past RECORD_RETENTION_DAYS")
    purge.set_defaults(handler=_decisions_purge)


def add_no_migrate_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--no-migrate",
        action="store_true",
        help="leave migrating to a one-shot 'targeting db upgrade' (compose: the migrate service); "
        "refuse to start on a database that is not at the newest revision",
    )


def _operator() -> Any:
    from api.common import Actor

    try:
        user = getpass.getuser()
    except Exception:
        user = "unknown"
    return Actor("cli", f"operator:{user}", "central", frozenset({"admin"}))


def _settings() -> Any:
    from api.config import SettingError, Settings

    try:
        return Settings.from_env()
    except SettingError as exc:
        raise CommandError(str(exc), status=2, code="invalid_setting") from None


def _services(migrate: bool = True) -> Any:
    """The service's parts, with the database reachable and migrated (or, without ``migrate``, found
    migrated); CommandError (one line) if not."""
    from sqlalchemy.exc import ArgumentError, DBAPIError

    from api.container import MEMORY_URL, Services
    from api.db import schema_behind, upgrade

    settings = _settings()
    if settings.database_url == MEMORY_URL:
        # Each command is a process of its own: what one seeded, the next would not see.
        raise CommandError(
            "DATABASE_URL=memory:// is for tests (the in-memory stores keep nothing past the process); "
            "leave it unset for a SQLite file, or give a PostgreSQL URL",
            status=2,
            code="invalid_setting",
        )
    try:
        services = Services.build(settings)
    except (ArgumentError, ImportError) as exc:  # not a URL, or a database without its driver (MySQL, ...)
        raise CommandError(
            f"DATABASE_URL: not a database URL this service can use ({exc})", status=2, code="invalid_setting"
        ) from None
    engine = services.engine
    assert engine is not None  # only the in-memory stores, refused above, have no SQL engine
    where = engine.url.render_as_string(hide_password=True)
    try:
        if migrate:
            upgrade(engine)
        behind = None if migrate else schema_behind(engine)
    except DBAPIError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        raise CommandError(f"cannot reach the database {where}: {reason}", code="store_unavailable") from None
    if behind:
        raise CommandError(
            f"{where}: {behind}: run 'targeting db upgrade' first (compose: the migrate service)", code="schema_behind"
        )
    return services


def _db_upgrade(args: argparse.Namespace) -> int:
    services = _services()
    print(f"database ready: {services.engine.url.render_as_string(hide_password=True)}")
    return 0


def _rules_import(args: argparse.Namespace) -> int:
    from api.common import ServiceError
    from engine import read_packs

    packs, problems = read_packs(args.paths)
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1
    try:
        info = _services().rule_store.import_packs([(p.source, p.data) for p in packs], _operator())
    except ServiceError as exc:
        _print_service_error(exc)
        return 1
    print(f"imported: ruleset {info.seq} ({info.version}), {len(info.rule_versions)} active rules")
    return 0


def _seed(args: argparse.Namespace) -> int:
    import yaml

    from api.common import Conflict

    if _rules_import(argparse.Namespace(paths=[args.rules])) != 0:
        return 1
    services = _services()
    accounts = yaml.safe_load(Path(args.accounts).read_text())
    existing = {key.id for key in services.key_store.api_keys()}
    for account in accounts["keys"]:
        if account["id"] in existing:
            continue
        with contextlib.suppress(Conflict):
            services.key_store.create_key(
                account["name"],
                account["agency"],
                account["roles"],
                _operator(),
                secret=account["secret"],
                key_id=account["id"],
            )
    if args.watchlist and _watchlist_import(argparse.Namespace(path=args.watchlist, skip_bad_rows=False, quiet=True)):
        return 1
    print("demo keys (seeds/accounts.yaml; for demos only):")
    for account in accounts["keys"]:
        print(f"  {account['name']:<32} {','.join(account['roles']):<9} tgt_{account['id']}_{account['secret']}")
    return 0


def _watchlist_import(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from api.common import ServiceError
    from screening import parse_csv

    try:
        text = Path(args.path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"{args.path}: cannot read: {exc}", file=sys.stderr)
        return 1
    entries, problems = parse_csv(text)
    for problem in problems:
        print(f"{args.path}: {problem}", file=sys.stderr)
    if problems and not args.skip_bad_rows:
        skip = "--skip-bad-rows imports the good rows"
        print(f"{counted(len(problems), 'problem')}; nothing imported ({skip})", file=sys.stderr)
        return 1
    services = _services()
    with tqdm(total=len(entries), unit="entry", disable=args.quiet or None, file=sys.stderr) as bar:
        try:
            summary = services.watchlist_store.import_entries(
                entries,
                _operator(),
                Path(args.path).name,
                skipped_rows=len({p.line for p in problems}),
                progress=bar.update,
            )
        except ServiceError as exc:
            _print_service_error(exc)
            return 1
    print(f"watchlist: {summary.created} created, {summary.updated} updated, {summary.skipped_rows} bad rows skipped")
    return 0


def _keys_create(args: argparse.Namespace) -> int:
    from api.common import ServiceError, iso_utc

    if args.expires_days is not None and args.expires_days < 1:
        raise CommandError(f"--expires-days: expected a whole number of days from 1, got {args.expires_days}", 2)
    expires = None
    if args.expires_days:
        expires = (dt.datetime.now(dt.UTC) + dt.timedelta(days=args.expires_days)).replace(microsecond=0)
    roles = [role.strip() for role in args.roles.split(",") if role.strip()]
    try:
        record, plaintext = _services().key_store.create_key(args.name, args.agency, roles, _operator(), expires)
    except ServiceError as exc:
        _print_service_error(exc)
        return 1
    print(f"API key {record.id} created")
    print(f"  name:     {record.name}")
    print(f"  agency:   {record.agency}")
    print(f"  roles:    {', '.join(record.roles)}")
    print(f"  expires:  {iso_utc(record.expires_at) or 'never'}")
    print(f"  key:      {plaintext}")
    print(f"Store the key now: it is not shown again. Revoke it with: targeting keys revoke {record.id}")
    return 0


def _print_service_error(exc: Any) -> None:
    """A refusal of the stores (``api.common.ServiceError``) on stderr: its message, then each bad setting."""
    print(f"targeting: {exc.message} ({exc.code})", file=sys.stderr)
    for path, messages in exc.errors.items():
        print(f"  {path}: {'; '.join(messages)}", file=sys.stderr)


def _keys_revoke(args: argparse.Namespace) -> int:
    from api.common import ServiceError

    try:
        record = _services().key_store.revoke_key(args.key_id, _operator())
    except ServiceError as exc:
        _print_service_error(exc)
        return 1
    revoked = record.revoked_at.isoformat().replace("+00:00", "Z") if record.revoked_at else "?"
    print(f"key {record.id} revoked at {revoked}")
    return 0


def _audit_verify(args: argparse.Namespace) -> int:
    report = _services().audit.verify()
    if report.ok:
        print(f"audit chain verified: {report.entries} entries")
        return 0
    print(f"audit chain BROKEN at entry {report.first_broken}: {report.reason} ({report.entries} verified before it)")
    return 1


def _decisions_purge(args: argparse.Namespace) -> int:
    services = _services()
    days = services.settings.record_retention_days
    before = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    count = services.decision_store.purge_records(before, _operator())
    print(f"purged the passenger records of {count} decisions made before {before.isoformat()}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    settings = _settings()
    host = args.host or settings.host
    port = args.port or settings.port
    workers = args.workers or settings.workers
    services = _services(migrate=not args.no_migrate)
    latest = services.rule_store.latest_ruleset()
    print(
        f"targeting service on http://{host}:{port}  (ruleset {latest.seq if latest else 0}, "
        f"store {services.engine.url.render_as_string(hide_password=True)}, cache "
        f"{services.cache.describe()})",
        flush=True,
    )
    print(f"  API docs: http://{host}:{port}/docs   health: http://{host}:{port}/readyz", flush=True)
    services.engine.dispose()
    if args.dev:
        from api import create_app

        create_app(settings).run(host=host, port=port, threaded=True)
        return 0
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        from api import create_app

        create_app(settings).run(host=host, port=port, threaded=True)
        return 0
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # One fresh directory per run for the gunicorn workers' metric samples (api/metrics.py).
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="targeting-metrics-")
    os.execvp(  # noqa: S606 - replaces this process with gunicorn, arguments are ours
        sys.executable,
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(workers),
            "--bind",
            f"{host}:{port}",
            "--config",
            "python:api.gunicorn_conf",
            "--access-logfile",
            "-",
            "--access-logformat",
            '{"request": "%(m)s %(U)s", "status": %(s)s, "ms": %(M)s}',
            "api.wsgi:app",
        ],
    )
    return 0
