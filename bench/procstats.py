"""What a process spent, read from /proc: CPU seconds (user + system, robust to a busy machine:
they count only what the process itself ran) and resident memory, current and peak."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of `pid` so far (its threads included)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # the command name may hold spaces
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / _TICKS


def memory_mib(pid: int) -> tuple[float, float]:
    """(resident now, peak resident) of `pid`, in MiB: VmRSS and VmHWM."""
    values: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in {"VmRSS", "VmHWM"}:
            values[name] = int(rest.split()[0]) / 1024
    return round(values.get("VmRSS", 0.0), 1), round(values.get("VmHWM", 0.0), 1)


@dataclass
class Meter:
    """CPU seconds of named processes over a window: `start()`, the load, `stop()`."""

    pids: Mapping[str, int]

    def __post_init__(self) -> None:
        self._start: dict[str, float] = {}
        self.cpu_s: dict[str, float] = {}
        self.peak_rss_mib: dict[str, float] = {}

    def start(self) -> Meter:
        self._start = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        return self

    def stop(self) -> Meter:
        for name, pid in self.pids.items():
            try:
                self.cpu_s[name] = round(cpu_seconds(pid) - self._start[name], 2)
                self.peak_rss_mib[name] = memory_mib(pid)[1]
            except FileNotFoundError:  # exited meanwhile: nothing to say of it
                continue
        return self

    def per_item_ms(self, count: int) -> dict[str, float]:
        """CPU milliseconds each process spent per item (request, record, delivery)."""
        if count <= 0:
            return {}
        return {name: round(s * 1000 / count, 2) for name, s in self.cpu_s.items()}

    def figures(self, count: int, unit: str) -> dict[str, object]:
        return {
            f"cpu_ms_per_{unit}": self.per_item_ms(count),
            "cpu_s": self.cpu_s,
            "peak_rss_mib": self.peak_rss_mib,
        }
