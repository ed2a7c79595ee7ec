"""One journey from the API and the PNR: a flight's travellers of both messages paired, each pair merged.

An airline sends two messages for a flight: PAXLST, the API (who boarded, from the travel
documents), and PNRGOV, the PNR (how they booked, paid and travel). When both describe the same
traveller they become one record, so rules see document fields and booking fields together.

- ``pair`` pairs the travellers of one flight: by travel document (number and issuing country),
  then by name and date of birth, then by name alone where the PNR has no DOCS (neither date of
  birth nor document). Each
  test pairs only a traveller it finds exactly one candidate for, and that candidate has only
  them: where two could be the same person, no one is paired, and each says which test was
  ambiguous. A traveller is never lost: each comes out in exactly one ``Pair``.
- ``merge`` makes one record of a pair: the API (the document travelled on) gives the traveller,
  document and flight; the PNR gives the booking, contact and itinerary; either fills what the
  other lacks. It says which message gave each field.
- ``journey_fields`` are the ``journey.*`` fields rules test: which messages were joined, how,
  where they disagree, and who was booked but did not board (and the reverse).
- ``reached`` says whose pairing a change can alter (those sharing a document or a name with it, in a
  group both messages have travellers in, and so on), so a flight need not be paired again whole.

Names compare ASCII-folded (accents transliterated), case-folded, letters and digits only, so
``O'Brien``, ``OBRIEN`` and ``O BRIEN`` are one name. Pure: no web framework, database or network.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from anyascii import anyascii

from engine.catalogue import JOURNEY_MATCH_TESTS

API, PNR = "api", "pnr"
#: The tests that pair travellers, in the order they are tried (the values of ``journey.matched_by``).
MATCH_TESTS = JOURNEY_MATCH_TESTS
BY_DOCUMENT, BY_NAME_AND_BIRTH_DATE, BY_NAME = MATCH_TESTS
#: Sections whose values the PNR gives first (the API's fill its gaps); the API gives every other.
PNR_SECTIONS = frozenset({"booking", "contact"})
#: The record's key for the whole list of stops, which comes from one message, the PNR's first.
ITINERARY = "itinerary"
#: Keys of a record the merge leaves to the caller: the journey's own id and fields.
NOT_MERGED = frozenset({"passenger_id", "journey"})


def fold_name(text: Any) -> str:
    """A name as pairing compares it: ASCII, case-folded, letters and digits only ('' for none)."""
    if not isinstance(text, str):
        return ""
    return "".join(ch for ch in anyascii(text).casefold() if ch.isalnum())


def fold_document(text: Any) -> str:
    """A document number as pairing compares it: letters and digits only, upper case ('' for none)."""
    if not isinstance(text, str):
        return ""
    return "".join(ch for ch in text.upper() if ch.isalnum())


@dataclass(frozen=True)
class Traveller:
    """What pairing needs of one traveller, folded: kept for every traveller of a flight, so that a flight
    is paired again without reading its records."""

    family_name: str = ""
    given_names: str = ""
    birth_date: str = ""  # ISO date, as the record writes it
    document: str = ""
    issuing_country: str = ""
    crew: bool = False  # never booked: not paired, never "boarded, not booked"

    @classmethod
    def of(cls, record: Mapping[str, Any], crew: bool = False) -> Traveller:
        """The traveller of a passenger record (catalogue JSON shape); ``crew`` for a crew list's people."""
        traveller = record.get("traveller") or {}
        document = record.get("document") or {}
        return cls(
            fold_name(traveller.get("family_name")),
            fold_name(traveller.get("given_names")),
            str(traveller.get("date_of_birth") or ""),
            fold_document(document.get("number")),
            str(document.get("issuing_country") or ""),
            crew or traveller.get("role") == "crew",
        )

    @property
    def name(self) -> tuple[str, str] | None:
        return (self.family_name, self.given_names) if self.family_name else None

    @property
    def document_key(self) -> str | None:
        """The document as one text: a traveller is paired by document only with one that has the same."""
        return f"{self.document}/{self.issuing_country}" if self.document else None

    @property
    def person_key(self) -> str | None:
        """The name as one text: a traveller is paired by name (and date of birth) only with one that has the same.

        Whoever shares neither key with a traveller cannot change how they are paired: the flight's other
        travellers need not be paired again when they come, change or go (``reach``).
        """
        return f"{self.family_name}/{self.given_names}" if self.family_name else None

    def same_document(self, other: Traveller) -> bool:
        """Both name a document, and it is the same: the number, and the issuing country where both give one."""
        countries = {self.issuing_country, other.issuing_country} - {""}
        return bool(self.document) and self.document == other.document and len(countries) <= 1


@dataclass(frozen=True)
class Pair:
    """One journey of a flight: an API traveller, a PNR traveller, or both (by their keys).

    ``matched_by`` is the test that paired them; ``ambiguous`` the test that found more than one
    candidate for this traveller (who is then left unpaired).
    """

    api: str | None = None
    pnr: str | None = None
    matched_by: str | None = None
    ambiguous: str | None = None


def _document_key(traveller: Traveller, side: str) -> tuple[str, ...] | None:
    if not traveller.document:
        return None
    return (traveller.document, traveller.issuing_country)


def _name_and_birth_key(traveller: Traveller, side: str) -> tuple[str, ...] | None:
    name = traveller.name
    return (*name, traveller.birth_date) if name and traveller.birth_date else None


def _name_key(traveller: Traveller, side: str) -> tuple[str, ...] | None:
    # By name alone only a PNR traveller with neither date of birth nor document (no DOCS): one whose
    # date of birth or document is known and differs is another person, as far as anyone can tell.
    if side == PNR and (traveller.birth_date or traveller.document):
        return None
    return traveller.name


_KEYS: dict[str, Callable[[Traveller, str], tuple[str, ...] | None]] = {
    BY_DOCUMENT: _document_key,
    BY_NAME_AND_BIRTH_DATE: _name_and_birth_key,
    BY_NAME: _name_key,
}


def pair(api: Mapping[str, Traveller], pnr: Mapping[str, Traveller]) -> list[Pair]:
    """Every traveller of one flight in exactly one ``Pair``: the API's in their order, then the PNR's
    left unpaired, in theirs."""
    open_api = {key for key, traveller in api.items() if not traveller.crew}
    open_pnr = set(pnr)
    paired: dict[str, Pair] = {}  # by API key
    ambiguous: dict[tuple[str, str], str] = {}  # (side, key) -> test
    for test in MATCH_TESTS:
        candidates = _candidates(test, api, open_api, API), _candidates(test, pnr, open_pnr, PNR)
        for value in candidates[0].keys() & candidates[1].keys():
            api_keys, pnr_keys = candidates[0][value], candidates[1][value]
            if len(api_keys) == 1 and len(pnr_keys) == 1:
                paired[api_keys[0]] = Pair(api_keys[0], pnr_keys[0], matched_by=test)
            else:
                ambiguous.update({(API, key): test for key in api_keys})
                ambiguous.update({(PNR, key): test for key in pnr_keys})
            open_api.difference_update(api_keys)
            open_pnr.difference_update(pnr_keys)
    joined_pnr = {found.pnr for found in paired.values()}
    journeys = [paired.get(key) or Pair(api=key, ambiguous=ambiguous.get((API, key))) for key in api]
    journeys += [Pair(pnr=key, ambiguous=ambiguous.get((PNR, key))) for key in pnr if key not in joined_pnr]
    return journeys


def _candidates(
    test: str, travellers: Mapping[str, Traveller], open_keys: set[str], side: str
) -> dict[tuple[str, ...], list[str]]:
    """The still unpaired travellers of one side by the value ``test`` compares."""
    found: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for key in travellers:
        if key in open_keys:
            value = _KEYS[test](travellers[key], side)
            if value is not None:
                found[value].append(key)
    return found


def reach(travellers: Iterable[Traveller]) -> tuple[set[str], set[str]]:
    """The document keys and person keys of ``travellers``: whose pairing can change with theirs shares one."""
    found = list(travellers)
    return {key for t in found if (key := t.document_key)}, {key for t in found if (key := t.person_key)}


#: Looks up the travellers of one message (``api`` or ``pnr``) with any of these document or person keys.
Lookup = Callable[[str, set[str], set[str]], Mapping[str, Traveller]]


def reached(seeds: Iterable[tuple[str, Traveller]], lookup: Lookup, rounds: int) -> set[str] | None:
    """The keys of the travellers (``lookup``'s) whose pairing can change when ``seeds`` (message and
    traveller, each) come, change or go; None when that is not settled in ``rounds`` lookups.

    Travellers pair only within a group sharing a document key or a person key, and only a group with
    travellers of both messages pairs anyone, or finds them ambiguous. So from each group of the seeds
    the other message's travellers are looked up; a group that has some is looked up whole, and the
    groups of whoever it brings in the same way. A document number a hundred API travellers share with
    no PNR traveller brings in no one.
    """
    found: set[str] = set()
    sides: dict[tuple[str, str], set[str]] = {}  # group -> the messages it is known to have travellers of
    looked_up: set[tuple[str, str, str]] = set()  # (group, message)

    def known(side: str, traveller: Traveller) -> None:
        documents, persons = reach([traveller])
        for group in [*(("document", d) for d in documents), *(("person", p) for p in persons)]:
            sides.setdefault(group, set()).add(side)

    for side, traveller in seeds:
        known(side, traveller)
    for _ in range(rounds):
        wanted = [
            (kind, value, side)
            for (kind, value), holding in sides.items()
            for side in (API, PNR)
            if (kind, value, side) not in looked_up and (side not in holding or len(holding) == 2)
        ]
        if not wanted:
            return found
        looked_up.update(wanted)
        for side in (API, PNR):
            documents = {value for kind, value, wanted_side in wanted if wanted_side == side and kind == "document"}
            persons = {value for kind, value, wanted_side in wanted if wanted_side == side and kind == "person"}
            if documents or persons:
                for key, traveller in lookup(side, documents, persons).items():
                    found.add(key)
                    known(side, traveller)
    return None


def journey_fields(
    journey: Pair,
    api: Traveller | None,
    pnr: Traveller | None,
    *,
    api_arrived: bool,
    pnr_arrived: bool,
) -> dict[str, Any]:
    """The ``journey`` section of a journey's record (``engine.catalogue``, ``journey.*``).

    ``api_arrived`` and ``pnr_arrived``: whether the flight's passenger API and PNR push have come.
    Booked-not-boarded is only said once the API has come, and of no one left unpaired as ambiguous
    (they may well have boarded); the same for boarded-not-booked and the PNR.
    """
    fields: dict[str, Any] = {"has_api": api is not None, "has_pnr": pnr is not None}
    if journey.matched_by:
        fields["matched_by"] = journey.matched_by
    if journey.ambiguous:
        fields["ambiguous_match"] = journey.ambiguous
    if api is not None and pnr is not None:
        if api.name and pnr.name:
            fields["name_differs"] = api.name != pnr.name
        if pnr.document and api.document:
            fields["document_differs"] = not api.same_document(pnr)
        fields["booked_not_boarded"] = fields["boarded_not_booked"] = False
    elif pnr is not None and api_arrived and not journey.ambiguous:
        fields["booked_not_boarded"] = True
    elif api is not None and pnr_arrived and not journey.ambiguous and not api.crew:
        fields["boarded_not_booked"] = True
    return fields


def merge(api: Mapping[str, Any] | None, pnr: Mapping[str, Any] | None) -> tuple[dict[str, Any], dict[str, str]]:
    """One record of a journey's API and PNR records (either may be None), and which gave each field.

    The sources are by the record's keys (``traveller.family_name``, ``itinerary``). The
    ``passenger_id`` and ``journey`` section are the caller's.
    """
    record: dict[str, Any] = {}
    sources: dict[str, str] = {}
    given = {API: api or {}, PNR: pnr or {}}
    sections = [s for s in dict.fromkeys([*given[API], *given[PNR]]) if s not in NOT_MERGED and s != ITINERARY]
    for section in sections:
        first, second = (PNR, API) if section in PNR_SECTIONS else (API, PNR)
        values = {first: given[first].get(section), second: given[second].get(section)}
        if section == "document" and _different_documents(values[API], values[PNR]):
            values[second] = None  # the fields of another document would describe neither
        merged: dict[str, Any] = {}
        for source in (first, second):
            found = values[source]
            if not isinstance(found, Mapping):
                continue
            for name, value in found.items():
                if value is not None and name not in merged:
                    merged[name] = value
                    sources[f"{section}.{name}"] = source
        if merged:
            record[section] = merged
    for source in (PNR, API):
        stops = given[source].get(ITINERARY)
        if stops:
            record[ITINERARY] = [dict(stop) for stop in stops]
            sources[ITINERARY] = source
            break
    return record, sources


def _different_documents(api: Any, pnr: Any) -> bool:
    if not isinstance(api, Mapping) or not isinstance(pnr, Mapping):
        return False
    numbers = fold_document(api.get("number")), fold_document(pnr.get("number"))
    return all(numbers) and numbers[0] != numbers[1]


def unique_keys(keys: Iterable[str]) -> list[str]:
    """``keys`` with a repeat made unique (``K``, ``K#2``, ...): two people of one message never share one."""
    seen: set[str] = set()
    found = []
    for key in keys:
        unique, n = key, 1
        while unique in seen:
            n += 1
            unique = f"{key}#{n}"
        seen.add(unique)
        found.append(unique)
    return found
