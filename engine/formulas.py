"""Formulas over atoms: plain tuples, so a compiled ruleset stays picklable data.

``("atom", id)``, ``("not", formula)``, ``("and", (formula, ...))``, ``("or", (formula, ...))``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

Formula = tuple[Any, ...]


def simplify(formula: Formula) -> Formula:
    """The same formula with double negations removed, nested and/or of the same kind
    flattened and repeated items dropped, so the compiler sees as few levels as possible."""
    kind = formula[0]
    if kind == "atom":
        return formula
    if kind == "not":
        inner = simplify(formula[1])
        return inner[1] if inner[0] == "not" else ("not", inner)
    items: list[Formula] = []
    for item in formula[1]:
        item = simplify(item)
        items.extend(item[1] if item[0] == kind else (item,))
    unique = tuple(dict.fromkeys(items))
    return unique[0] if len(unique) == 1 else (kind, unique)


def formula_holds(formula: Formula, true_atoms: frozenset[int] | set[int]) -> bool:
    """The formula's value given the set of true atom ids."""
    kind = formula[0]
    if kind == "atom":
        return formula[1] in true_atoms
    if kind == "not":
        return not formula_holds(formula[1], true_atoms)
    if kind == "and":
        return all(formula_holds(item, true_atoms) for item in formula[1])
    return any(formula_holds(item, true_atoms) for item in formula[1])


def formula_function(formula: Formula) -> Callable[[set[int] | frozenset[int]], bool]:
    """The formula as a compiled Python function of the set of true atom ids.

    The source is built from integers and operators only, so compiling it runs no input.
    Interpreting the tuples costs a call per node; the compiled function is a few
    bytecodes per node, which is what a deeply nested rule needs. A formula too deep for
    Python's parser falls back to the interpreter.
    """
    try:
        code = compile(f"lambda t: {_source(formula)}", "<formula>", "eval")
        function: Callable[[set[int] | frozenset[int]], bool] = eval(code, {"__builtins__": {}})  # noqa: S307
    except (SyntaxError, RecursionError, MemoryError):
        return functools.partial(formula_holds, formula)
    return function


def _source(formula: Formula) -> str:
    kind = formula[0]
    if kind == "atom":
        return f"({int(formula[1])} in t)"
    if kind == "not":
        return f"(not {_source(formula[1])})"
    joiner = " and " if kind == "and" else " or "
    return "(" + joiner.join(_source(item) for item in formula[1]) + ")"


def formula_atoms(formula: Formula) -> Iterable[int]:
    if formula[0] == "atom":
        yield formula[1]
    elif formula[0] == "not":
        yield from formula_atoms(formula[1])
    else:
        for item in formula[1]:
            yield from formula_atoms(item)
