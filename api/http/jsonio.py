"""JSON out of the service, through orjson: the same output as Flask's provider, several times faster.

A 300-passenger answer is a few hundred kilobytes; the standard library encoder was a
visible part of its time. Keys are sorted like Flask's default; dates, datetimes,
dataclasses and decimals go through Flask's own ``default`` so their form does not
change; a value orjson refuses (an integer beyond 64 bits) falls back to the standard
encoder.
"""

from __future__ import annotations

from typing import Any

import orjson
from flask.json.provider import DefaultJSONProvider

_OPTIONS = (
    orjson.OPT_SORT_KEYS
    | orjson.OPT_NON_STR_KEYS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


class OrjsonProvider(DefaultJSONProvider):
    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if kwargs:  # an explicit option (indent, separators) asks for the standard encoder
            return super().dumps(obj, **kwargs)
        try:
            return orjson.dumps(obj, default=self.default, option=_OPTIONS).decode()
        except TypeError:
            return super().dumps(obj)
