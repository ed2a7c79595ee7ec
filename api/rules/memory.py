"""Rules, reference lists and rulesets in memory: the in-memory ``RuleStore``, and the documents it
shares with the in-memory ``ListStore`` (``api.lists.memory``), since activating either makes a
ruleset of both. The same checks, lifecycle and audit entries as the SQL stores."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from api.audit.interface import AuditEntry, canonical_hash
from api.audit.memory import MemoryAuditLog, MemoryTransaction
from api.common import Actor, Conflict, NotFound, Unprocessable
from api.lifecycle import check_transition, lifecycle_of, step
from api.rules.importing import import_documents, incoming_lists, incoming_rules
from api.rules.interface import ActiveRule, Rule, RulesetInfo, RuleVersion
from api.rules.packs import LIST_PREFIX, check_packs, compile_active, ruleset_entry, validate_rule_content


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class StoredVersion:
    """A version as the in-memory stores keep it (``api.lifecycle.Stamped``)."""

    key: str
    number: int
    content: dict[str, Any]
    content_hash: str
    reason: str
    author: str
    status: str = "draft"
    created_at: dt.datetime = field(default_factory=now)
    submitted_by: str | None = None
    submitted_at: dt.datetime | None = None
    approved_by: str | None = None
    approved_at: dt.datetime | None = None
    activated_by: str | None = None
    activated_at: dt.datetime | None = None
    retired_by: str | None = None
    retired_at: dt.datetime | None = None


@dataclass
class StoredDocument:
    """A rule or a reference list with its versions (oldest first)."""

    key: str
    agency: str
    created_by: str
    created_at: dt.datetime = field(default_factory=now)
    versions: list[StoredVersion] = field(default_factory=list)

    def active(self) -> StoredVersion | None:
        return next((v for v in self.versions if v.status == "active"), None)

    def add(self, content: Mapping[str, Any], reason: str, actor: Actor, status: str = "draft") -> StoredVersion:
        number = max((v.number for v in self.versions), default=0) + 1
        version = StoredVersion(self.key, number, dict(content), canonical_hash(content), reason, actor.name, status)
        self.versions.append(version)
        return version


@dataclass
class StoredRuleset:
    info: RulesetInfo
    list_versions: tuple[tuple[str, int], ...]


class MemoryDocuments:
    """Every rule, list and ruleset, changed under one transaction: a change that fails is undone."""

    def __init__(self, transaction: MemoryTransaction, audit: MemoryAuditLog) -> None:
        self.transaction = transaction
        self.audit = audit
        self.rules: dict[str, StoredDocument] = {}
        self.lists: dict[str, StoredDocument] = {}
        self.rulesets: list[StoredRuleset] = []

    @contextmanager
    def change(self) -> Iterator[list[AuditEntry]]:
        """A change and its audit entries (appended to the list yielded): all of it, or on an error none."""
        with self.transaction():
            kept = copy.deepcopy((self.rules, self.lists, self.rulesets))
            entries: list[AuditEntry] = []
            try:
                yield entries
            except BaseException:
                self.rules, self.lists, self.rulesets = kept
                raise
            self.audit.append_many(entries)

    def new_ruleset(self, actor: Actor, reason: str) -> tuple[RulesetInfo, AuditEntry]:
        """A ruleset of every active version, compiled (which proves it loads), and its audit entry."""
        rules = [(rule_id, doc.agency, v) for rule_id, doc in sorted(self.rules.items()) if (v := doc.active())]
        lists = [(name, doc.agency, v) for name, doc in sorted(self.lists.items()) if (v := doc.active())]
        compiled = compile_active([(agency, v.content) for _, agency, v in [*rules, *lists]])
        seq = len(self.rulesets) + 1
        info = RulesetInfo(seq, compiled.version, tuple((r, v.number) for r, _, v in rules), now(), actor.name)
        self.rulesets.append(StoredRuleset(info, tuple((name, v.number) for name, _, v in lists)))
        return info, ruleset_entry(actor, seq, compiled.version, reason, len(rules), len(lists))

    def active_list_contents(self) -> list[Mapping[str, Any]]:
        return [v.content for _, doc in sorted(self.lists.items()) if (v := doc.active())]


def rule_version(version: StoredVersion) -> RuleVersion:
    return RuleVersion(
        version.key, version.number, copy.deepcopy(version.content), version.content_hash, lifecycle_of(version)
    )


def rule_of(doc: StoredDocument) -> Rule:
    return Rule(doc.key, doc.agency, doc.created_at, doc.created_by, tuple(rule_version(v) for v in doc.versions))


class MemoryRuleStore:
    """Implements ``RuleStore``."""

    def __init__(self, documents: MemoryDocuments) -> None:
        self._documents = documents

    def ping(self) -> bool:
        return True

    def _rule(self, rule_id: str) -> StoredDocument:
        rule = self._documents.rules.get(rule_id)
        if rule is None:
            raise NotFound(f"no rule {rule_id}", "rule_not_found")
        return rule

    def _version(self, rule_id: str, number: int) -> StoredVersion:
        if not 0 < number < 2**31:
            raise NotFound(f"rule {rule_id} has no version {number}", "version_not_found")
        found = next((v for v in self._rule(rule_id).versions if v.number == number), None)
        if found is None:
            raise NotFound(f"rule {rule_id} has no version {number}", "version_not_found")
        return found

    def create_rule(self, agency: str, content: Mapping[str, Any], reason: str, actor: Actor) -> RuleVersion:
        with self._documents.change() as entries:
            validate_rule_content(agency, content, self._documents.active_list_contents())
            rule_id = str(content["id"])
            if rule_id in self._documents.rules:
                raise Conflict(f"rule {rule_id} already exists; add a version instead", "rule_exists")
            rule = self._documents.rules[rule_id] = StoredDocument(rule_id, agency, actor.name)
            version = rule.add(content, reason, actor)
            where = f"{rule_id}@1"
            detail = {"reason": reason}
            entries.append(
                AuditEntry(
                    actor.label, agency, "rule.create", "rule_version", where, None, version.content_hash, detail
                )
            )
            return rule_version(version)

    def add_version(self, rule_id: str, content: Mapping[str, Any], reason: str, actor: Actor) -> RuleVersion:
        with self._documents.change() as entries:
            rule = self._rule(rule_id)
            if content.get("id", rule_id) != rule_id:
                raise Unprocessable("the rule's id cannot change", "invalid_rule", {"id": ["must stay " + rule_id]})
            content = {**content, "id": rule_id}
            validate_rule_content(rule.agency, content, self._documents.active_list_contents())
            previous = rule.versions[-1].content_hash if rule.versions else None
            version = rule.add(content, reason, actor)
            where = f"{rule_id}@{version.number}"
            entries.append(
                AuditEntry(
                    actor.label,
                    rule.agency,
                    "rule.version",
                    "rule_version",
                    where,
                    previous,
                    version.content_hash,
                    {"reason": reason},
                )
            )
            return rule_version(version)

    def rollback(self, rule_id: str, to_number: int, reason: str, actor: Actor) -> RuleVersion:
        source = self.version(rule_id, to_number)
        return self.add_version(rule_id, source.content, reason or f"roll back to version {to_number}", actor)

    def rule(self, rule_id: str) -> Rule:
        with self._documents.transaction():
            return rule_of(self._rule(rule_id))

    def rule_agency(self, rule_id: str) -> str:
        with self._documents.transaction():
            return self._rule(rule_id).agency

    def rules(self, agency: str | None = None) -> list[Rule]:
        with self._documents.transaction():
            found = sorted(self._documents.rules.items())
            return [rule_of(doc) for _, doc in found if not agency or doc.agency == agency]

    def version(self, rule_id: str, number: int) -> RuleVersion:
        with self._documents.transaction():
            return rule_version(self._version(rule_id, number))

    def rule_versions_summary(self, wanted: set[tuple[str, int]]) -> dict[tuple[str, int], tuple[str, str]]:
        with self._documents.transaction():
            found = {}
            for rule_id, number in wanted:
                rule = self._documents.rules.get(rule_id)
                version = next((v for v in rule.versions if v.number == number), None) if rule else None
                if rule is not None and version is not None:
                    found[(rule_id, number)] = (rule.agency, str(version.content.get("title", "")))
            return found

    def transition(self, rule_id: str, number: int, action: str, actor: Actor, reason: str = "") -> RuleVersion:
        with self._documents.change() as entries:
            version = self._version(rule_id, number)
            rule = self._rule(rule_id)
            check_transition(version, action, actor, f"version {number} of {rule_id}")
            if action == "activate" and not version.content.get("valid_until"):
                raise Unprocessable(
                    "a rule without valid_until cannot be activated: every rule must come up for review",
                    "no_review_date",
                    {"content.valid_until": ["required for activation"]},
                )
            entries.append(step("rule", rule_id, rule.agency, version, rule.versions, action, actor, reason, now()))
            if action == "activate":
                entries.append(self._documents.new_ruleset(actor, f"activate {entries[-1].object_id}")[1])
            return rule_version(version)

    def retire(self, rule_id: str, reason: str, actor: Actor) -> Rule:
        with self._documents.change() as entries:
            rule = self._rule(rule_id)
            active = [v for v in rule.versions if v.status == "active"]
            if not active:
                raise Conflict(f"rule {rule_id} has no active version", "invalid_transition")
            for version in active:
                entries.append(step("rule", rule_id, rule.agency, version, (), "retire", actor, reason, now()))
            entries.append(self._documents.new_ruleset(actor, f"retire {rule_id}")[1])
            return rule_of(rule)

    def import_packs(self, packs: Sequence[tuple[str, Mapping[str, Any]]], actor: Actor) -> RulesetInfo:
        check_packs(packs)
        documents = self._documents
        with documents.change() as entries:
            started = now()

            def add_version(doc: StoredDocument, number: int, content: Mapping[str, Any], why: str) -> StoredVersion:
                version = doc.add(content, why, actor, "active")
                assert version.number == number
                return version

            def add_document(key: str, agency: str) -> StoredDocument:
                return StoredDocument(key, agency, actor.name)

            lists, rules = documents.lists, documents.rules
            entries += import_documents("list", lists, incoming_lists(packs), actor, started, add_document, add_version)
            entries += import_documents("rule", rules, incoming_rules(packs), actor, started, add_document, add_version)
            if not entries and documents.rulesets:
                return documents.rulesets[-1].info
            info, entry = documents.new_ruleset(actor, "import")
            entries.append(entry)
            return info

    def latest_ruleset(self) -> RulesetInfo | None:
        with self._documents.transaction():
            return self._documents.rulesets[-1].info if self._documents.rulesets else None

    def ruleset_rules(self, seq: int) -> tuple[RulesetInfo, list[ActiveRule]]:
        with self._documents.transaction():
            if not 0 < seq <= len(self._documents.rulesets):
                raise NotFound(f"no ruleset {seq}", "ruleset_not_found")
            ruleset = self._documents.rulesets[seq - 1]
            rules = []
            for rule_id, number in ruleset.info.rule_versions:
                version = self._version(rule_id, number)
                rules.append(ActiveRule(rule_id, number, self._rule(rule_id).agency, copy.deepcopy(version.content)))
            for name, number in ruleset.list_versions:
                listed = self._documents.lists[name]
                content = next(v.content for v in listed.versions if v.number == number)
                rules.append(ActiveRule(f"{LIST_PREFIX}{name}", number, listed.agency, copy.deepcopy(content)))
            return ruleset.info, rules
