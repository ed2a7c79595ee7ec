"""Names as screening compares them: normalised tokens, token similarity and phonetic keys."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

import jellyfish
from anyascii import anyascii
from rapidfuzz.distance import OSA, JaroWinkler

# --------------------------------------------------------------------------- names


_APOSTROPHES = re.compile(r"['`\u2018\u2019\u02bc]")
_NOT_LETTER = re.compile(r"[^a-z]+")
# Both spellings of the German umlauts (Müller, Mueller, MULLER) meet at the plain vowel.
# Applied to both sides, so the few names that contain these pairs anyway (Michael, Manuel)
# still equal themselves; at worst they also equal their umlaut-less neighbours (Michal).
_UMLAUT_DIGRAPHS = re.compile(r"(?<=[aou])e")


@functools.lru_cache(maxsize=1 << 16)
def normalise_name(text: str) -> tuple[str, ...]:
    """A name as comparison tokens: ASCII, casefolded, umlauts folded, punctuation as spaces.

    >>> normalise_name("Müller-Lüdenscheidt"), normalise_name("O'Brien"), normalise_name("Иванов")
    (('muller', 'ludenscheidt'), ('obrien',), ('ivanov',))
    """
    ascii_text = anyascii(text).casefold()
    ascii_text = _APOSTROPHES.sub("", ascii_text)
    return tuple(_UMLAUT_DIGRAPHS.sub("", token) for token in _NOT_LETTER.split(ascii_text) if token)


# Tokens this short or shorter compare by edit distance (optimal string alignment, so an
# adjacent transposition is one edit): Jaro-Winkler rates "wei"/"wen" 0.82 and
# "dape"/"pape" 0.83, yet one letter in three or four makes a different name.
SHORT_TOKEN = 4
# Tokens with the same Metaphone key and at least this similarity are lifted half-way to 1
# (Mohammed/Muhammad 0.85 -> 0.93, Jon/John 0.75 -> 0.88). The floors keep apart names a
# coarse key conflates: Hassan/Hussein (Jaro-Winkler 0.77).
PHONETIC_MIN_SIMILARITY = 0.8
SHORT_PHONETIC_MIN_SIMILARITY = 0.75


@functools.lru_cache(maxsize=1 << 16)
def phonetic_key(token: str) -> str:
    return jellyfish.metaphone(token)


@functools.lru_cache(maxsize=1 << 18)
def token_similarity(a: str, b: str) -> float:
    """Similarity of two normalised name tokens in [0, 1] (see the module docstring)."""
    if a == b:
        return 1.0
    if max(len(a), len(b)) <= SHORT_TOKEN:
        similarity = OSA.normalized_similarity(a, b)
        # Short names: only a letter added or dropped is a spelling (Jon/John, Ana/Anna); a
        # letter changed is usually another name that Metaphone, blind to vowels, conflates
        # (Yuki/Yuko, John/Joan).
        lift = len(a) != len(b) and similarity >= SHORT_PHONETIC_MIN_SIMILARITY
    else:
        similarity = JaroWinkler.normalized_similarity(a, b)
        lift = similarity >= PHONETIC_MIN_SIMILARITY
    if lift and phonetic_key(a) == phonetic_key(b):
        similarity = (1.0 + similarity) / 2
    return similarity


def align_tokens(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[float, int]:
    """Pair tokens best first: the product of the pairs' similarities, and how many tokens are left over.

    A product, not a mean: one wrong token in an otherwise equal name (Kim Min / Kim Jin)
    must cost as much as it does when family and given names are compared part by part.
    """
    if len(a) == 1 and len(b) == 1:
        return token_similarity(a[0], b[0]), 0
    scored = sorted(
        ((token_similarity(x, y), i, j) for i, x in enumerate(a) for j, y in enumerate(b)),
        reverse=True,
    )
    used_a: set[int] = set()
    used_b: set[int] = set()
    product = 1.0
    for similarity, i, j in scored:
        if i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        product *= similarity
        if len(used_a) == len(a) or len(used_b) == len(b):
            break
    return product, len(a) + len(b) - 2 * len(used_a)


def part_similarity(a: tuple[str, ...], b: tuple[str, ...], penalty: float) -> float:
    """Similarity of two name parts (token tuples, both non-empty)."""
    if a == b:
        return 1.0
    similarity, left_over = align_tokens(a, b)
    score = similarity * (1.0 - penalty) ** left_over
    if (len(a) == 1) != (len(b) == 1):
        # One side may be the other run together: Vanderberg / van der Berg, OBRIEN / O BRIEN.
        score = max(score, token_similarity("".join(a), "".join(b)))
    return score


def with_joined(part: tuple[str, ...]) -> set[str]:
    tokens = set(part)
    if len(part) > 1:
        tokens.add("".join(part))
    return tokens


def _deletions(token: str) -> Iterator[str]:
    for i in range(len(token)):
        yield token[:i] + token[i + 1 :]


def deletion_variants(token: str) -> set[str]:
    """The token with one letter deleted (from four letters) or two (from six).

    Two tokens one edit apart share a one-deletion variant (or one is the other's); two edits
    apart, a two-deletion one. Shorter tokens get none: "an" would reach every "a?" token,
    and two edits in four letters is another name anyway.
    """
    if len(token) < _DELETION_MIN_LENGTH:
        return set()
    once = set(_deletions(token))
    if len(token) < _SECOND_DELETION_MIN_LENGTH:
        return once
    return once | {twice for variant in once for twice in _deletions(variant)}


_DELETION_MIN_LENGTH = 4
_SECOND_DELETION_MIN_LENGTH = 6
