"""``targeting``: validate rule packs, evaluate passenger records, describe the catalogue."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from importlib import metadata
from typing import IO, TYPE_CHECKING, Any

import orjson

from engine import Evaluator, RecordError, RuleCompilationError, check_record, compile_packs, read_packs
from engine.errors import Problem, group_by_path
from engine.fields_doc import markdown
from engine.lint import lint
from engine.lists import is_list_document
from engine.records import REQUIRED_FIELDS, check_instant
from engine.values import ValueProblem, parse_datetime
from screening import Watchlist, parse_csv
from targeting.fmt import format_paths
from targeting.rule_tests import run_tests
from targeting.wording import counted

if TYPE_CHECKING:
    from messages.problems import Problem as MessageProblem


class CommandError(Exception):
    """An ordinary mistake (a bad setting, an unreachable database): one line for the user, and an exit status."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args))
    except BrokenPipeError:
        # The reader has gone (`targeting ... | head`): that is not a failure. Whatever is still
        # buffered goes nowhere, so closing stdout at exit does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except CommandError as exc:
        return _fail(str(exc), exc.status)
    except OSError as exc:  # a file that is not there, not readable, a directory, ...
        return _fail(f"{exc.filename}: {exc.strerror}" if exc.filename else str(exc), 1)
    except UnicodeDecodeError as exc:
        return _fail(f"the input is not UTF-8 text (byte {exc.start})", 1)


def _fail(message: str, status: int) -> int:
    print(f"targeting: {message}", file=sys.stderr)
    return status


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="targeting", description="Border targeting service.")
    parser.add_argument("--version", action="version", version=f"targeting {metadata.version('border-targeting')}")
    commands = parser.add_subparsers(title="commands")

    rules = commands.add_parser("rules", help="rule packs").add_subparsers(title="rule commands")
    validate = rules.add_parser("validate", help="check rule packs and report every problem")
    validate.add_argument("paths", nargs="+", metavar="PATH", help="pack files or directories")
    validate.add_argument(
        "--strict", action="store_true", help="fail on warnings too (no valid_until, expired, can never match, ...)"
    )
    validate.add_argument("--at", metavar="DATETIME", help="'today' for the expiry warning (default: now)")
    validate.set_defaults(handler=_validate)
    test = rules.add_parser(
        "test", help="run rule tests (*_test.yaml): example passengers and the rules they must match"
    )
    test.add_argument("paths", nargs="+", help="test files, or directories searched for *_test.yaml")
    test.add_argument("--coverage", action="store_true", help="also list the rules no case matched")
    test.set_defaults(handler=_test)
    fmt = rules.add_parser("fmt", help="write packs and lists in the canonical layout")
    fmt.add_argument("paths", nargs="+", metavar="PATH", help="pack files or directories")
    fmt.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file is not in the layout")
    fmt.set_defaults(handler=_fmt)

    evaluate = commands.add_parser("evaluate", help="evaluate passenger records (JSON lines)")
    evaluate.add_argument("--rules", required=True, action="append", metavar="PATH", help="pack file or directory")
    evaluate.add_argument("--at", metavar="DATETIME", help="'now' for rule validity dates (ISO 8601; default: now)")
    evaluate.add_argument(
        "--watchlist", metavar="FILE.csv", help="screen against this watchlist CSV, as the service screens"
    )
    evaluate.add_argument("records", metavar="RECORDS.jsonl", help="one JSON record per line; '-' for stdin")
    evaluate.set_defaults(handler=_evaluate)

    paxlst = commands.add_parser("paxlst", help="read a UN/EDIFACT PAXLST message: its manifest as JSON lines")
    paxlst.add_argument("file", metavar="FILE", help="the message; '-' for stdin")
    add_evaluate_options(paxlst, "evaluate the manifest instead of printing it")
    paxlst.set_defaults(handler=_paxlst)

    fields = commands.add_parser("fields", help="list the field catalogue")
    fields.add_argument("--markdown", action="store_true", help="print docs/fields.md")
    fields.set_defaults(handler=_fields)

    from targeting import ingest, pnrgov, service

    pnrgov.add_command(commands)
    ingest.add_command(commands)
    service.add_commands(commands, rules)
    return parser


def _print_problems(problems: Sequence[Problem], stream: IO[str]) -> None:
    for problem in problems:
        print(problem, file=stream)


def _validate(args: argparse.Namespace) -> int:
    try:
        today = (check_instant(parse_datetime(args.at)) if args.at else dt.datetime.now(dt.UTC)).date()
    except ValueProblem as exc:
        print(f"--at: {exc}", file=sys.stderr)
        return 2
    packs, problems = read_packs(args.paths)
    if problems:
        _print_problems(problems, sys.stdout)
        return 1
    try:
        compiled = compile_packs(packs)
    except RuleCompilationError as exc:
        _print_problems(exc.problems, sys.stdout)
        print(f"{counted(len(exc.problems), 'problem')} found", file=sys.stderr)
        return 1
    by_source = Counter(rule.rule.source for rule in compiled.rules)
    for pack in packs:
        if is_list_document(pack.data):
            print(f"{pack.source}: ok, list of {len(pack.data['values'])} values ({pack.data['agency']})")
        else:
            print(f"{pack.source}: ok, {by_source[pack.source]} rules ({pack.data['agency']})")
    warnings = lint(compiled, today)
    for warning in warnings:
        print(f"warning: {warning} ({warning.code})")
    if warnings:
        print(f"{counted(len(warnings), 'warning')}{'; failing (--strict)' if args.strict else ''}", file=sys.stderr)
    return 1 if warnings and args.strict else 0


def _fmt(args: argparse.Namespace) -> int:
    changed, problems = format_paths(args.paths, check=args.check)
    for path in changed:
        print(f"{'would reformat' if args.check else 'reformatted'} {path}")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems or (args.check and changed) else 0


def _test(args: argparse.Namespace) -> int:
    run = run_tests(args.paths)
    for result in run.failed:
        print(result.describe())
    print(f"{counted(len(run.results), 'case')}, {len(run.failed)} failed", file=sys.stderr)
    if args.coverage:
        uncovered = run.uncovered()
        for rule_id in uncovered:
            print(f"{run.rules[rule_id]}: {rule_id}: matched by no case")
        covered = len(run.rules) - len(uncovered)
        print(f"coverage: {covered} of {counted(len(run.rules), 'rule')} matched by a case", file=sys.stderr)
    return 1 if run.failed else 0


def _evaluator_and_time(args: argparse.Namespace) -> tuple[Evaluator | None, dt.datetime | None, int]:
    """The evaluator for ``--rules`` and the time of ``--at``, or None and the exit code."""
    try:
        at = check_instant(parse_datetime(args.at)) if args.at else None
    except ValueProblem as exc:
        print(f"--at: {exc}", file=sys.stderr)
        return None, None, 2
    packs, problems = read_packs(args.rules)
    if problems:
        _print_problems(problems, sys.stderr)
        return None, None, 1
    try:
        return Evaluator(compile_packs(packs)), at, 0
    except RuleCompilationError as exc:
        _print_problems(exc.problems, sys.stderr)
        return None, None, 1


def _watchlist(path: str | None, at: dt.datetime | None) -> Watchlist | None:
    """The watchlist of ``--watchlist``; a CSV with a bad row is refused, naming every problem."""
    if path is None:
        return None
    with open(path, encoding="utf-8") as source:
        entries, problems = parse_csv(source.read(), today=(at or dt.datetime.now(dt.UTC)).date())
    if problems:
        for problem in problems:
            print(f"{path}: {problem}", file=sys.stderr)
        raise CommandError(f"{path}: {counted(len(problems), 'problem')} in the watchlist; nothing evaluated")
    return Watchlist(entries)


def _evaluate(args: argparse.Namespace) -> int:
    evaluator, at, code = _evaluator_and_time(args)
    if evaluator is None:
        return code
    watchlist = _watchlist(args.watchlist, at)
    if os.path.isdir(args.records):
        raise CommandError(f"{args.records} is a directory; {JSON_LINES}, in a file or on stdin (-)")
    stream = sys.stdin if args.records == "-" else open(args.records, encoding="utf-8")  # noqa: SIM115
    failures = 0
    with stream:
        for number, line in _json_lines(stream, "stdin" if args.records == "-" else args.records):
            output = _evaluate_line(evaluator, line, number, at, watchlist)
            failures += "error" in output
            _print_json(output)
    return 1 if failures else 0


JSON_LINES = "expected JSON Lines: one record per line"


def _json_lines(stream: Iterable[str], name: str) -> Iterator[tuple[int, str]]:
    """The numbered non-blank lines of a JSON Lines input.

    A JSON array or a pretty-printed record shows on its first line: it is refused there, with
    the way to turn it into JSON Lines, rather than answered with an error for each of its lines.
    """
    records = 0
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        if not records:
            _check_first_line(line.strip(), number, name)
        records += 1
        yield number, line
    if not records:
        print(f"targeting: {name}: no records ({JSON_LINES})", file=sys.stderr)


def _check_first_line(text: str, number: int, name: str) -> None:
    array = f"{name}: line {number} opens a JSON array; {JSON_LINES} (jq -c '.[]' FILE makes them)"
    try:
        whole = orjson.loads(text)
    except orjson.JSONDecodeError:
        if text[0] == "[":
            raise CommandError(array) from None
        if text[0] == "{":
            raise CommandError(
                f"{name}: line {number} is not a whole JSON record (pretty-printed?); "
                f"{JSON_LINES} (jq -c . FILE makes them)"
            ) from None
        return  # an ordinary bad line, answered as such
    if isinstance(whole, list):
        raise CommandError(array)


def _evaluate_line(
    evaluator: Evaluator, line: str, number: int, at: dt.datetime | None, watchlist: Watchlist | None = None
) -> dict[str, object]:
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return {"line": number, "error": {"code": "invalid_json", "message": f"{exc.msg} ({JSON_LINES})", "errors": {}}}
    try:
        checked = check_record(record, REQUIRED_FIELDS)
        return evaluator.evaluate(checked, at, watchlist).as_dict()
    except RecordError as exc:
        errors = group_by_path(exc.problems)
        passenger = record.get("passenger_id") if isinstance(record, dict) else None
        return {
            "line": number,
            "passenger_id": passenger if isinstance(passenger, str) else None,
            "error": {"code": exc.code, "message": "record does not fit the field catalogue", "errors": errors},
        }


def _print_json(output: object) -> None:
    """One JSON line; orjson writes UTF-8 as it is, like ``ensure_ascii=False``, several times faster."""
    sys.stdout.write(orjson.dumps(output).decode() + "\n")


def _paxlst(args: argparse.Namespace) -> int:
    from messages.paxlst import PaxlstError, read_paxlst

    if evaluate_without_rules(args):
        return 2
    text = sys.stdin.read() if args.file == "-" else open(args.file, encoding="utf-8", errors="replace").read()  # noqa: SIM115
    try:
        result = read_paxlst(text)
    except PaxlstError as exc:
        print_segment_problems(exc.problems)
        return 1
    print_segment_problems(result.problems)
    return print_manifest(args, result.manifest)


# --------------------------------------------------------------------------- what the message commands share


def add_evaluate_options(command: argparse.ArgumentParser, evaluate_help: str) -> None:
    """``--evaluate`` and what it takes, for a command that reads a message into passenger records."""
    command.add_argument("--evaluate", action="store_true", help=evaluate_help)
    command.add_argument("--rules", action="append", metavar="PATH", help="pack file or directory (with --evaluate)")
    command.add_argument("--at", metavar="DATETIME", help="'now' for rule validity dates (with --evaluate)")
    command.add_argument("--watchlist", metavar="FILE.csv", help="screen against this watchlist CSV (with --evaluate)")


def evaluate_without_rules(args: argparse.Namespace) -> bool:
    """Whether ``--evaluate`` was given without ``--rules`` (said on stderr): a usage error."""
    if args.evaluate and not args.rules:
        print("--evaluate needs --rules PATH", file=sys.stderr)
        return True
    return False


def print_segment_problems(problems: Iterable[MessageProblem]) -> None:
    """A message's problems on stderr, one a line, without the segment text (it may be personal)."""
    for problem in problems:
        print(
            f"segment {problem.segment_number}: {problem.severity}: {problem.code}: {problem.message}", file=sys.stderr
        )


def print_manifest(args: argparse.Namespace, manifest: list[dict[str, Any]]) -> int:
    """The records as JSON lines or, with ``--evaluate``, their evaluations; the exit status."""
    if not args.evaluate:
        for record in manifest:
            print(json.dumps(record, ensure_ascii=False))
        return 0
    evaluator, at, code = _evaluator_and_time(args)
    if evaluator is None:
        return code
    watchlist = _watchlist(args.watchlist, at)
    failures = 0
    for number, record in enumerate(manifest, start=1):
        output = _evaluate_line(evaluator, json.dumps(record), number, at, watchlist)
        failures += "error" in output
        print(json.dumps(output, ensure_ascii=False))
    return 1 if failures else 0


def _fields(args: argparse.Namespace) -> int:
    if args.markdown:
        sys.stdout.write(markdown())
        return 0
    from engine.catalogue import CATALOGUE

    for field in CATALOGUE.values():
        print(f"{field.name}\t{field.type.value}\t{' '.join(sorted(field.operators))}")
    return 0
