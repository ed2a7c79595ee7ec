"""Travellers of a PNR: their TIF names, and, once the PNR is read, what ties to whom: infants to
the adult they travel with, SSRs to the traveller they name, and the one travel document kept."""

from __future__ import annotations

import re

from messages.edifact import Segment
from messages.pnrgov.fields import Checks
from messages.pnrgov.model import TITLES_GLUED, TITLES_SPACED, Pnr, TravelDocument, Traveller
from messages.pnrgov.problems import Problems


def read_traveller(segment: Segment, checks: Checks, *, quiet: bool = False) -> Traveller | None:
    """A TIF: surname, given names (without a title), type, reference; None for a group's name (type G)."""
    if segment.get(0, 1).upper() == "G":
        return None
    traveller = Traveller(segment)
    family = re.sub(r"\s+", " ", segment.get(0, 0))
    given = strip_title(re.sub(r"\s+", " ", segment.get(1, 0)))
    traveller.kind = segment.get(1, 1).upper()
    traveller.reference = segment.get(1, 2)
    traveller.with_infant = segment.get(1, 3) == "1"
    if quiet:
        traveller.family_name, traveller.given_names = family or None, given or None
        return traveller
    if not family:
        checks.problems.error("missing_name", segment, "TIF has no surname; the traveller is kept without it")
    traveller.family_name = checks.fit("traveller.family_name", family, segment, "TIF surname")
    traveller.given_names = checks.fit("traveller.given_names", given, segment, "TIF given names")
    if len(segment.elements) > 2:
        checks.problems.warn("extra_traveller", segment, "a TIF names more than one traveller; only the first is read")
    return traveller


def strip_title(given: str) -> str:
    """Given names without the title airlines add to them (JOHN MR, JOHNMR)."""
    for title in TITLES_SPACED:
        if given.endswith(" " + title):
            return given[: -len(title) - 1].rstrip()
    for title in TITLES_GLUED:
        if given.endswith(title) and len(given) > len(title) + 1:
            return given[: -len(title)]
    return given


def settle(pnr: Pnr, problems: Problems) -> None:
    """Tie a read PNR's parts together: infants to adults, loose SSRs to travellers, documents chosen."""
    _link_infants(pnr, problems)
    for document in pnr.loose_documents:
        owner = _named(pnr, document.reference, document.segment, problems, "DOCS")
        if owner is not None:
            owner.documents.append(document)
    for visa in pnr.loose_visas:
        owner = _named(pnr, visa.reference, visa.segment, problems, "DOCO")
        if owner is not None:
            owner.visas.append(visa)
    for address in pnr.loose_addresses:
        owner = _named(pnr, address.reference, address.segment, problems, "DOCA")
        if owner is not None:
            owner.addresses.append(address)
    for traveller in pnr.travellers:
        _move_infant_documents(traveller, problems)


def _named(pnr: Pnr, reference: str, segment: Segment, problems: Problems, what: str) -> Traveller | None:
    """The traveller an SSR outside a TIF group names; the only traveller when it names none."""
    found = pnr.traveller(reference)
    if found is None and not reference and len(pnr.travellers) == 1:
        found = pnr.travellers[0]
    if found is None:
        problems.warn("unknown_traveller", segment, f"SSR {what} names no traveller of the PNR; ignored")
    return found


def _link_infants(pnr: Pnr, problems: Problems) -> None:
    adults = [t for t in pnr.travellers if not t.infant]
    for position, infant in enumerate(pnr.travellers):
        if not infant.infant:
            continue
        # The adult whose reference the infant's extends (43578 and 43578I), else the nearest adult
        # before it whose TIF says an infant travels with them, else any such adult still without one.
        extended = [a for a in adults if _extends(infant.reference, a.reference)]
        adult = max(extended, key=lambda a: len(a.reference)) if extended else None
        if adult is None:
            before = [t for t in pnr.travellers[:position] if not t.infant and t.with_infant and not t.infants]
            adult = before[-1] if before else None
        if adult is None:
            adult = next((a for a in adults if a.with_infant and not a.infants), None)
        if adult is None:
            problems.warn(
                "unlinked_infant", infant.segment, "the adult this infant travels with is not named; left out"
            )
            continue
        infant.infant_of = adult
        adult.infants.append(infant)


def _extends(infant: str, adult: str) -> bool:
    """Whether an infant's reference is the adult's with a letter after it (43578I of 43578)."""
    return bool(adult) and infant.startswith(adult) and len(infant) > len(adult) and not infant[len(adult)].isdigit()


def _move_infant_documents(traveller: Traveller, problems: Problems) -> None:
    """An adult's DOCS with sex MI or FI are the infant's: airlines send them in the adult's group."""
    if traveller.infant:
        return
    for document in [d for d in traveller.documents if d.infant]:
        traveller.documents.remove(document)
        if len(traveller.infants) == 1:
            traveller.infants[0].documents.append(document)
        else:
            problems.warn(
                "unlinked_infant",
                document.segment,
                "DOCS of an infant (sex MI or FI) in the group of an adult with no one infant; ignored",
            )


def chosen_document(traveller: Traveller, problems: Problems) -> TravelDocument | None:
    """The DOCS kept: a passport before other documents, then the most complete; a disagreeing one is reported."""
    documents = traveller.documents
    if not documents:
        return None
    best = max(documents, key=lambda d: (d.type == "P", d.filled()))
    for other in documents:
        if other is best:
            continue
        if any(
            mine is not None and theirs is not None and mine != theirs
            for mine, theirs in zip(best.facts(), other.facts(), strict=True)
        ):
            problems.warn(
                "conflicting_documents",
                other.segment,
                "this DOCS disagrees with another of the traveller's (number, date of birth or nationality); "
                "the most complete one was kept",
            )
    return best
