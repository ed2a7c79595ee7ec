"""What each agency shares with which other, as grants the sharing policy reads."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from api.common import Actor


class SharingStore(Protocol):
    """The sharing policy between agencies (``api.services.sharing.SharingPolicy``), audited."""

    def policy(self) -> Any: ...

    def set_grants(self, viewer: str, owner: str, kinds: Iterable[str], actor: Actor) -> Any: ...
