"""Run a command and measure its wall time and peak memory, children included.

Memory is sampled from /proc (every 100 ms, or not at all with `sample=False`: reading
smaps of a large process slows it down, so timed runs are not sampled): the peak of the summed PSS (proportional
set size: shared pages split between the processes that share them) and of the
summed RSS (shared pages counted once per process, an upper bound) over the
command's whole process tree.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Measurement:
    seconds: float
    peak_pss_mb: float
    peak_rss_mb: float
    returncode: int
    output: str


def process_tree(pid: int) -> list[int]:
    pids, queue = [], [pid]
    while queue:
        current = queue.pop()
        pids.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                children = Path(f"/proc/{current}/task/{task}/children").read_text().split()
                queue.extend(int(c) for c in children)
        except OSError:
            continue
    return pids


def memory_kb(pid: int) -> tuple[int, int]:
    pss = rss = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1])
            elif line.startswith("Rss:"):
                rss = int(line.split()[1])
    except OSError:
        pass
    return pss, rss


def measure(command: list[str], cwd: Path | None = None, env: dict | None = None, sample: bool = True) -> Measurement:
    peak = {"pss": 0, "rss": 0}
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    stop = threading.Event()

    def sample_memory():
        while not stop.is_set():
            totals = [memory_kb(pid) for pid in process_tree(process.pid)]
            peak["pss"] = max(peak["pss"], sum(t[0] for t in totals))
            peak["rss"] = max(peak["rss"], sum(t[1] for t in totals))
            stop.wait(0.1)

    sampler = threading.Thread(target=sample_memory, daemon=True)
    if sample:
        sampler.start()
    output, _ = process.communicate()
    seconds = time.perf_counter() - started
    stop.set()
    if sample:
        sampler.join()
    return Measurement(seconds, peak["pss"] / 1024, peak["rss"] / 1024, process.returncode, output)
