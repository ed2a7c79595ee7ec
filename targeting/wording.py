"""Counted nouns for the command line's messages: "1 problem", "3 problems", never "problem(s)"."""

from __future__ import annotations


def plural(count: int, noun: str) -> str:
    """``noun`` as ``count`` of it takes it (regular plurals only: the CLI's nouns are all regular)."""
    return noun if count == 1 else f"{noun}s"


def counted(count: int, noun: str) -> str:
    return f"{count} {plural(count, noun)}"
