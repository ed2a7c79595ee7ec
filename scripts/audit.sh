#!/usr/bin/env bash
# Known vulnerabilities in the installed dependencies (pip-audit, PyPI's advisory data). Run after setup.sh.
# Fails on any vulnerability found. The project itself (installed editable) is not audited. A dependency
# the advisory service has no answer for is listed as not audited, so a check that checked nothing
# never reads as a clean bill.
set -euo pipefail
cd "$(dirname "$0")/.."
report=$(mktemp)
messages=$(mktemp)
trap 'rm -f "$report" "$messages"' EXIT
status=0
# Its own summary ("No known vulnerabilities found") would read as a pass even when nothing was audited.
.venv/bin/pip-audit --skip-editable --progress-spinner off --format json --output "$report" 2>"$messages" || status=$?
.venv/bin/python - "$report" "$status" "$messages" <<'EOF'
import json
import sys

path, status, messages = sys.argv[1], int(sys.argv[2]), sys.argv[3]
try:
    with open(path) as handle:
        report = json.load(handle)
except (OSError, ValueError):
    with open(messages) as handle:
        print(handle.read())
    print(f"pip-audit failed (exit {status}) without a report")
    raise SystemExit(1)
audited = [d for d in report["dependencies"] if "skip_reason" not in d]
skipped = [d for d in report["dependencies"] if "skip_reason" in d and "editable" not in d["skip_reason"]]
vulnerable = [d for d in audited if d["vulns"]]
for dependency in vulnerable:
    for vuln in dependency["vulns"]:
        fixed = ", ".join(vuln["fix_versions"]) or "no fixed version"
        print(f"VULNERABLE {dependency['name']} {dependency['version']}: {vuln['id']} (fixed in {fixed})")
if skipped:
    names = ", ".join(sorted(d["name"] for d in skipped))
    print(f"warning: {len(skipped)} dependencies not audited, the advisory service had no answer for them: {names}")
print(f"pip-audit: {len(audited)} dependencies audited, {len(vulnerable)} vulnerable, {len(skipped)} not audited")
raise SystemExit(1 if vulnerable or (status and not skipped) else 0)
EOF
