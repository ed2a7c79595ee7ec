"""Fixtures for the web console: the app on a SQLite file and the in-process cache, with the demo accounts.

The console needs no PostgreSQL or Redis of its own: it is a client of the same API the
service tests cover on both databases.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask

from api import create_app
from api.config import Settings
from api.container import Services
from api.db import upgrade
from tests.api.conftest import FAST_HASHER, OPERATOR

ROOT = Path(__file__).resolve().parents[2]
ACCOUNTS = yaml.safe_load((ROOT / "seeds" / "accounts.yaml").read_text())["keys"]
#: The seeded demo people, by the part of the key id that names them.
KEY_IDS = {
    "officer": "kcusofficer",  # aroha.ngata@customs: officer and approver
    "approver": "kcusapprover",  # ben.walker@customs
    "system": "kcussystem",
    "mpi_officer": "kmpiofficer",
    "auditor": "kauditor",  # hana.wiremu@audit
}


@dataclass
class Console:
    app: Flask
    services: Services
    keys: dict[str, str]

    def api(self, method: str, path: str, who: str, body: Any = None) -> Any:
        """Call the API directly (setting the scene, not what the console does)."""
        response = self.app.test_client().open(path, method=method, json=body, headers={"X-API-Key": self.keys[who]})
        assert response.status_code < 300, (path, response.status_code, response.get_json())
        return response.get_json()

    def live_rule(self, content: dict[str, Any], officer: str = "officer", approver: str = "approver") -> None:
        created = self.api("POST", "/v1/rules", officer, {"rule": content, "reason": "test rule"})
        base = f"/v1/rules/{content['id']}/versions/{created['number']}"
        self.api("POST", f"{base}/submit", officer, {})
        self.api("POST", f"{base}/approve", approver, {})
        self.api("POST", f"{base}/activate", approver, {})

    def import_seeds(self) -> None:
        """The agencies' rule packs and the joint watchlist, as ``targeting seed`` loads them."""
        from engine import read_packs
        from screening import parse_csv

        packs, problems = read_packs([str(ROOT / "rules")])
        assert not problems
        self.services.rule_store.import_packs([(p.source, p.data) for p in packs], OPERATOR)
        entries, problems = parse_csv((ROOT / "seeds" / "watchlist.csv").read_text())
        assert not problems
        self.services.watchlist_store.import_entries(entries, OPERATOR, "watchlist.csv", skipped_rows=0)
        self.services.rulesets.refresh()
        self.services.watchlists.refresh()


def build_console(tmp_path: Path) -> Console:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'console.sqlite3'}",
        redis_url="",  # the in-process cache
        identity_hash_key="test-identity-key",
        instance_path=str(tmp_path),
        ruleset_poll_seconds=0.1,
        engine_isolation=False,
        testing=True,
        log_level="WARNING",
    )
    services = Services.build(settings, FAST_HASHER)
    upgrade(services.engine)
    keys = {}
    for account in ACCOUNTS:
        services.key_store.create_key(
            account["name"],
            account["agency"],
            account["roles"],
            OPERATOR,
            secret=account["secret"],
            key_id=account["id"],
        )
        keys[account["id"]] = f"tgt_{account['id']}_{account['secret']}"
    keys.update({label: keys[key_id] for label, key_id in KEY_IDS.items()})
    return Console(create_app(settings, services=services), services, keys)


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    built = build_console(tmp_path)
    yield built
    built.services.rulesets.stop()
    built.services.watchlists.stop()
    built.services.engine.dispose()


def csrf_of(client: Any) -> str:
    with client.session_transaction("/console/") as session:  # the cookie is scoped to /console
        return str(session.get("csrf", ""))


def sign_in_token(client: Any) -> str:
    """The CSRF token of the sign-in form, as a browser gets it."""
    page = client.get("/console/sign-in")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def sign_in(client: Any, key: str) -> Any:
    return client.post("/console/sign-in", data={"api_key": key, "csrf_token": sign_in_token(client)})


def seed_flight() -> dict[str, Any]:
    return json.loads((ROOT / "seeds" / "flight_nz5_300.json").read_text())


#: A passenger on the joint watchlist (seeds/watchlist.csv), as in the README walk-through.
WATCHLISTED = {
    "passenger_id": "WALK-2",
    "flight": {
        "carrier": "NZ",
        "number": "5",
        "departure_airport": "LAX",
        "arrival_airport": "AKL",
        "scheduled_departure": "2026-12-01T22:00:00Z",
        "scheduled_arrival": "2026-12-03T08:00:00+13:00",
    },
    "traveller": {
        "family_name": "BRANDAUER",
        "given_names": "Friederike",
        "date_of_birth": "1983-03-15",
        "nationality": "DEU",
    },
    "document": {"type": "P", "number": "C8K2L7M9N", "issuing_country": "DEU"},
}
