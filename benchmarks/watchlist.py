"""Watchlist screening benchmark: ``python -m benchmarks.watchlist [--passengers N] [--sizes 10000,100000]``.

Builds seeded synthetic lists of 10,000 and 100,000 entries, screens synthetic passengers
against each on one core and prints passengers per second, latency, how many entries
blocking hands to scoring, and how many planted look-alikes of listed people were found.

The generator is also used by the tests (``tests/screening/test_watchlist.py``). Names mix
a pool of real, very common names (drawn with a long tail, so Nguyen, Smith and Mohammed
recur as they do at a border) with generated ones; passengers are drawn the same way,
so most share common names with listed people without being them.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from benchmarks.measure import rss_mb
from screening import Watchlist
from testing.watchlist import AT, synthetic_entries, synthetic_people


def run(size: int, passengers: int) -> dict[str, Any]:
    """Build a list of ``size`` entries and screen ``passengers`` passengers against it."""
    entries = synthetic_entries(size)
    rss_before = rss_mb()
    started = time.perf_counter()
    watchlist = Watchlist(entries)
    built = time.perf_counter() - started
    rss_after = rss_mb()
    people, planted = synthetic_people(passengers, entries)
    timings = []
    hits = found = 0
    begin, begin_cpu = time.perf_counter(), time.process_time()
    for person, source in zip(people, planted, strict=True):
        one = time.perf_counter()
        matches = watchlist.screen(person, at=AT)
        timings.append(time.perf_counter() - one)
        hits += bool(matches)
        found += source is not None and any(match.entry.id == source for match in matches)
    total, cpu = time.perf_counter() - begin, time.process_time() - begin_cpu
    candidates = [len(watchlist.candidates(person)) for person in people[:2000]]
    timings.sort()
    return {
        "entries": size,
        "passengers": passengers,
        "build_s": round(built, 2),
        "index_mb": round(rss_after - rss_before, 1),
        "passengers_per_s": round(passengers / total),
        # Per CPU second of this one process: the per-core figure, steady on a shared machine.
        "passengers_per_cpu_s": round(passengers / cpu),
        "p50_us": round(timings[len(timings) // 2] * 1e6),
        "p99_us": round(timings[int(len(timings) * 0.99)] * 1e6),
        "candidates_mean": round(sum(candidates) / len(candidates), 1),
        "candidates_max": max(candidates),
        "hit_share": round(hits / passengers, 4),
        "planted": sum(source is not None for source in planted),
        "planted_found": found,
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.watchlist")
    parser.add_argument("--passengers", type=int, default=20_000, help="passengers screened per list size")
    parser.add_argument("--sizes", default="10000,100000", help="list sizes, comma-separated")
    args = parser.parse_args()
    print(
        f"{'entries':>8} | {'build s':>7} | {'index MB':>8} | {'pax/s':>6} | {'pax/cpu-s':>9} | {'p50 us':>6} | "
        f"{'p99 us':>6} | {'cand mean':>9} | {'cand max':>8} | {'hits':>6} | planted found"
    )
    for size in (int(part) for part in args.sizes.split(",")):
        row = run(size, args.passengers)
        print(
            f"{row['entries']:>8} | {row['build_s']:>7} | {row['index_mb']:>8} | {row['passengers_per_s']:>6} | "
            f"{row['passengers_per_cpu_s']:>9} | {row['p50_us']:>6} | {row['p99_us']:>6} | "
            f"{row['candidates_mean']:>9} | {row['candidates_max']:>8} | "
            f"{row['hit_share']:>6} | {row['planted_found']}/{row['planted']}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
