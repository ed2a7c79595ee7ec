"""The network model (engine/network.py) never under-estimates what durable-rules does."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.durable_adapter import EngineRuleset, encode_payload, ruleset_definition
from engine.errors import EngineFailure
from engine.network import EQ, GT, MAX_STACK, NEQ, NEX, AlphaNetwork, EngineTest

FIELDS = ["booking.checked_bags", "booking.passengers_in_booking", "visa.previous_refusals"]


def _test(field: str, op: str, value: int | None) -> EngineTest:
    return EngineTest(field, op, value)


def _fire(conjunctions, fact):
    engine = EngineRuleset(ruleset_definition({f"c{n}_0": c for n, c in enumerate(conjunctions)}))
    try:
        return engine.fire(encode_payload(fact.items()))
    finally:
        engine.close()


def test_stack_limit_is_where_the_model_says():
    # n rules "x > i" are all true for a large x: the model's stack is n; the engine fails past 64.
    for count in (47, 64, 65, 70):
        conjunctions = [(_test(FIELDS[0], GT, i),) for i in range(count)]
        network = AlphaNetwork()
        for conjunction in conjunctions:
            network._insert(list(conjunction))
        assert network.worst_stack == count
        fact = {FIELDS[0]: 10**6}
        if count <= 64:
            assert len(_fire(conjunctions, fact)) == count
        else:
            try:
                _fire(conjunctions, fact)
            except EngineFailure as exc:
                assert "303" in str(exc)
            else:
                raise AssertionError("durable-rules accepted a stack past 64")


def test_equalities_on_one_property_share_the_stack():
    conjunctions = [(_test(FIELDS[0], EQ, i), _test(FIELDS[1], GT, i % 3)) for i in range(300)]
    network = AlphaNetwork()
    assert network.fits(conjunctions)
    assert network.worst_stack <= 4
    assert _fire(conjunctions, {FIELDS[0]: 7, FIELDS[1]: 5}) == ["c7_0"]


conjunction = st.lists(
    st.builds(_test, st.sampled_from(FIELDS), st.sampled_from([EQ, NEQ, GT, NEX]), st.integers(0, 3)).map(
        lambda t: t if t.op != NEX else EngineTest(t.field, NEX, None)
    ),
    min_size=1,
    max_size=4,
    unique_by=lambda t: t.key,
)


@settings(max_examples=300)
@given(
    conjunctions=st.lists(conjunction.map(tuple), min_size=1, max_size=150),
    facts=st.lists(st.dictionaries(st.sampled_from(FIELDS), st.integers(0, 4)), min_size=1, max_size=5),
)
def test_networks_the_model_accepts_never_overflow(conjunctions, facts):
    network = AlphaNetwork()
    accepted = [c for c in conjunctions if network.fits([c])]
    assert network.worst_stack <= MAX_STACK
    for fact in facts:
        _fire(accepted, fact)  # raises EngineFailure on error 303
