"""Structured JSON logs. Passenger names, document numbers and dates of birth are never logged:
no code logs a record, and this filter drops any log field named after personal data."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from engine.catalogue import CATALOGUE

PERSONAL_FIELDS = frozenset(
    {name.split(".")[-1] for name, field in CATALOGUE.items() if field.personal}
    | {name for name, field in CATALOGUE.items() if field.personal}
    | {"record", "passenger", "passengers"}
)


class _DropPersonalData(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for name in PERSONAL_FIELDS & set(record.__dict__):
            setattr(record, name, "[withheld]")
        return True


def configure(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s", timestamp=False))
    handler.addFilter(_DropPersonalData())
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "_targeting", False):
            root.removeHandler(existing)
    handler._targeting = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
