"""Measuring helpers shared by the benchmarks."""

from __future__ import annotations

import os
import platform


def rss_mb() -> float:
    """Resident memory of this process, MB (Linux)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return 0.0


def percentile(values: list[float], share: float) -> float:
    """The value below which ``share`` of ``values`` fall (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def machine() -> str:
    """What the figures were measured on: host, CPU model and count, memory, Python (Linux)."""
    model = "unknown CPU"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as meminfo:
        memory_gb = int(meminfo.readline().split()[1]) / 1024**2
    return (
        f"{platform.node()}: {os.cpu_count()} x {model} ({platform.machine()}), {memory_gb:.0f} GB RAM, "
        f"Linux {platform.release()}, Python {platform.python_version()}"
    )


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far, seconds (Linux; 10 ms resolution): what it
    cost, whatever else the shared machine was running meanwhile."""
    with open(f"/proc/{pid}/stat") as stat:
        # Fields after the command name (which may hold spaces, so split after its closing parenthesis).
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
