"""``targeting pnrgov FILE``: a UN/EDIFACT PNRGOV message as passenger records, one JSON line per traveller.

E-mail addresses, telephone and card numbers are kept only as keyed hashes; the key is the
service's identity key (``IDENTITY_HASH_KEY``, else the one kept in ``INSTANCE_PATH/identity.key``),
so the hashes the command prints are those the service computes, or the contents of
``--hash-key-file``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from targeting.cli import (
    CommandError,
    add_evaluate_options,
    evaluate_without_rules,
    print_manifest,
    print_segment_problems,
    unreadable_message,
)


def add_command(commands: Any) -> None:
    pnrgov = commands.add_parser(
        "pnrgov", help="read a UN/EDIFACT PNRGOV message: one passenger record per traveller, as JSON lines"
    )
    pnrgov.add_argument("file", metavar="FILE", help="the message; '-' for stdin")
    pnrgov.add_argument(
        "--hash-key-file",
        metavar="FILE",
        help="the key of the hashes kept of e-mail addresses, telephone and card numbers "
        "(default: the service's IDENTITY_HASH_KEY, else INSTANCE_PATH/identity.key)",
    )
    add_evaluate_options(pnrgov, "evaluate the records instead of printing them")
    pnrgov.set_defaults(handler=_pnrgov)


def hash_key(path: str | None) -> bytes:
    """The key of ``--hash-key-file``, else the service's identity key."""
    if path is not None:
        with open(path, "rb") as source:
            key = source.read().strip()
        if not key:
            raise CommandError(f"{path}: the hash key file is empty", code="invalid_setting")
        return key
    from api.config import SettingError, Settings

    try:
        return Settings.from_env().resolved_identity_key()
    except SettingError as exc:
        raise CommandError(str(exc), status=2, code="invalid_setting") from None


def _pnrgov(args: argparse.Namespace) -> int:
    from messages.pnrgov import PnrgovError, read_pnrgov

    if evaluate_without_rules(args):
        return 2
    if args.file == "-":
        text = sys.stdin.buffer.read()
    else:
        with open(args.file, "rb") as source:
            text = source.read()
    try:
        result = read_pnrgov(text, hash_key=hash_key(args.hash_key_file))
    except PnrgovError as exc:
        status = unreadable_message(args, "PNRGOV", "invalid_pnrgov", exc.problems)
        print(f"targeting: the PNRGOV message cannot be read: {exc.reason.message}", file=sys.stderr)
        return status
    print_segment_problems(result.problems)
    return print_manifest(args, result.manifest)
