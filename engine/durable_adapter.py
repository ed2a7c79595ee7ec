"""The only module that touches durable-rules.

durable-rules crashes, hangs or answers wrongly on inputs that look harmless
(``docs/engine.md`` lists each case and how it is kept out of reach). This adapter uses
the C extension ``durable_rules_engine`` directly, never ``durable.engine.Host``, and only
with the call sequence measured safe:

* one ruleset per shard, one short session id, reused for every record;
* per record: ``assert_fact``, drain actions with ``start_action_for_state`` /
  ``complete_and_start_action``, then ``retract_fact`` in a ``finally``;
  ``abandon_action`` on error; never ``delete_state``;
* every engine rule starts with a marker test the records carry, so no rule can match
  the engine's own per-session state fact;
* payloads hold strings, integers and lists of strings only (no floats, no nulls).
"""

from __future__ import annotations

import contextlib
import itertools
import json
from collections.abc import Iterable, Mapping, Sequence

import durable_rules_engine as _dre

from engine.catalogue import CATALOGUE
from engine.errors import EngineFailure
from engine.network import ALL_NEQ, ANY_EQ, EQ, EX, GT, GTE, LT, LTE, NEQ, NEX, Conjunction, EngineTest, engine_order

MARKER = "mk"
SESSION_ID = "s"
_NOT_HANDLED = 1
_OBSERVED = 2
_names = itertools.count()

_FIELD_PROPERTIES = {name: f"f{position}" for position, name in enumerate(CATALOGUE)}


def property_name(field: str) -> str:
    """The short engine property for a flag (``#<id>``: ``a<id>``) or a catalogue field.

    Short, fixed names keep payloads small, and the full set is checked (``flag_names_collide``)
    for collisions of durable-rules' 32-bit property-name hash.
    """
    if field.startswith("#"):
        return "a" + field[1:]
    return _FIELD_PROPERTIES[field]


# durable-rules hashes property names with 32-bit FNV-1a: two names with one hash are one
# property. a0 ... a199999 were checked exhaustively against each other and these names.
_RESERVED_NAMES = ("sid", "id", "mk", "r", "m", "$s")
CHECKED_FLAGS = 200_000


def fnv1a_32(name: str) -> int:
    value = 0x811C9DC5
    for byte in name.encode():
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def flag_names_collide(flag_count: int) -> bool:
    """Whether flags ``a0`` … ``a<flag_count - 1>`` share a hash with each other or a reserved name."""
    if flag_count <= CHECKED_FLAGS:
        return False
    names = [*_RESERVED_NAMES, *(f"a{flag}" for flag in range(flag_count))]
    return len({fnv1a_32(name) for name in names}) != len(names)


def _test_json(test: EngineTest) -> dict[str, object]:
    name = property_name(test.field)
    if test.op == EQ:
        return {name: test.value}
    if test.op in (NEQ, LT, LTE, GT, GTE):
        return {"$" + test.op: {name: test.value}}
    if test.op == EX:
        return {"$ex": {name: 1}}
    if test.op == NEX:
        return {"$nex": {name: 1}}
    if test.op == ANY_EQ:
        return {"$iany": {name: {"$i": test.value}}}
    if test.op == ALL_NEQ:
        return {"$iall": {name: {"$neq": {"$i": test.value}}}}
    raise AssertionError(test.op)


def flag_fragment(flag: int) -> str:
    """A true flag as a fact property (false flags are left out of the fact)."""
    return f'"a{flag}":1'


def ruleset_definition(rules: Mapping[str, Conjunction]) -> str:
    """durable-rules' JSON for single-fact rules, each a marker-guarded ``$and`` chain."""
    definition = {}
    for name, conjunction in rules.items():
        tests = engine_order(conjunction)
        definition[name] = {"all": [{"m": {"$and": [{MARKER: 1}, *map(_test_json, tests)]}}]}
    return json.dumps(definition, ensure_ascii=False, separators=(",", ":"))


def encode_payload(values: Iterable[tuple[str, object]]) -> str:
    """The fact for one record, already projected to the properties a ruleset tests."""
    return payload(fragment(field, value) for field, value in values)


def fragment(field: str, value: object) -> str:
    """One property of a fact as JSON text. A record's fragments are made once and shared by
    every ruleset it visits, since encoding is most of the per-record cost."""
    prefix = _PREFIXES.get(field) or _PREFIXES.setdefault(field, f'"{property_name(field)}":')
    if isinstance(value, int):
        return prefix + str(value)
    if isinstance(value, str):
        return prefix + _quote(value)
    if isinstance(value, list):
        return prefix + "[" + ",".join(map(_quote, value)) + "]"
    raise TypeError(f"the engine takes strings, integers and lists of strings, not {type(value).__name__}")


_PREFIXES: dict[str, str] = {}
_quote = json.encoder.encode_basestring  # JSON string literal, non-ASCII kept as is (like ensure_ascii=False)


_PAYLOAD_HEAD = f'{{"sid":"{SESSION_ID}","{MARKER}":1'


def payload(fragments: Iterable[str]) -> str:
    """A fact from property fragments (see ``fragment``)."""
    body = ",".join(fragments)
    return f"{_PAYLOAD_HEAD},{body}}}" if body else f"{_PAYLOAD_HEAD}}}"


class EngineRuleset:
    """One loaded durable-rules ruleset. Not thread-safe: callers serialise ``fire``."""

    def __init__(self, definition: str) -> None:
        self._definition = definition
        self._handle = self._create()

    def _create(self) -> int:
        try:
            handle: int = _dre.create_ruleset(f"t{next(_names)}", self._definition)
            return handle
        except _dre.error as exc:
            raise EngineFailure(f"durable-rules rejected a ruleset: {exc}") from None

    def fire(self, payload: str) -> list[str]:
        """Names of the engine rules the fact matches, each once."""
        if not self._handle:
            raise EngineFailure("ruleset is closed")
        try:
            code, offset = _dre.assert_fact(self._handle, payload)
        except _dre.error as exc:
            self._rebuild()
            raise EngineFailure(f"durable-rules refused a record: {exc}") from None
        if code == _NOT_HANDLED:
            return []
        fired: list[str] = []
        healthy = False
        try:
            if code == _OBSERVED:
                # An identical fact is still held: a previous retract did not happen.
                raise EngineFailure("durable-rules session held a stale fact")
            result = _dre.start_action_for_state(self._handle, offset)
            while result is not None:
                message = result[1] if isinstance(result, tuple) else result
                fired.append(message[2 : message.index('"', 2)])
                result = _dre.complete_and_start_action(self._handle, offset)
            healthy = True
        except _dre.error as exc:
            self._abandon(offset)
            raise EngineFailure(f"durable-rules failed during evaluation: {exc}") from None
        except BaseException:
            self._abandon(offset)
            raise
        finally:
            try:
                _dre.retract_fact(self._handle, payload)
            except _dre.error:
                healthy = False
            if not healthy:
                self._rebuild()
        return list(dict.fromkeys(fired))

    def _abandon(self, offset: int) -> None:
        with contextlib.suppress(_dre.error):
            _dre.abandon_action(self._handle, offset)

    def _rebuild(self) -> None:
        # The old handle may hold a half-finished session; a fresh ruleset is the only
        # state known to be clean.
        self.close()
        self._handle = self._create()

    def close(self) -> None:
        """Free the ruleset. Its handle slot is reused; a process holds at most 131,071."""
        if self._handle:
            handle, self._handle = self._handle, 0
            with contextlib.suppress(_dre.error):
                _dre.delete_ruleset(handle)


def load(definitions: Sequence[str]) -> list[EngineRuleset]:
    return [EngineRuleset(definition) for definition in definitions]
