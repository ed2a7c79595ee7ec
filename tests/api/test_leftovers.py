"""The suite touches only what it creates on the shared servers (scripts/check_leftovers.py checks a whole run)."""

from __future__ import annotations

import redis

from scripts.check_leftovers import leftovers
from tests.api.conftest import POSTGRES_DATABASE, REDIS_KEY_PREFIX, REDIS_URL, RUN_ID, delete_redis_keys


def test_keys_are_deleted_by_the_run_s_prefix_and_no_others():
    client = redis.Redis.from_url(REDIS_URL)
    outside = f"targeting-test-probe:{RUN_ID}"  # not under the prefix, and still no one else's
    try:
        client.set(f"{REDIS_KEY_PREFIX}probe", 1)
        client.set(outside, 1)
        assert delete_redis_keys() >= 1
        assert client.exists(f"{REDIS_KEY_PREFIX}probe") == 0
        assert client.exists(outside) == 1
    finally:
        client.delete(outside)


def test_the_names_carry_the_run_id(sql_backend, backend, settings):
    assert settings.redis_key_prefix == REDIS_KEY_PREFIX and REDIS_KEY_PREFIX.startswith(f"targeting-test:{RUN_ID}:")
    if backend.name == "postgresql":
        assert backend.url.endswith(f"/{POSTGRES_DATABASE}") and RUN_ID in POSTGRES_DATABASE


def _state(databases=(), keys=(), tree=None):
    return {"databases": set(databases), "keys": set(keys), "tree": dict(tree or {})}


def test_the_check_counts_what_the_run_left_and_not_what_other_runs_did():
    mine, other = "r0123456789ab", "rba9876543210"
    before = _state(["postgres", "targeting_test_r000000000000"], [(15, "someone:else")], {" M a.py": "1"})
    after = _state(
        [
            "postgres",
            f"targeting_test_{other}",  # another run's, still running
            "targeting_test_4242",  # the old per-pid name: left behind
            f"targeting_test_{mine}",  # this run's own, not dropped
            f"targeting_test_{mine}_gw1",  # one of this run's pytest-xdist workers', not dropped
            f"targeting_test_{other}_gw0",  # a worker's of the other run
            f"targeting_test_{other}_gw0_cli",  # a test's own, of the other run
            f"targeting_test_{mine}_cli",  # a test's own, of this run, not dropped
            "somebody_elses_db",
        ],
        [
            (15, f"targeting-test:{other}:tgt:eval:v1:x"),
            (15, f"targeting-test:{mine}:LIMITS:LIMITER/targeting/x"),
            (15, "tgt:eval:v1:x"),
            (3, "LIMITS:LIMITER/targeting/x"),
            (0, "unrelated"),
        ],
        {" M a.py": "2", " M docs/console-history.png": "3"},
    )
    problems, notes = leftovers(mine, before, after)
    assert sorted(problems) == sorted(
        [
            "PostgreSQL database targeting_test_4242",
            f"PostgreSQL database targeting_test_{mine}",
            f"PostgreSQL database targeting_test_{mine}_gw1",
            f"PostgreSQL database targeting_test_{mine}_cli",
            f"Redis key db15 targeting-test:{mine}:LIMITS:LIMITER/targeting/x",
            "Redis key db15 tgt:eval:v1:x",
            "Redis key db3 LIMITS:LIMITER/targeting/x",
            "work tree: ' M a.py' (changed since the start)",
            "work tree: ' M docs/console-history.png' (new since the start)",
        ]
    )
    assert sorted(notes) == [
        "Redis key db0 unrelated (not this project's shape)",
        "database somebody_elses_db (not this project's shape)",
    ]
    assert leftovers(mine, before, before) == ([], [])


def test_the_check_counts_the_run_s_queues_and_new_default_ones():
    mine = "r0123456789ab"
    before = {**_state(), "broker": {"queue targeting.ingest"}}
    after = {
        **_state(),
        "broker": {
            f"queue targeting-test.{mine}.ingest",  # this run's, not deleted
            f"exchange targeting-test.{mine}.ingest.dead",
            "queue targeting.ingest",  # there before: a deployment's
            "queue targeting.ingest.dead",  # new: the default name, created by a test by mistake
        },
    }
    problems, _ = leftovers(mine, before, after)
    assert sorted(problems) == [
        f"RabbitMQ exchange targeting-test.{mine}.ingest.dead",
        f"RabbitMQ queue targeting-test.{mine}.ingest",
        "RabbitMQ queue targeting.ingest.dead",
    ]
    assert leftovers(mine, after, {**_state(), "broker": None}) == ([], [])  # broker gone: not compared


def test_the_ingest_queue_carries_the_run_id_and_the_check_finds_it():
    import pika
    from pika.exceptions import AMQPConnectionError

    from scripts.check_leftovers import broker_names
    from testing.ingest import AMQP_URL
    from tests.api.conftest import INGEST_QUEUE, WORKER

    assert f"targeting-test.{RUN_ID}." + (f"{WORKER}." if WORKER else "") + "ingest" == INGEST_QUEUE
    try:
        connection = pika.BlockingConnection(pika.URLParameters(f"{AMQP_URL}?connection_attempts=1&socket_timeout=3"))
    except AMQPConnectionError:
        assert broker_names(RUN_ID) is None
        return
    channel = connection.channel()
    try:
        channel.queue_declare(INGEST_QUEUE)
        assert f"queue {INGEST_QUEUE}" in broker_names(RUN_ID)
    finally:
        channel.queue_delete(INGEST_QUEUE)
        connection.close()
    assert not {name for name in broker_names(RUN_ID) if RUN_ID in name}
