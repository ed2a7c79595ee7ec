"""``targeting rules fmt``: one canonical layout that never changes what a pack means."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings

from engine.packs import parse_text
from targeting.cli import main
from targeting.fmt import FormatError, _sorted_lists, format_text
from tests.engine.strategies import rule_pack

ROOT = Path(__file__).resolve().parents[2]

MESSY = """
rules:
- when: {all: [{eq: cash, field: booking.payment_method}, {not: {field: traveller.nationality, in: [NZL, AUS]}}]}
  weight: 40
  id: CUS-0801
  action: refer
  title: cash
  valid_until: 2027-06-30
  description: A description long enough that the canonical layout folds it over more than one line of text.
agency: customs
"""


def test_the_shipped_packs_are_in_the_canonical_layout():
    assert main(["rules", "fmt", "--check", str(ROOT / "rules")]) == 0


def test_a_messy_pack_is_laid_out_in_order_with_leaves_on_one_line(tmp_path):
    formatted = format_text(MESSY, "pack.yaml")
    assert formatted.splitlines()[:4] == ["agency: customs", "rules:", "  - id: CUS-0801", "    title: cash"]
    assert "        - {field: booking.payment_method, eq: cash}" in formatted
    assert "        - not: {field: traveller.nationality, in: [AUS, NZL]}" in formatted
    assert "    valid_until: 2027-06-30\n" in formatted
    assert format_text(formatted, "pack.yaml") == formatted  # idempotent
    path = tmp_path / "pack.yaml"
    path.write_text(MESSY)
    assert main(["rules", "fmt", "--check", str(path)]) == 1
    assert path.read_text() == MESSY  # --check writes nothing
    assert main(["rules", "fmt", str(path)]) == 0
    assert path.read_text() == formatted


def test_a_file_with_comments_is_left_alone(tmp_path, capsys):
    path = tmp_path / "pack.yaml"
    path.write_text("# owner: customs targeting\n" + MESSY)
    assert main(["rules", "fmt", str(path)]) == 1
    assert "has comments" in capsys.readouterr().err
    assert path.read_text().startswith("# owner")
    with pytest.raises(FormatError):
        format_text(path.read_text(), str(path))


@settings(max_examples=150)
@given(pack=rule_pack())
def test_formatting_any_pack_keeps_its_meaning_and_is_stable(pack):
    import yaml

    text = yaml.safe_dump(pack, sort_keys=True)
    formatted = format_text(text, "generated.yaml")
    assert parse_text(formatted, "generated.yaml").data == _sorted_lists(parse_text(text, "generated.yaml").data)
    assert format_text(formatted, "generated.yaml") == formatted
