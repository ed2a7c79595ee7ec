from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def cash_pack(tmp_path: Path) -> Path:
    """A one-rule customs pack: cash bookings (weight 40), valid until 2027-06-30."""
    pack = tmp_path / "pack.yaml"
    pack.write_text(
        "agency: customs\nrules:\n"
        "  - {id: CUS-0001, title: Cash, weight: 40, action: refer, valid_until: 2027-06-30,"
        " when: {field: booking.payment_method, eq: cash}}\n"
    )
    return pack
