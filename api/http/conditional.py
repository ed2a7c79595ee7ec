"""``ETag`` and ``If-Match`` on rules, lists and their versions, so two officers cannot overwrite each other.

Reading a rule (or list) gives its ``ETag``; a change to it (a new version, a rollback, a
retirement) sent with ``If-Match: <that tag>`` is refused with ``412 precondition_failed`` when
someone changed the rule in between. A version's tag changes with its status, so an approval
sent with the tag of the version the approver read is refused once it was changed. Without
``If-Match`` a change goes ahead as before (the lifecycle still refuses a step from the wrong
status, ``409 invalid_transition``).

A tag is a function of what the answer shows: a version's number, status and content hash; a
document's every version's. The views say how to find the current tag of a target
(:func:`conditional`); the answer's tag is read from the body it sends.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import Response, make_response, request

from api.common import PreconditionFailed
from api.lifecycle import Version

F = TypeVar("F", bound=Callable[..., Any])


def version_tag(number: int, status: str, content_hash: str) -> str:
    return f'"v{number}-{status}-{content_hash[:16]}"'


def document_tag(versions: Iterable[tuple[int, str, str]]) -> str:
    text = "|".join(f"{number}:{status}:{content_hash}" for number, status, content_hash in versions)
    return f'"d-{hashlib.sha256(text.encode()).hexdigest()[:24]}"'


def tag_of_version(version: Version) -> str:
    return version_tag(version.number, version.status, version.content_hash)


def tag_of_document(versions: Iterable[Version]) -> str:
    return document_tag((version.number, version.status, version.content_hash) for version in versions)


def tag_of_body(body: Any) -> str | None:
    """The tag of what an answer shows: a document (with ``versions``), a version, or an activation."""
    if not isinstance(body, dict):
        return None
    if isinstance(body.get("versions"), list):
        return document_tag((v["number"], v["status"], v["content_hash"]) for v in body["versions"])
    if {"number", "status", "content_hash"} <= body.keys():
        return version_tag(body["number"], body["status"], body["content_hash"])
    return tag_of_body(body.get("version"))


def conditional(current: Callable[..., str]) -> Callable[[F], F]:
    """Refuse the request unless its ``If-Match`` (if any) names ``current(**path arguments)``; tag the answer.

    Goes under ``@requires``, so the caller is authorised before the target is read.
    """

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            wanted = request.headers.get("If-Match")
            if wanted is not None and request.method not in ("GET", "HEAD"):
                tags = {tag.strip() for tag in wanted.split(",")}
                now = current(**kwargs)
                if "*" not in tags and now not in tags:
                    message = "it changed since you read it: read it again (its ETag is now " + now + ")"
                    raise PreconditionFailed(message, errors={"If-Match": [f"the current ETag is {now}"]})
            response = make_response(view(*args, **kwargs))
            if isinstance(response, Response) and response.is_json and response.status_code < 300:
                tag = tag_of_body(response.get_json(silent=True))
                if tag is not None:
                    response.headers["ETag"] = tag
            return response

        checked.conditional = True  # type: ignore[attr-defined]
        return checked  # type: ignore[return-value]

    return decorate
