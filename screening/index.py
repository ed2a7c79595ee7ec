"""The watchlist snapshot and its blocking index: finding the few entries worth scoring."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from itertools import combinations
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler

from screening.entries import WatchlistEntry
from screening.names import (
    PHONETIC_MIN_SIMILARITY,
    SHORT_TOKEN,
    deletion_variants,
    phonetic_key,
    token_similarity,
    with_joined,
)
from screening.scoring import (
    DEFAULT_SETTINGS,
    MatchSettings,
    PersonLike,
    Prepared,
    WatchlistMatch,
    as_person,
    prepare_entry,
    prepare_person,
    score_prepared,
)

# Year-of-birth slots of the blocking index: 0 holds entries without a year.
_YEAR_BASE = 1800
_YEAR_SLOTS = 512


def _year_slot(year: int | None) -> int:
    if year is None:
        return 0
    return min(_YEAR_SLOTS - 1, max(1, year - _YEAR_BASE))


# A variant's key: 39 bits of its hash (str hashes are per process, like the index) above a
# 24-bit token id; the hash's top 18 bits pick its bucket (a few keys each).
_ID_BITS = 24
_ID_MASK = (1 << _ID_BITS) - 1
_HASH_BITS = 39
_BUCKET_BITS = 18
_BUCKETS = 1 << _BUCKET_BITS
_BUCKET_SHIFT = _ID_BITS + _HASH_BITS - _BUCKET_BITS


def _variant_hash(variant: str) -> int:
    return hash(variant) & ((1 << _HASH_BITS) - 1)


class Watchlist:
    """An immutable snapshot of the list with its blocking index.

    ``version`` (``wl-`` and 16 hex digits) is derived from the entries, the settings and
    the matching algorithm: any change to what screening would answer changes it.
    """

    def __init__(self, entries: Iterable[WatchlistEntry], settings: MatchSettings = DEFAULT_SETTINGS) -> None:
        self._entries: tuple[WatchlistEntry, ...] = tuple(sorted(entries, key=lambda entry: entry.id))
        self._settings = settings
        self._by_id: dict[str, int] = {}
        for index, entry in enumerate(self._entries):
            if entry.id in self._by_id:
                raise ValueError(f"duplicate watchlist entry id {entry.id!r}")
            self._by_id[entry.id] = index
        self._prepared = [prepare_entry(entry) for entry in self._entries]
        self._version = _version(self._entries, settings)
        # A list token is a passenger token's neighbour only this similar or more. Below it no
        # name could reach min_score even with every bonus (the name score is a product of token
        # similarities), so blocking loses nothing at the settings' own threshold.
        self._token_floor = settings.min_score - settings.dob_exact_bonus - settings.nationality_same_bonus
        self._build_index()
        # Per-snapshot cache: passenger tokens repeat a great deal from one passenger to the next.
        self._neighbours = functools.lru_cache(maxsize=1 << 16)(self._neighbours_uncached)

    # -- public

    @property
    def version(self) -> str:
        """Content-derived version, e.g. ``wl-3f2a9c0d4b1e8f77``."""
        return self._version

    @property
    def min_score(self) -> float:
        """The settings' threshold: blocking finds every match at or above it."""
        return self._settings.min_score

    @property
    def settings(self) -> MatchSettings:
        """The thresholds and weights this snapshot scores with (part of its version)."""
        return self._settings

    @property
    def entries(self) -> tuple[WatchlistEntry, ...]:
        """Every entry, expired ones included, ordered by id."""
        return self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, entry_id: str) -> WatchlistEntry | None:
        """The entry with this id, or None."""
        index = self._by_id.get(entry_id)
        return None if index is None else self._entries[index]

    def candidates(self, person: PersonLike) -> list[WatchlistEntry]:
        """The entries blocking selects for ``person``: the only ones :meth:`screen` scores."""
        p = prepare_person(as_person(person))
        return [self._entries[index] for index in sorted(self._candidate_indices(p))]

    def screen(
        self,
        person: PersonLike,
        *,
        at: dt.date | dt.datetime | None = None,
        min_score: float | None = None,
        category: str | None = None,
    ) -> list[WatchlistMatch]:
        """The entries ``person`` matches on day ``at`` (default: today, UTC), best first.

        ``person`` is a :class:`Person`, an ``engine.records.PassengerRecord`` or a mapping
        of its values. ``min_score`` overrides the settings' threshold (a rule's own);
        ``category`` keeps only entries of that category. Expired entries never match.
        """
        if at is None:
            day = dt.datetime.now(dt.UTC).date()
        elif isinstance(at, dt.datetime):
            day = (at if at.tzinfo is None else at.astimezone(dt.UTC)).date()
        else:
            day = at
        floor = self._settings.min_score if min_score is None else min_score
        p = prepare_person(as_person(person))
        found: list[WatchlistMatch] = []
        for index in self._candidate_indices(p):
            entry = self._entries[index]
            if not entry.active_on(day) or (category is not None and entry.category != category):
                continue
            match = score_prepared(p, entry, self._prepared[index], self._settings, floor)
            if match is not None:
                found.append(match)
        found.sort(key=lambda match: (-match.score, match.entry.id))
        return found

    # -- blocking

    def _build_index(self) -> None:
        self._vocabulary: dict[str, int] = {}
        self._tokens: list[str] = []
        for prepared in self._prepared:
            for token in prepared.tokens:
                self._token_id(token)

        by_sound: dict[str, list[int]] = {}
        for token_id, token in enumerate(self._tokens):
            by_sound.setdefault(phonetic_key(token), []).append(token_id)
        self._by_sound = _frozen(by_sound)
        # Deletion variants of every name token (not of the run-together forms, which only need
        # to be found whole): two tokens up to two edits apart share one. Millions of short
        # strings would dominate the index's memory, so each variant is kept as one integer,
        # a hash of the variant above the token id, in one sorted array. A hash collision
        # only adds a neighbour that the similarity check then drops.
        plain = {token for prepared in self._prepared for token in prepared.family + prepared.given}
        keys = sorted(
            {
                _variant_hash(variant) << _ID_BITS | token_id
                for token_id, token in enumerate(self._tokens)
                if token in plain
                for variant in deletion_variants(token)
            }
        )
        self._variants = array("q", keys)
        # Where each bucket (the top bits of the hash) starts in the sorted array, so a lookup
        # is a short scan instead of a bisection through millions of integers.
        self._variant_starts = array(
            "l", (bisect_left(keys, bucket << _BUCKET_SHIFT) for bucket in range(_BUCKETS + 1))
        )
        del keys

        # Postings list entries in order of year-of-birth slot, so the few years a passenger's
        # date reaches are a bisection away; keys are integers (a token id, or a pair of them).
        self._slot_of = array("H", (_year_slot(prepared.birth_year) for prepared in self._prepared))
        self._pair_base = len(self._tokens) + 1
        pairs: dict[int, list[int]] = {}  # pair of token ids -> entries with given names
        singles: dict[int, list[int]] = {}  # token -> entries without given names
        holding: dict[int, list[int]] = {}  # token -> every entry holding it
        documents: dict[str, list[int]] = {}
        vocabulary = self._vocabulary
        for index in sorted(range(len(self._prepared)), key=self._slot_of.__getitem__):
            prepared = self._prepared[index]
            if prepared.document_number:
                documents.setdefault(prepared.document_number, []).append(index)
            every = {vocabulary[token] for token in prepared.tokens}
            for token_id in every:
                holding.setdefault(token_id, []).append(index)
            if not prepared.given:
                for token_id in every:
                    singles.setdefault(token_id, []).append(index)
                continue
            # Every pair of name tokens (unordered, so swapped names meet; a token given twice,
            # as in Mohammed Mohammed, pairs with itself), and each part run together paired
            # with the other part's tokens (Vanderberg / van der Berg).
            name_ids = sorted(vocabulary[token] for token in prepared.family + prepared.given)
            token_pairs = set(combinations(name_ids, 2))
            family_side = {vocabulary[token] for token in with_joined(prepared.family)}
            given_side = {vocabulary[token] for token in with_joined(prepared.given)}
            token_pairs.update((min(a, b), max(a, b)) for a in family_side for b in given_side)
            for a, b in token_pairs:
                pairs.setdefault(a * self._pair_base + b, []).append(index)
        self._pairs = _frozen(pairs)
        partners: dict[int, set[int]] = {}
        for key in self._pairs:
            a, b = divmod(key, self._pair_base)
            partners.setdefault(a, set()).add(b)
            partners.setdefault(b, set()).add(a)
        # Small partner lists stay tuples (a quarter of a set's memory); large ones are sets, so
        # intersecting with a handful of neighbours does not walk thousands of partners.
        self._partners: dict[int, tuple[int, ...] | frozenset[int]] = {
            token_id: tuple(found) if len(found) <= _TUPLE_PARTNERS else frozenset(found)
            for token_id, found in partners.items()
        }
        self._singles = _frozen(singles)
        self._holding = _frozen(holding)
        self._documents = _frozen(documents)

    def _token_id(self, token: str) -> int:
        token_id = self._vocabulary.get(token)
        if token_id is None:
            token_id = self._vocabulary[token] = len(self._tokens)
            self._tokens.append(token)
        return token_id

    def _neighbours_uncached(self, token: str, by_edits: bool) -> frozenset[int]:
        """List tokens similar enough to ``token`` that sound like it or (``by_edits``) are up to two edits away.

        Names run together are looked up whole and by sound only: their edit variants are many
        (a dozen letters make 78) and only the list's name tokens are indexed by edits.
        """
        found: set[int] = set(_entries(self._by_sound.get(phonetic_key(token), ())))
        token_id = self._vocabulary.get(token)
        if token_id is not None:
            found.add(token_id)
        variants, starts, vocabulary = self._variants, self._variant_starts, self._vocabulary
        for key in (token, *deletion_variants(token)) if by_edits else ():
            token_id = vocabulary.get(key)
            if token_id is not None:
                found.add(token_id)
            wanted = _variant_hash(key)
            bucket = wanted >> (_HASH_BITS - _BUCKET_BITS)
            for at in range(starts[bucket], starts[bucket + 1]):
                if variants[at] >> _ID_BITS == wanted:
                    found.add(variants[at] & _ID_MASK)
        tokens, floor = self._tokens, self._token_floor
        if len(token) > SHORT_TOKEN:
            # Every pair is compared by Jaro-Winkler, which the phonetic lift only raises from
            # PHONETIC_MIN_SIMILARITY up: a batch pass in C at the lower of the two thresholds
            # keeps a superset, and the exact similarity decides on the few left.
            ids = list(found)
            kept = process.extract(
                token,
                [tokens[i] for i in ids],
                scorer=JaroWinkler.normalized_similarity,
                score_cutoff=min(floor, PHONETIC_MIN_SIMILARITY),
                limit=None,
            )
            found = {ids[position] for _, _, position in kept}
        return frozenset(i for i in found if token_similarity(token, tokens[i]) >= floor)

    def _slots(self, p: Prepared) -> tuple[int, ...] | None:
        """Year slots worth looking at for ``p``, or None for all of them."""
        if p.birth_date is None:
            return None
        tolerance = dt.timedelta(days=self._settings.dob_tolerance_days)
        try:
            first, last = (p.birth_date - tolerance).year, (p.birth_date + tolerance).year
        except OverflowError:
            return None
        return (0, *sorted({_year_slot(year) for year in range(first, last + 1)}))

    def _candidate_indices(self, p: Prepared) -> set[int]:
        found: set[int] = set()
        if p.document_number:
            found.update(_entries(self._documents.get(p.document_number, ())))
        if not p.family:
            return found
        slots = self._slots(p)
        slot_of = self._slot_of

        def collect(posting: Posting | None) -> None:
            if posting is None:
                return
            if isinstance(posting, int):
                if slots is None or slot_of[posting] in slots:
                    found.add(posting)
            elif slots is None:
                found.update(posting)
            elif len(posting) <= _SCAN_LENGTH:
                found.update(index for index in posting if slot_of[index] in slots)
            else:
                for slot in slots:
                    low = bisect_left(posting, slot, key=slot_of.__getitem__)
                    high = bisect_right(posting, slot, lo=low, key=slot_of.__getitem__)
                    found.update(posting[low:high])

        plain = set(p.family + p.given)

        def neighbours(token: str) -> frozenset[int]:
            return self._neighbours(token, token in plain)

        whole = p.tokens
        if len(p.family) + len(p.given) > 1:
            whole.add(p.joined)  # the whole name run together: an entry that wrote it as one word
        if not p.given:
            # No given names to pair with: every entry sharing a token is a candidate.
            for token in whole:
                for token_id in neighbours(token):
                    collect(self._holding.get(token_id))
            return found
        pairs, partners, base = self._pairs, self._partners, self._pair_base
        for first, second in _query_pairs(p):
            others = neighbours(second)
            for a in neighbours(first):
                # Only the pairs that exist: a set intersection rather than every combination of
                # two neighbourhoods, which for common or densely spelled names run to dozens each.
                paired = partners.get(a)
                if paired is None:
                    continue
                for b in others.intersection(paired):
                    collect(pairs[a * base + b if a <= b else b * base + a])
        singles = self._singles
        for token in whole:
            for token_id in neighbours(token):
                posting = singles.get(token_id)
                if posting is not None:
                    collect(posting)
        return found


# A posting: the entries under one key. A lone entry stays a bare int (most pairs name one
# entry), which keeps a 100,000-entry index to tens of megabytes.
Posting = int | tuple[int, ...]
# Partner lists up to this long are kept as tuples.
# Part of every version string: a change to how matching works is a new list version too.
ALGORITHM = "watchlist-1"

_TUPLE_PARTNERS = 16
# Postings up to this long are filtered by year one by one; longer ones are bisected.
_SCAN_LENGTH = 32


def _frozen(index: Mapping[Any, list[int]]) -> dict[Any, Posting]:
    return {key: found[0] if len(found) == 1 else tuple(found) for key, found in index.items()}


def _entries(posting: Posting) -> tuple[int, ...]:
    return (posting,) if isinstance(posting, int) else posting


def _query_pairs(p: Prepared) -> set[tuple[str, str]]:
    """The passenger's token pairs to look up: every pair of name tokens, whichever part they
    are in (the list may have split the name differently), and each part run together with
    the other part's tokens."""
    found = set(combinations(sorted(p.family + p.given), 2))
    for side, other in ((p.family, p.given), (p.given, p.family)):
        if len(side) > 1:
            joined = "".join(side)
            found.update((joined, token) for token in other)
    return found


def _version(entries: tuple[WatchlistEntry, ...], settings: MatchSettings) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps([ALGORITHM, dataclasses.asdict(settings)], sort_keys=True).encode())
    for entry in entries:
        row = [getattr(entry, name) for name in _ENTRY_FIELDS]
        digest.update(json.dumps(row, default=_iso).encode())
        digest.update(b"\n")
    return "wl-" + digest.hexdigest()[:16]


_ENTRY_FIELDS = tuple(f.name for f in dataclasses.fields(WatchlistEntry))


def _iso(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot hash a {type(value).__name__}")
