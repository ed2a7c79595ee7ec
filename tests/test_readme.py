"""The README's walk-through works verbatim against a freshly seeded service on embedded defaults."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _walkthrough() -> str:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- walkthrough:start -->\s*```sh\n(.*?)```\s*<!-- walkthrough:end -->", text, re.S)
    assert block, "README has no walk-through block"
    return block.group(1)


def test_readme_starts_with_the_two_commands():
    lines = [line for line in (ROOT / "README.md").read_text().splitlines() if line.strip()]
    assert lines[1] == "```sh"
    assert lines[2].startswith("bash scripts/run.sh") and lines[3].startswith("bash scripts/test.sh")
    assert "bash scripts/test.sh" in (ROOT / ".ci" / "run").read_text()


def test_walkthrough_verbatim(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env.update(INSTANCE_PATH=str(tmp_path), PORT=str(port), LOG_LEVEL="WARNING")
    cli = [sys.executable, "-m", "targeting"]
    seeded = subprocess.run([*cli, "seed"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert seeded.returncode == 0, seeded.stderr
    assert "tgt_kcusofficer_demo-aroha" in seeded.stdout
    server = subprocess.Popen(
        [*cli, "serve", "--workers", "1"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except OSError:
                assert time.monotonic() < deadline, "service did not start"
                time.sleep(0.2)
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", _walkthrough()],
            cwd=ROOT,
            env={**env, "BASE": f"http://127.0.0.1:{port}"},
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert '"code":"self_approval"' in out
    assert '"status":"active"' in out
    assert '"rule_id":"CUS-0100"' in out and '"decision_id"' in out
    assert '"approved_by":"ben.walker@customs"' in out and '"author":"aroha.ngata@customs"' in out
    assert '"ok":true' in out
    assert '"rule_id":"CUS-0101"' in out and '"list":"courier_source_countries"' in out and '"leg":0' in out
    assert '"entry_id":"CUS-WL-0001"' in out  # the watchlist match explained
    assert '"rule_id":"CUS-0015"' in out and '"status":"new"' in out  # and it became a hit
