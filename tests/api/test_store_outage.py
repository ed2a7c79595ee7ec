"""The database goes away mid-service: evaluation goes on, writes fail cleanly, nothing is lost.

PostgreSQL is reached through a TCP proxy the test cuts and restores, so the outage is a
real one at the network level (connections reset, new ones refused), not a mock.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest

from api import create_app
from testing.live import free_port
from tests.api.conftest import FAST_HASHER, ApiClient, live_rule, passenger


class Proxy:
    """A TCP proxy to ``upstream`` that can be cut (every connection reset, none accepted) and restored."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = free_port()
        self._connections: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(32)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        if self._listener is not None:
            # shutdown wakes the thread blocked in accept(); close alone would leave it accepting.
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with self._lock:
            for connection in self._connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
                connection.close()
            self._connections.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._connections += [client, server]
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                target.sendall(data)
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)


@pytest.fixture
def outage(backend, services, settings) -> Iterator[tuple[ApiClient, Proxy, object]]:
    if backend.name != "postgresql":
        pytest.skip("a network outage needs a database reached over the network")
    from api.container import Services

    url = urlsplit(backend.url)
    proxy = Proxy((url.hostname or "127.0.0.1", url.port or 5432))
    proxy.start()
    proxied = settings.with_overrides(
        {"database_url": urlunsplit(url._replace(netloc=f"{url.username}@127.0.0.1:{proxy.port}"))}
    )
    built = Services.build(proxied, FAST_HASHER)
    app = create_app(proxied, services=built)
    yield ApiClient(app.test_client(), backend.keys), proxy, built
    proxy.cut()
    built.rulesets.stop()
    built.engine.dispose()


def test_evaluation_goes_on_writes_refuse_and_nothing_is_lost(outage, services):
    api, proxy, built = outage
    live_rule(api)
    assert api.post("/v1/evaluations", "customs_system", json={"passenger": passenger()}).status_code == 200
    proxy.cut()
    during = [
        api.post("/v1/evaluations", "customs_system", json={"passenger": passenger(passenger_id=f"OUT-{n}")})
        for n in range(5)
    ]
    assert [r.status_code for r in during] == [200] * 5
    assert all(r.json["results"][0]["matches"][0]["rule_id"] == "CUS-0500" for r in during)
    assert built.decisions.pending == 5  # queued, not lost
    write = api.post("/v1/rules/CUS-0500/retire", "customs_officer", json={"reason": "during outage"})
    assert write.status_code == 503 and write.json["code"]
    proxy.start()
    assert built.decisions.flush() is True
    for n, response in enumerate(during):
        assert services.decision_store.decision(response.json["results"][0]["decision_id"]).passenger_ref == f"OUT-{n}"
    # The same passenger on the same flight: one hit, recorded with the first decision, none lost.
    assert len(services.hits.hits(None, limit=100)) == 1
    # The refused write left nothing behind, and the chain still verifies.
    assert services.rule_store.rule("CUS-0500").versions[0].status == "active"
    assert api.get("/v1/audit/verify", "auditor").json["ok"] is True


def test_a_batch_sent_twice_is_written_once(api, services):
    """An outage can lose the answer to a commit that succeeded; the retry must not fail or double up."""
    live_rule(api)
    result = api.post("/v1/evaluations", "customs_system", json={"passenger": passenger()}).json
    decision = services.decision_store.decision(result["results"][0]["decision_id"])
    services.decision_store.record_decisions([decision])
    assert services.decision_store.decision(decision.id).passenger_ref == decision.passenger_ref
    assert len(services.hits.hits(None)) == 1
