"""What each agency shares with which other, as grants the sharing policy reads."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from api.common import Actor
from api.sharing.policy import SharingPolicy


class SharingStore(Protocol):
    """The sharing policy between agencies (``api.sharing.policy.SharingPolicy``), audited."""

    def policy(self) -> SharingPolicy: ...

    def set_grants(self, viewer: str, owner: str, kinds: Iterable[str], actor: Actor) -> Any: ...
