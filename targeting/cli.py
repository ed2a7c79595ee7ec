"""``targeting``: validate rule packs, evaluate passenger records, describe the catalogue."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
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
from targeting.errors import CommandError
from targeting.fmt import format_paths
from targeting.jsonlines import JSON_LINES, json_lines
from targeting.rule_tests import run_tests
from targeting.wording import counted

if TYPE_CHECKING:
    from messages.problems import Problem as MessageProblem


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
        return _fail(exc, args.json)
    except OSError as exc:  # a file that is not there, not readable, a directory, ...
        message = f"{exc.filename}: {exc.strerror}" if exc.filename else str(exc)
        return _fail(CommandError(message, code="unreadable_file"), args.json)
    except UnicodeDecodeError as exc:
        return _fail(CommandError(f"the input is not UTF-8 text (byte {exc.start})", code="unreadable_file"), args.json)


def _fail(error: CommandError, as_json: bool) -> int:
    if as_json:
        body = {"code": error.code, "message": str(error), "errors": error.errors}
        sys.stderr.write(orjson.dumps(body).decode() + "\n")
    else:
        print(f"targeting: {error}", file=sys.stderr)
    return error.status


def refused(
    args: argparse.Namespace, error: CommandError, lines: Iterable[str] = (), stream: IO[str] | None = None
) -> int:
    """A command that cannot go on: with ``--json`` the error (raised, written by ``main``); else ``lines``
    as they have always been printed, and the error's exit status."""
    if getattr(args, "json", False):
        raise error
    for line in lines:
        print(line, file=stream or sys.stderr)
    return error.status


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="targeting", description="Border targeting service.")
    parser.add_argument("--version", action="version", version=f"targeting {metadata.version('border-targeting')}")
    parser.add_argument(
        "--json",
        action="store_true",
        help='errors as one JSON object on stderr, {"code", "message", "errors"}, with the codes of the API',
    )
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


def _at(args: argparse.Namespace) -> dt.datetime | None:
    """The instant of ``--at``; CommandError (exit 2) when it is not one."""
    try:
        return check_instant(parse_datetime(args.at)) if args.at else None
    except ValueProblem as exc:
        raise CommandError(f"--at: {exc}", status=2, errors={"--at": [str(exc)]}) from None


def _rule_problems(args: argparse.Namespace, problems: Sequence[Problem], stream: IO[str]) -> int:
    """Rule packs that do not compile: each problem on a line (``invalid_rule`` with ``--json``); exit 1."""
    errors: dict[str, list[str]] = {}
    for problem in problems:
        where = ": ".join(part or "-" for part in (problem.source, problem.rule_id, problem.path))
        errors.setdefault(where, []).append(problem.message)
    error = CommandError(f"{len(problems)} problem(s) in the rule packs", code="invalid_rule", errors=errors)
    return refused(args, error, map(str, problems), stream)


def _validate(args: argparse.Namespace) -> int:
    today = (_at(args) or dt.datetime.now(dt.UTC)).date()
    packs, problems = read_packs(args.paths)
    if problems:
        return _rule_problems(args, problems, sys.stdout)
    try:
        compiled = compile_packs(packs)
    except RuleCompilationError as exc:
        _rule_problems(args, exc.problems, sys.stdout)
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
    at = _at(args)
    packs, problems = read_packs(args.rules)
    if problems:
        return None, None, _rule_problems(args, problems, sys.stderr)
    try:
        return Evaluator(compile_packs(packs)), at, 0
    except RuleCompilationError as exc:
        return None, None, _rule_problems(args, exc.problems, sys.stderr)


def _watchlist(args: argparse.Namespace, at: dt.datetime | None) -> Watchlist | None:
    """The watchlist of ``--watchlist``; a CSV with a bad row is refused, naming every problem."""
    path = args.watchlist
    if path is None:
        return None
    with open(path, encoding="utf-8") as source:
        entries, problems = parse_csv(source.read(), today=(at or dt.datetime.now(dt.UTC)).date())
    if problems:
        errors = {f"{path}: line {p.line}" + (f": {p.field}" if p.field else ""): [p.message] for p in problems}
        message = f"{path}: {counted(len(problems), 'problem')} in the watchlist; nothing evaluated"
        refused(args, CommandError(message, code="invalid_csv", errors=errors), (f"{path}: {p}" for p in problems))
        raise CommandError(message, code="invalid_csv", errors=errors)
    return Watchlist(entries)


def _evaluate(args: argparse.Namespace) -> int:
    evaluator, at, code = _evaluator_and_time(args)
    if evaluator is None:
        return code
    watchlist = _watchlist(args, at)
    if os.path.isdir(args.records):
        raise CommandError(f"{args.records} is a directory; {JSON_LINES}, in a file or on stdin (-)")
    stream = sys.stdin if args.records == "-" else open(args.records, encoding="utf-8")  # noqa: SIM115
    failures = 0
    with stream:
        for number, line in json_lines(stream, "stdin" if args.records == "-" else args.records):
            output = _evaluate_line(evaluator, line, number, at, watchlist)
            failures += "error" in output
            _print_json(output)
    return 1 if failures else 0


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
        return unreadable_message(args, "PAXLST", "invalid_paxlst", exc.problems)
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


def unreadable_message(args: argparse.Namespace, kind: str, code: str, problems: Sequence[MessageProblem]) -> int:
    """A message nothing could be read from: its problems on stderr (with ``--json``: ``code``, by segment)."""
    errors: dict[str, list[str]] = {}
    for problem in problems:
        errors.setdefault(f"segment {problem.segment_number}", []).append(f"{problem.code}: {problem.message}")
    reason = problems[-1].message if problems else "nothing could be read"
    if getattr(args, "json", False):
        raise CommandError(f"the {kind} message cannot be read: {reason}", code=code, errors=errors)
    print_segment_problems(problems)
    return 1


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
    watchlist = _watchlist(args, at)
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
