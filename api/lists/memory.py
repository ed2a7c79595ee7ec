"""Reference lists in memory (the in-memory ``ListStore``), kept with the rules in
``api.rules.memory.MemoryDocuments``: activating a version makes a ruleset of both."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from api.audit.interface import AuditEntry
from api.common import Actor, Conflict, NotFound
from api.lifecycle import check_transition, lifecycle_of, step
from api.lists.interface import ListChange, ListVersion, ReferenceList, list_change, validate_list
from api.rules.memory import MemoryDocuments, StoredDocument, StoredVersion, now


def list_version(version: StoredVersion) -> ListVersion:
    return ListVersion(
        version.key, version.number, copy.deepcopy(version.content), version.content_hash, lifecycle_of(version)
    )


def list_of(doc: StoredDocument) -> ReferenceList:
    versions = tuple(list_version(v) for v in doc.versions)
    return ReferenceList(doc.key, doc.agency, doc.created_at, doc.created_by, versions)


class MemoryListStore:
    """Implements ``ListStore``."""

    def __init__(self, documents: MemoryDocuments) -> None:
        self._documents = documents

    def _list(self, name: str) -> StoredDocument:
        listed = self._documents.lists.get(name)
        if listed is None:
            raise NotFound(f"no list {name}", "list_not_found")
        return listed

    def _version(self, name: str, number: int) -> StoredVersion:
        found = next((v for v in self._list(name).versions if v.number == number), None)
        if found is None:
            raise NotFound(f"list {name} has no version {number}", "version_not_found")
        return found

    def lists(self) -> list[ReferenceList]:
        with self._documents.transaction():
            return [list_of(doc) for _, doc in sorted(self._documents.lists.items())]

    def list(self, name: str) -> ReferenceList:
        with self._documents.transaction():
            return list_of(self._list(name))

    def list_agency(self, name: str) -> str:
        with self._documents.transaction():
            return self._list(name).agency

    def version(self, name: str, number: int) -> ListVersion:
        with self._documents.transaction():
            return list_version(self._version(name, number))

    def create(self, agency: str, content: Mapping[str, Any], reason: str, actor: Actor) -> ListVersion:
        validate_list(agency, content)
        name = str(content["name"])
        with self._documents.change() as entries:
            if name in self._documents.lists:
                raise Conflict(f"list {name} already exists; add a version instead", "list_exists")
            listed = self._documents.lists[name] = StoredDocument(name, agency, actor.name)
            version = listed.add(content, reason, actor)
            entries.append(self._entry(version, actor, "list.create", None))
            return list_version(version)

    def add_version(self, name: str, content: Mapping[str, Any], reason: str, actor: Actor) -> ListVersion:
        with self._documents.change() as entries:
            listed = self._list(name)
            validate_list(listed.agency, content, name)
            previous = listed.versions[-1].content_hash if listed.versions else None
            version = listed.add(content, reason, actor)
            entries.append(self._entry(version, actor, "list.version", previous))
            return list_version(version)

    @staticmethod
    def _entry(version: StoredVersion, actor: Actor, action: str, previous: str | None) -> AuditEntry:
        agency = str(version.content.get("agency"))
        where = f"{version.key}@{version.number}"
        detail = {"reason": version.reason}
        return AuditEntry(actor.label, agency, action, "list_version", where, previous, version.content_hash, detail)

    def transition(self, name: str, number: int, action: str, actor: Actor, reason: str = "") -> ListVersion:
        with self._documents.change() as entries:
            version = self._version(name, number)
            listed = self._list(name)
            check_transition(version, action, actor, f"version {number} of list {name}")
            entries.append(step("list", name, listed.agency, version, listed.versions, action, actor, reason, now()))
            if action == "activate":
                entries.append(self._documents.new_ruleset(actor, f"activate list {entries[-1].object_id}")[1])
            return list_version(version)

    def diff(self, name: str, old: int, new: int) -> ListChange:
        with self._documents.transaction():
            before, after = (self._version(name, n).content for n in (old, new))
            return list_change(name, old, new, before, after)
