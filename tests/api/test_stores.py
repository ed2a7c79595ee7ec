"""Both implementations of every store interface offer what the interface promises, with the same
parameters: the API suite then runs on each (``backend``), so a store cannot drift from its twin."""

from __future__ import annotations

import dataclasses
import inspect
import typing
from pathlib import Path

from api.container import Stores
from tests.api.conftest import FAST_HASHER


def _promised(protocol: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in vars(protocol).items()
        if not name.startswith("_") and callable(member)
    }


def test_every_store_has_a_sql_and_an_in_memory_implementation_of_its_whole_interface(tmp_path: Path) -> None:
    implementations = {
        "sql": Stores.sql(f"sqlite:///{tmp_path / 'stores.sqlite3'}", FAST_HASHER),
        "memory": Stores.memory(FAST_HASHER),
    }
    hints = typing.get_type_hints(Stores)
    checked = []
    for field in dataclasses.fields(Stores):
        protocol = hints[field.name]
        if not getattr(protocol, "_is_protocol", False):
            continue  # the SQL engine
        promised = _promised(protocol)
        assert promised, field.name
        for kind, stores in implementations.items():
            store = getattr(stores, field.name)
            for name, signature in promised.items():
                assert hasattr(store, name), f"{kind} {field.name} has no {name}"
                offered = inspect.signature(getattr(store, name)).parameters
                wanted = [p for p in signature.parameters if p != "self"]
                assert list(offered)[: len(wanted)] == wanted, f"{kind} {field.name}.{name}"
        checked.append(field.name)
    assert len(checked) == 11, checked
    implementations["sql"].engine.dispose()  # type: ignore[union-attr]
