"""The joint non-compliant list (watchlist): entries, CSV import and fuzzy screening.

Pure Python plus rapidfuzz (string metrics), anyascii (transliteration) and jellyfish
(a phonetic key): no web framework, database or network. Typical use::

    entries, errors = parse_csv(text)          # every bad row reported by line and field
    watchlist = Watchlist(entries)             # immutable snapshot, ``watchlist.version``
    matches = watchlist.screen(record, at=day) # a PassengerRecord, a mapping or a Person

CSV
---
A header row, then one entry a row. Columns (any order; the optional ones may be left out):

=================  ========  ====================================================
column             required  value
=================  ========  ====================================================
id                 yes       letters, digits, ``.``, ``_``, ``-``; unique in the file
agency             yes       customs | mpi | immigration (the owner)
family_name        yes       at most 100 characters, with at least one letter
given_names        no        may be empty
date_of_birth      no        ``YYYY-MM-DD``, ``YYYY`` (year only) or empty
nationality        no        ISO 3166-1 alpha-3 (``NZL``), or empty
document_number    no        letters and digits (upper-cased), at most 20
document_country   no        alpha-3 issuing state; only with a document_number
category           yes       biosecurity | customs | immigration
reason             yes       at most 500 characters
expires            yes       ``YYYY-MM-DD``, the last day the entry applies
=================  ========  ====================================================

Names
-----
Names are normalised (:func:`normalise_name`) into tokens: transliterated to ASCII
(``Иванов`` -> ``ivanov``), casefolded, German umlaut spellings folded (``ae``/``oe``/``ue``
read as ``a``/``o``/``u`` on both sides, so ``Müller``, ``Mueller`` and ``MULLER`` are one
name), apostrophes dropped (``O'Brien`` = ``OBRIEN``), hyphens and any other non-letter
read as a space (``Smith-Jones`` = ``Smith Jones``).

Two tokens compare (:func:`token_similarity`) by Jaro-Winkler similarity; tokens of four
letters or fewer by the stricter optimal-string-alignment edit similarity (one letter in
three or four makes a different name: ``Min``/``Jin``, ``Wei``/``Wen``). Two tokens with
the same Metaphone key are lifted half-way to 1 when already similar (Jaro-Winkler 0.8;
for short ones, edit similarity 0.75 and a letter added or dropped, not changed):
``Mohammed``/``Muhammad``, ``Jon``/``John``, but not ``Yuki``/``Yuko``.

A name part (family or given names) compares token by token, best pairs first, as the
*product* of the pairs' similarities; each token left over on either side (a middle name
one source lacks) multiplies by ``1 - extra_token_penalty``. A part of one token also
compares with the other part's tokens run together (``Vanderberg`` = ``van der Berg``).

The **name score**, when both sides have given names, is the best of: family × given
similarity as listed; the same with family and given names swapped, × ``swapped_factor``;
all tokens compared whichever part they are in, × ``any_order_factor``. When either side
has no given names, it is the best family-name comparison (against either part of the
other side) × ``missing_given_factor``, unless the side without given names holds two or
more tokens that all pair up with the other side's (the whole name written in the family
name field): then that comparison × ``any_order_factor``.

Score
-----
The **score** is the name score plus adjustments, clamped to [0, 1]:

- date of birth: exact ``+dob_exact_bonus``; within ``dob_tolerance_days`` days, or day and
  month transposed, ``+dob_near_bonus``; a year-only entry and the passenger's year
  ``+dob_year_bonus``; unknown on either side ``-dob_unknown_penalty`` (no boost and no
  veto, but the name must be that much stronger); both known and different beyond the
  tolerance: **no match** (a veto), unless the document number matches;
- nationality: same ``+nationality_same_bonus``; different ``-nationality_different_penalty``
  (not a veto: people hold several); unknown on either side 0;
- document: the same number and issuing country scores **1.0** whatever else differs; the
  same number with the issuing country unknown on one side adds ``document_number_bonus``
  and lifts the date-of-birth veto; a number issued by another country changes nothing.

An entry matches when its score is at least ``min_score`` and it has not expired
(``expires`` is the last day it applies, like a rule's ``valid_until``). With the defaults
(:class:`MatchSettings`) this means, for example: an exact name with no date of birth
matches (0.95); a family name alone never does without a date of birth (0.87 - 0.05 +
0.02 = 0.84); a name similarity of 0.80 needs an exact date of birth to match.

Blocking
--------
Screening never scans the list. Each distinct list token is indexed by its Metaphone key
and (as sorted hashes) by its one-letter deletions, so a passenger's token finds the list
tokens that sound alike or are one edit (or one adjacent transposition) away, kept when
at least ``min_score - dob_exact_bonus - nationality_same_bonus`` similar: below that no
name could reach ``min_score``. Entries are indexed by every unordered *pair* of their
tokens (so swapped or differently split names meet) and by each part run together paired
with the other part's tokens. Postings are ordered by year of birth: a passenger with a
date of birth takes only the years its tolerance reaches plus entries without a year (any
other year is a veto). Entries without given names are indexed by each token alone;
passengers without given names look up every entry holding one of their tokens; document
numbers have their own index. :meth:`Watchlist.candidates` lists the entries blocking
hands to scoring for one passenger.

Blocking finds what a full scan at the settings' ``min_score`` finds whenever each name
token that carries the match is within two edits of its counterpart (one edit for tokens
of five letters or fewer) or sounds the same, and names run together match whole or by
sound. Measured against a full scan of 5,000 entries with up to two random edits in every
token, it found 98 % of the scan's matches; the rest were short names with two edits
(``Peto``/``Peter``). A ``min_score`` given to :meth:`Watchlist.screen` below the settings'
one is applied to the same candidates.
"""

from screening.entries import (
    AGENCIES,
    CATEGORIES,
    CSV_COLUMNS,
    REQUIRED_COLUMNS,
    RowError,
    WatchlistEntry,
    parse_csv,
    parse_entry,
)
from screening.index import Watchlist
from screening.names import normalise_name, token_similarity
from screening.scoring import DEFAULT_SETTINGS, MatchSettings, Person, WatchlistMatch, compare

__all__ = [
    "AGENCIES",
    "CATEGORIES",
    "CSV_COLUMNS",
    "DEFAULT_SETTINGS",
    "REQUIRED_COLUMNS",
    "MatchSettings",
    "Person",
    "RowError",
    "Watchlist",
    "WatchlistEntry",
    "WatchlistMatch",
    "compare",
    "normalise_name",
    "parse_csv",
    "parse_entry",
    "token_similarity",
]
