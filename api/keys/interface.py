"""API keys: issuing, revoking and authenticating them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Protocol

from api.common import Actor


class KeyStore(Protocol):
    def create_key(
        self, name: str, agency: str, roles: Sequence[str], actor: Actor, expires_at: dt.datetime | None = None
    ) -> tuple[dict[str, Any], str]:
        """The key's record and its plaintext, which is shown once and never stored."""

    def api_keys(self) -> list[dict[str, Any]]: ...

    def revoke_key(self, key_id: str, actor: Actor) -> dict[str, Any]: ...

    def authenticate(self, presented: str) -> Actor | None: ...

    def record_failed_authentication(self, key_id: str, reason: str, address: str = "") -> None: ...
