"""The four-eyes lifecycle's refusals read as English for every step (no "submitd", no "a approved")."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from api.common import Actor, Conflict
from api.lifecycle import TRANSITIONS, check_transition

OFFICER = Actor("k1", "tane@customs", "customs", frozenset({"approver"}))


CASES = [
    ("submitted", "submit", "version 2 of CUS-0100 is submitted; only a draft version can be submitted"),
    ("draft", "approve", "version 2 of CUS-0100 is draft; only a submitted version can be approved"),
    ("submitted", "activate", "version 2 of CUS-0100 is submitted; only an approved version can be activated"),
]


@pytest.mark.parametrize(("status", "action", "expected"), CASES)
def test_a_step_out_of_order_says_which_status_it_needs(status, action, expected):
    version = SimpleNamespace(status=status, author="aroha@customs", created_at=dt.datetime.now(dt.UTC))
    with pytest.raises(Conflict) as refused:
        check_transition(version, action, OFFICER, "version 2 of CUS-0100")
    assert (refused.value.message, refused.value.code) == (expected, "invalid_transition")


def test_the_cases_cover_every_action():
    assert {action for _, action, _ in CASES} == set(TRANSITIONS)
