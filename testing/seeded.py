"""A service seeded as ``targeting seed`` seeds one, in this process: the agencies' rule packs, the demo
keys of ``seeds/accounts.yaml`` and the demo joint watchlist, on the in-memory stores.

The API's examples (``api/contract/examples.json``) are recorded against it
(``python -m scripts.record_examples``) and replayed against it by the tests (:func:`run` sends
their steps).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from argon2 import PasswordHasher

from api import create_app
from api.common import Actor
from api.config import Settings
from api.container import MEMORY_URL, Services
from api.contract.examples import fill, pointer
from api.keys.memory import MemoryKeyStore
from engine import read_packs
from screening import parse_csv

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
OPERATOR = Actor("seed", "operator:seed", "central", frozenset({"admin"}))
#: Seeding hashes eleven keys: the cheapest argon2 the library allows, for a service that lives seconds.
_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@dataclass(frozen=True)
class Seeded:
    app: Any
    services: Services
    #: Each demo key by its id in seeds/accounts.yaml (``kcusofficer``): ``tgt_<id>_<secret>``.
    keys: dict[str, str]


def seeded(instance_path: Path, **settings: Any) -> Seeded:
    """A seeded app on the in-memory stores, its files under ``instance_path``."""
    config = Settings(
        database_url=MEMORY_URL,
        redis_url="",
        identity_hash_key="seeded-identity-key",
        instance_path=str(instance_path),
        engine_isolation=False,
        testing=True,
        **settings,
    )
    services = Services.build(config, _HASHER)
    packs, problems = read_packs([str(ROOT / "rules")])
    assert not problems, problems
    services.rule_store.import_packs([(pack.source, pack.data) for pack in packs], OPERATOR)
    keys = {}
    store = services.key_store
    assert isinstance(store, MemoryKeyStore)  # the in-memory store takes a demo key's id and secret
    for account in yaml.safe_load((SEEDS / "accounts.yaml").read_text())["keys"]:
        store.create_key(
            account["name"],
            account["agency"],
            account["roles"],
            OPERATOR,
            secret=account["secret"],
            key_id=account["id"],
        )
        keys[account["id"]] = f"tgt_{account['id']}_{account['secret']}"
    entries, bad = parse_csv((SEEDS / "watchlist.csv").read_text(encoding="utf-8"))
    assert not bad, bad
    services.watchlist_store.import_entries(entries, OPERATOR, "watchlist.csv")
    return Seeded(create_app(config, services=services), services, keys)


def run(client: Any, keys: dict[str, str], steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each step sent on ``client`` (a Flask test client), with what it captured for the next; the answers."""
    captured: dict[str, Any] = {}
    answered = []
    for planned in steps:
        sent = send(client, keys, planned, captured)
        answered.append(sent)
    return answered


def send(client: Any, keys: dict[str, str], planned: dict[str, Any], captured: dict[str, Any]) -> dict[str, Any]:
    """One step: the request made of it (placeholders filled from ``captured``) and the answer; captures kept."""
    path = fill(planned["path"], captured)
    headers = {name: fill(value, captured) for name, value in planned.get("headers", {}).items()}
    if planned["as"]:
        headers["X-API-Key"] = keys[planned["as"]]
    request: dict[str, Any] = {"query_string": fill(planned.get("query", {}), captured), "headers": headers}
    if "body" in planned:
        request["json"] = fill(planned["body"], captured)
    elif "raw" in planned:
        request["data"] = planned["raw"].encode("utf-8")
        request["content_type"] = planned.get("content_type", "application/json")
    response = client.open(path, method=planned["operation"].split(" ", 1)[0], **request)
    answer = response.get_json(silent=True) if response.is_json else None
    for name, where in planned.get("capture", {}).items():
        captured[name] = response.headers[where[7:]] if where.startswith("header:") else pointer(answer, where)
    recorded = {
        **planned,
        "example_path": path,
        "example_query": request["query_string"],
        "status": response.status_code,
        "answer_type": response.mimetype,
    }
    if "json" in request:
        recorded.update(content_type="application/json", example_body=request["json"])
    elif "data" in request:
        recorded.update(content_type=request["content_type"], example_body=planned["raw"])
    if answer is not None:
        recorded["answer"] = answer
    return recorded
