"""The airline data cases of ``python -m benchmarks``: reading PNRGOV and PAXLST messages
(``benchmarks.messages``), ingest end to end (``benchmarks.ingest``) and the worklist's first page
at 5,000 passengers a day (``benchmarks.worklist``), with their rows of the summary."""

from __future__ import annotations

from typing import Any

from benchmarks import ingest, messages, worklist


def run(results: dict[str, Any], quick: bool, skip_ingest: bool, skip_worklist: bool) -> None:
    """Measure each case into ``results``, printing its table."""
    print("\nreading airline messages, one core, per CPU second", flush=True)
    results["messages"] = messages.measure(0.2 if quick else 1.0)
    print(messages.table(results["messages"]), flush=True)
    if not skip_ingest:
        print("\ningest end to end: targeting ingest workers, first publish to last commit", flush=True)
        results["ingest"] = ingest.measure(40 if quick else 200, (1, 2), 1000)
        for note in results["ingest"]["notes"]:
            print(note)
        print(f"store {results['ingest']['store']}, {results['ingest']['rules']:,} rules")
        print(ingest.table(results["ingest"]), flush=True)
    if not skip_worklist:
        print(
            f"\nGET /v1/worklist, first page: {worklist.PASSENGERS:,} passengers with hits arriving on one NZ day, as "
            "many the day before and after; gunicorn, one worker",
            flush=True,
        )
        results["worklist"] = worklist.measure(worklist.PASSENGERS, 5 if quick else 20)
        print(worklist.table(results["worklist"]), flush=True)


def summary(results: dict[str, Any]) -> list[tuple[str, str, str, bool | None]]:
    """The summary's rows of these cases: case, measured, target ("-": none), met (None: no target)."""
    rows: list[tuple[str, str, str, bool | None]] = []
    if "messages" in results:
        largest = results["messages"]["largest_pnrgov"]
        rows.append(
            (
                f"PNRGOV read, largest sample ({largest['travellers']} travellers), one core",
                f"{largest['messages_per_cpu_s']} messages/s, {largest['travellers_per_cpu_s']:,} travellers/s "
                f"({largest['vs_paxlst_300']}x PAXLST's travellers/s)",
                "-",
                None,
            )
        )
    for one in results.get("ingest", {}).get("runs", []):
        rows.append(
            (
                f"ingest end to end, {one['mode']}, {one['workers']} worker{'s' if one['workers'] > 1 else ''}",
                f"{one['messages_per_s']} messages/s, {one['travellers_per_s']:,} travellers/s",
                "-",
                None,
            )
        )
    for store in results.get("worklist", []):
        for case, page in store["pages"].items():
            rows.append(
                (
                    f"worklist first page, {store['passengers']:,} passengers a day, {store['store']}, {case}, p50",
                    f"{page['p50_ms']} ms",
                    f"{worklist.TARGET_MS:g} ms",
                    page["met"],
                )
            )
    return rows
