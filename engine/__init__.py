"""The targeting engine: a typed rule language compiled onto durable-rules.

Pure Python plus durable-rules: no web framework, cache or database. Typical use::

    packs, problems = read_packs(["rules/"])
    ruleset = compile_packs(packs)          # raises RuleCompilationError with every problem
    evaluator = Evaluator(ruleset)
    result = evaluator.evaluate(record)     # raises RecordError for a bad record
"""

from engine.compiler import PackSource, compile_packs, validate
from engine.errors import EngineError, EngineFailure, Problem, RecordError, RuleCompilationError
from engine.evaluation import Evaluation, Evaluator, Match, combined_score
from engine.explanation import Reason
from engine.packs import read_packs
from engine.records import PassengerRecord, check_record
from engine.ruleset import CompiledRuleset

__all__ = [
    "CompiledRuleset",
    "EngineError",
    "EngineFailure",
    "Evaluation",
    "Evaluator",
    "Match",
    "PackSource",
    "PassengerRecord",
    "Problem",
    "Reason",
    "RecordError",
    "RuleCompilationError",
    "check_record",
    "combined_score",
    "compile_packs",
    "read_packs",
    "validate",
]
