"""What a process spent, read from /proc: CPU seconds (user + system, robust to a busy machine:
they count only what the process itself ran) and resident memory, current and peak."""

from __future__ import annotations

import os
import time
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


@dataclass(frozen=True)
class _Process:
    comm: str
    parent: int
    ticks: int
    """User + system clock ticks of the process itself."""
    reaped_ticks: int
    """User + system clock ticks of its children it has waited for."""
    kafka: bool


def _processes() -> dict[int, _Process]:
    """Every process readable now, by pid."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:  # exited meanwhile
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        found[int(entry.name)] = _Process(
            comm=stat[stat.index("(") + 1 : stat.rindex(")")],
            parent=int(fields[1]),
            ticks=int(fields[11]) + int(fields[12]),
            reaped_ticks=int(fields[13]) + int(fields[14]),
            kafka=b"kafka" in cmdline,
        )
    return found


def group_cpu_seconds() -> dict[str, float]:
    """CPU seconds so far of the machine's PostgreSQL (every `postgres` process, and the
    backends a postmaster has reaped), of Kafka (every JVM whose command line names kafka), of
    this process with the children it has reaped (wrk), and of the whole machine busy
    (/proc/stat: every CPU's time but idle and iowait). Differences over a window say where a
    load's CPU went besides the services' own processes."""
    processes = _processes()
    postgres = kafka = 0
    for process in processes.values():
        if process.comm == "postgres":
            parent = processes.get(process.parent)
            postmaster = parent is None or parent.comm != "postgres"
            postgres += process.ticks + (process.reaped_ticks if postmaster else 0)
        elif process.comm == "java" and process.kafka:
            kafka += process.ticks
    own = os.times()
    cpu = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    busy = sum(cpu) - cpu[3] - cpu[4]  # all but idle and iowait
    return {
        "postgres": postgres / _TICKS,
        "kafka": kafka / _TICKS,
        "bench and wrk": own.user + own.system + own.children_user + own.children_system,
        "machine": busy / _TICKS,
    }


@dataclass
class MachineMeter:
    """Where the whole machine's CPU went over a window (`group_cpu_seconds`), beside the
    services' own processes that a `Meter` reads over the same window."""

    def start(self) -> MachineMeter:
        self._start, self._started = group_cpu_seconds(), time.monotonic()
        return self

    def stop(self) -> MachineMeter:
        end, self.seconds = group_cpu_seconds(), time.monotonic() - self._started
        self.cpu_s = {name: end[name] - self._start[name] for name in end}
        return self

    def figures(self, services: Meter, count: int, offered_per_s: float) -> dict[str, object]:
        """Per item: the services, PostgreSQL, Kafka, the bench with wrk, the rest, the whole
        machine; how busy the machine's cores were; and what its cores give an item at the
        offered rate (all of them busy)."""
        if count <= 0:
            return {}
        cores = os.cpu_count() or 1
        used = dict(self.cpu_s)
        machine = used.pop("machine")
        groups = {"services": sum(services.cpu_s.values()), **used}
        groups["rest"] = max(machine - sum(groups.values()), 0.0)
        groups["machine"] = machine
        return {
            "machine_cpu_ms_per_request": {
                name: round(s * 1000 / count, 2) for name, s in groups.items()
            },
            "machine_cores_busy": f"{machine / self.seconds:.2f} of {cores}",
            "machine_cpu_ms_per_request_at_offered_rate": round(cores * 1000 / offered_per_s, 2),
        }
