"""Importing packs and reference lists as approved, active versions (``targeting rules import``,
``targeting seed``): unchanged content left as it is, one audit entry per new version.

One function for rules and lists and for every store: it works on what a store holds of a
versioned document (its agency and versions), and the store says how to add one, so the SQL
store adds rows for one flush and the in-memory store adds records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from api.audit.interface import AuditEntry, canonical_hash
from api.common import Actor, Conflict
from api.lifecycle import StoredVersion, retire
from engine.lists import is_list_document

Packs = Sequence[tuple[str, Mapping[str, Any]]]


class StoredDocument(Protocol):
    agency: str

    @property
    def versions(self) -> Sequence[StoredVersion]: ...


@dataclass(frozen=True)
class Incoming:
    """One document to import: a rule of a pack, or a reference list."""

    source: str
    key: str
    agency: str
    content: Mapping[str, Any]
    detail: Mapping[str, Any]


def incoming_rules(packs: Packs) -> list[Incoming]:
    return [
        Incoming(source, str(content["id"]), str(data["agency"]), content, {"source": source})
        for source, data in packs
        if not is_list_document(data)
        for content in data["rules"]
    ]


def incoming_lists(packs: Packs) -> list[Incoming]:
    return [
        Incoming(
            source, str(data["name"]), str(data["agency"]), data, {"source": source, "values": len(data["values"])}
        )
        for source, data in packs
        if is_list_document(data)
    ]


def import_documents(
    kind: str,
    known: MutableMapping[str, Any],
    incoming: Sequence[Incoming],
    actor: Actor,
    now: dt.datetime,
    add_document: Callable[[str, str], Any],
    add_version: Callable[[Any, int, Mapping[str, Any], str], Any],
) -> list[AuditEntry]:
    """Give each ``incoming`` document (``kind`` "rule" or "list") whose content changed a new active
    version, retiring the one before; the audit entries to append, in order.

    ``known`` maps each stored document's key to it (and gains the new ones); ``add_document(key,
    agency)`` makes one, ``add_version(document, number, content, reason)`` adds an active version.
    """
    entries: list[AuditEntry] = []
    for item in incoming:
        document = known.get(item.key)
        if document is None:
            document = known[item.key] = add_document(item.key, item.agency)
        elif document.agency != item.agency:
            raise Conflict(f"{kind} {item.key} belongs to {document.agency}", "agency_mismatch")
        current = next((v for v in document.versions if v.status == "active"), None)
        if current is not None and current.content_hash == canonical_hash(item.content):
            continue
        number = max((v.number for v in document.versions), default=0) + 1
        version = add_version(document, number, item.content, f"imported from {item.source}")
        version.submitted_by = version.approved_by = version.activated_by = actor.name
        version.submitted_at = version.approved_at = version.activated_at = now
        if current is not None:
            retire(current, actor, now)
        entries.append(
            AuditEntry(
                actor.label,
                item.agency,
                f"{kind}.import",
                f"{kind}_version",
                f"{item.key}@{number}",
                current.content_hash if current else None,
                version.content_hash,
                dict(item.detail),
            )
        )
    return entries
