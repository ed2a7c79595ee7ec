"""Reading airline messages: ``python -m benchmarks.messages [--seconds 1.0] [--json PATH]``.

Reads every PNRGOV sample (the 24 GTAS messages in ``tests/messages/data/pnrgov``, copies of
``../shared/data/pnrgov``; the largest, ``parsers_pnrWithBags.txt``, pushes 127 PNRs and 268
travellers at once) with ``read_pnrgov`` as the service reads them (contacts and cards hashed under a
key), and the PAXLST samples (``tests/data/paxlst``) and a synthetic 300-passenger PAXLST with
``read_paxlst`` beside them. Each case is read again and again for ``seconds`` of CPU after one
warm-up read; rates are per CPU second of this one process, which stay steady on a shared machine,
and every row's travellers/s is also given as a ratio to the 300-passenger PAXLST's, measured in the
same run. The samples in turn (each once per round) give the mix's rate.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from messages.paxlst import read_paxlst
from messages.pnrgov import read_pnrgov
from testing.synthetic import synthetic_paxlst

ROOT = Path(__file__).resolve().parents[1]
PNRGOV_SAMPLES = ROOT / "tests" / "messages" / "data" / "pnrgov"
PAXLST_SAMPLES = ROOT / "tests" / "data" / "paxlst"
TODAY = dt.date(2026, 12, 1)
HASH_KEY = b"benchmark-contact-key"
#: The PNRGOV samples shown one by one (the rest only in the mix): those of five travellers or more.
SHOWN_TRAVELLERS = 5


def _pnrgov(body: bytes) -> int:
    return len(read_pnrgov(body, hash_key=HASH_KEY, today=TODAY).manifest)


def _paxlst(body: bytes) -> int:
    return len(read_paxlst(body, today=TODAY).manifest)


def samples(folder: Path) -> list[tuple[str, bytes]]:
    return [(path.name, path.read_bytes()) for path in sorted(folder.iterdir()) if path.name != "README.md"]


def rate(read: Callable[[bytes], int], bodies: Sequence[bytes], seconds: float) -> dict[str, Any]:
    """Read ``bodies`` in turn, round after round, for at least ``seconds`` of CPU (and one round)."""
    travellers = sum(read(body) for body in bodies)  # the warm-up round, and what one round holds
    rounds = 0
    began = time.process_time()
    while rounds < 1 or time.process_time() - began < seconds:
        for body in bodies:
            read(body)
        rounds += 1
    cpu = time.process_time() - began
    return {
        "messages": len(bodies),
        "bytes": sum(len(body) for body in bodies),
        "travellers": travellers,
        "messages_per_cpu_s": round(rounds * len(bodies) / cpu, 1),
        "travellers_per_cpu_s": round(rounds * travellers / cpu),
        "ms_per_message": round(1000 * cpu / (rounds * len(bodies)), 2),
    }


def measure(seconds: float) -> dict[str, Any]:
    """Every case's rates, and each one's travellers/s against the 300-passenger PAXLST's."""
    pnrgov, paxlst = samples(PNRGOV_SAMPLES), samples(PAXLST_SAMPLES)
    rows: list[dict[str, Any]] = []
    reference = {"reader": "PAXLST", "case": "synthetic, 300 passengers"}
    rows.append({**reference, **rate(_paxlst, [synthetic_paxlst(300).encode()], seconds)})
    rows.append(
        {
            "reader": "PAXLST",
            "case": f"all {len(paxlst)} samples in turn",
            **rate(_paxlst, [b for _, b in paxlst], seconds),
        }
    )
    for name, body in sorted(pnrgov, key=lambda sample: -len(sample[1])):
        if _pnrgov(body) >= SHOWN_TRAVELLERS:
            rows.append({"reader": "PNRGOV", "case": name, **rate(_pnrgov, [body], seconds)})
    rows.append(
        {
            "reader": "PNRGOV",
            "case": f"all {len(pnrgov)} samples in turn",
            **rate(_pnrgov, [b for _, b in pnrgov], seconds),
        }
    )
    baseline = rows[0]["travellers_per_cpu_s"]
    for row in rows:
        row["vs_paxlst_300"] = round(row["travellers_per_cpu_s"] / baseline, 2)
    largest = max((row for row in rows if row["reader"] == "PNRGOV" and row["messages"] == 1), key=lambda r: r["bytes"])
    return {"seconds_per_case": seconds, "rows": rows, "largest_pnrgov": largest}


def table(results: dict[str, Any]) -> str:
    lines = [
        "| reader | message | KB | travellers | messages/s | travellers/s | ms each | travellers/s vs PAXLST 300 |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in results["rows"]:
        lines.append(
            f"| {row['reader']} | {row['case']} | {row['bytes'] / 1024:.1f} | {row['travellers']} | "
            f"{row['messages_per_cpu_s']:,} | {row['travellers_per_cpu_s']:,} | {row['ms_per_message']} | "
            f"{row['vs_paxlst_300']}x |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.messages")
    parser.add_argument("--seconds", type=float, default=1.0, help="CPU seconds each case is read for")
    parser.add_argument("--json", default="benchmarks/results-messages.json")
    args = parser.parse_args()
    results = measure(args.seconds)
    print("reading airline messages, one core, per CPU second (a traveller: one record of the catalogue)")
    print(table(results))
    Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
