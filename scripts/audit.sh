#!/usr/bin/env bash
# Known vulnerabilities in the installed dependencies, which setup.sh installs from the hashed lock
# (pip-audit). Run after setup.sh. The project itself (installed editable) is not audited.
# Advisory sources, in turn: PyPI's advisory data, then OSV. A dependency a source has no answer for
# is listed as not audited, so a check that checked nothing never reads as a clean bill; when no
# source answers at all (no network), it says so in one plain line.
# Exit 1 on any vulnerability found; with AUDIT_REQUIRED=1 (a release build), also when nothing
# could be audited.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for service in pypi osv; do
  status=0
  # Its own summary ("No known vulnerabilities found") would read as a pass even when nothing was audited.
  .venv/bin/pip-audit --vulnerability-service "$service" --skip-editable --progress-spinner off \
    --format json --output "$work/$service.json" 2>"$work/$service.log" || status=$?
  echo "$status" >"$work/$service.status"
  # A source that answered for any dependency is the one reported; the next is tried only when none did.
  if .venv/bin/python -c 'import json, sys; r = json.load(open(sys.argv[1])); sys.exit(not any("skip_reason" not in d for d in r["dependencies"]))' \
    "$work/$service.json" 2>/dev/null; then
    break
  fi
done
.venv/bin/python - "$work" "${AUDIT_REQUIRED:-0}" <<'PY'
import json
import sys
from pathlib import Path

work, required = Path(sys.argv[1]), sys.argv[2] == "1"
reports = {}
for service in ("pypi", "osv"):
    try:
        reports[service] = json.loads((work / f"{service}.json").read_text())
    except (OSError, ValueError):
        continue
answered = {
    service: report
    for service, report in reports.items()
    if any("skip_reason" not in dependency for dependency in report["dependencies"])
}
if not answered:
    tried = ", ".join(f"{s} (exit {(work / f'{s}.status').read_text().strip()})" for s in ("pypi", "osv"))
    print(f"pip-audit: NOT AUDITED: no advisory source is reachable (tried {tried}); nothing was checked.")
    for service in ("pypi", "osv"):
        # Why: the first dependency's skip reason when the source answered "not found", else its last error line.
        reasons = [d["skip_reason"] for d in reports.get(service, {}).get("dependencies", []) if "skip_reason" in d]
        log = (work / f"{service}.log").read_text().strip().splitlines()
        reason = reasons[0] if reasons else log[-1] if log else "no answer"
        print(f"  {service}: {reason[:160]}")
    raise SystemExit(1 if required else 0)
service, report = next(iter(answered.items()))
audited = [d for d in report["dependencies"] if "skip_reason" not in d]
skipped = [d for d in report["dependencies"] if "skip_reason" in d and "editable" not in d["skip_reason"]]
vulnerable = [d for d in audited if d["vulns"]]
for dependency in vulnerable:
    for vuln in dependency["vulns"]:
        fixed = ", ".join(vuln["fix_versions"]) or "no fixed version"
        print(f"VULNERABLE {dependency['name']} {dependency['version']}: {vuln['id']} (fixed in {fixed})")
if skipped:
    names = ", ".join(sorted(d["name"] for d in skipped))
    print(f"warning: {len(skipped)} dependencies not audited, {service} had no answer for them: {names}")
print(f"pip-audit ({service}): {len(audited)} dependencies audited, {len(vulnerable)} vulnerable, {len(skipped)} not audited")
raise SystemExit(1 if vulnerable else 0)
PY
