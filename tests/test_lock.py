"""The hashed locks (requirements/*.lock, scripts/lock.sh) stay in step with pyproject.toml: every
declared dependency is pinned there, at a version its specifier allows, with hashes."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s;\\]+)")


def _pins(lock: str) -> dict[str, list[tuple[str, str]]]:
    """Name -> (version, the text of its entry) for each pin (a name may be pinned per marker)."""
    text = (ROOT / "requirements" / lock).read_text()
    found: dict[str, list[tuple[str, str]]] = {}
    for entry in re.split(r"\n(?=[A-Za-z0-9_.-]+==)", text):
        match = PIN.match(entry)
        if match:
            found.setdefault(canonicalize_name(match.group(1)), []).append((match.group(2), entry))
    return found


@pytest.mark.parametrize(
    ("lock", "declared"),
    [
        ("runtime.lock", PROJECT["dependencies"]),
        ("test.lock", PROJECT["dependencies"] + PROJECT["optional-dependencies"]["test"]),
    ],
)
def test_every_declared_dependency_is_pinned_within_its_specifier_with_hashes(lock, declared):
    pins = _pins(lock)
    for text in declared:
        requirement = Requirement(text)
        found = pins.get(canonicalize_name(requirement.name))
        assert found, f"{requirement.name} is declared in pyproject.toml but not locked in {lock}: run scripts/lock.sh"
        for version, _ in found:
            assert requirement.specifier.contains(version, prereleases=True), (lock, requirement, version)
    for name, entries in pins.items():
        for _, entry in entries:
            assert "--hash=sha256:" in entry, f"{name} has no hash in {lock}"


def test_the_runtime_lock_is_the_test_lock_without_the_test_tools():
    runtime, test = _pins("runtime.lock"), _pins("test.lock")
    for name, entries in runtime.items():
        assert [version for version, _ in entries] == [version for version, _ in test.get(name, [])], name
