"""The index stage: a record's true atoms are exactly the atoms that hold, computed once per field."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine import PackSource, check_record, compile_packs
from tests.engine.strategies import LIST_PACKS, record, rule_pack


@settings(max_examples=300)
@given(pack=rule_pack(), records=st.lists(record(), min_size=1, max_size=6))
def test_the_index_finds_exactly_the_atoms_that_hold(pack, records):
    ruleset = compile_packs([PackSource("generated", pack), *LIST_PACKS])
    for raw in records:
        checked = check_record(raw)
        expected = {atom.id for atom in ruleset.atoms if atom.holds_in(checked)}
        assert ruleset.index.true_atoms(checked.values) == expected
        # Asked again, the remembered answers give the same set.
        assert ruleset.index.true_atoms(checked.values) == expected


def test_values_of_personal_fields_are_never_remembered():
    pack = {
        "agency": "customs",
        "rules": [
            {
                "id": "CUS-0001",
                "title": "t",
                "weight": 1,
                "action": "refer",
                "when": {
                    "all": [
                        {"field": "traveller.family_name", "eq": "Quispe"},
                        {"field": "flight.departure_airport", "eq": "BOG"},
                        {"field": "passenger_id", "matches": "P.*"},
                    ]
                },
            },
        ],
    }
    ruleset = compile_packs([PackSource("p", pack)])
    values = check_record(
        {"passenger_id": "P-1", "traveller": {"family_name": "Quispe"}, "flight": {"departure_airport": "BOG"}}
    ).values
    assert len(ruleset.index.true_atoms(values)) == 3
    remembered = {name: cache for name, cache in ruleset.index._plan if cache}
    assert set(remembered) == {"flight.departure_airport"}
    assert "Quispe" not in repr(remembered) and "P-1" not in repr(remembered)
