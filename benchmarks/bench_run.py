#!/usr/bin/env python3
"""Wall time of the monthly run on the demo workspace (9 projects, 8 returns this month).

Prints medians over a few runs of: ``run_month`` in-process on the demo workspace with nothing new;
the whole ``perfsheet run`` command on the demo workspace as a clerk re-runs it (Python start-up
included; target, issue 16: ≤ 0.8 s); the same after an edit of perfsheet.yaml, so every report is
written again; and ``perfsheet run`` collecting the demo mailbox into a fresh workspace (target,
issue 6: under 3 s).

    python benchmarks/bench_run.py [runs]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from perfsheet.demo import DEMO_PERIOD, run_demo
from perfsheet.monthly import run_month
from perfsheet.workspace import init_workspace


def compile_package() -> None:
    """Byte-compile perfsheet first, as ``pip install`` does: the commands are then timed as installed,
    not compiling their changed sources at every start (PYTHONDONTWRITEBYTECODE may be set)."""
    import compileall

    import perfsheet

    compileall.compile_dir(Path(perfsheet.__file__).parent, quiet=1)


def main() -> None:
    compile_package()
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    with tempfile.TemporaryDirectory(prefix="perfsheet-bench-run-") as tmp:
        started = time.perf_counter()
        demo = run_demo(Path(tmp) / "demo", DEMO_PERIOD)
        print(f"demo (templates, simulated chiefs, first run): {time.perf_counter() - started:.2f} s")
        in_process: list[float] = []
        for _ in range(runs):
            t0 = time.perf_counter()
            run_month(demo.workspace, DEMO_PERIOD, [str(demo.mailbox)])
            in_process.append(time.perf_counter() - t0)
        again: list[float] = []
        rewritten: list[float] = []
        argv = [sys.executable, "-m", "perfsheet", "run", "--period", str(DEMO_PERIOD), "--workspace", str(demo.workspace.root)]
        config = demo.workspace.config_path
        for i in range(runs):
            t0 = time.perf_counter()
            subprocess.run(argv, capture_output=True, check=False)
            again.append(time.perf_counter() - t0)
            # A changed perfsheet.yaml (a comment) makes every report be written again.
            config.write_text(config.read_text(encoding="utf-8") + f"# {i}\n", encoding="utf-8")
            t0 = time.perf_counter()
            subprocess.run(argv, capture_output=True, check=False)
            rewritten.append(time.perf_counter() - t0)
        command: list[float] = []
        for i in range(runs):
            # A fresh workspace each time, so every return of the mailbox is archived and checked.
            fresh = init_workspace(Path(tmp) / f"fresh-{i}")
            t0 = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "perfsheet", "run", "--period", str(DEMO_PERIOD),
                 "--workspace", str(fresh.root), "--from", str(demo.mailbox)],
                capture_output=True, check=False,
            )
            command.append(time.perf_counter() - t0)
    print(f"run_month again on the same workspace (nothing new): median {statistics.median(in_process):.2f} s")
    print(f"perfsheet run again on the demo workspace (whole command): median {statistics.median(again):.2f} s "
          "(target ≤ 0.8 s, issue 16)")
    print(f"perfsheet run after perfsheet.yaml changed (every report written): median {statistics.median(rewritten):.2f} s")
    print(f"perfsheet run on a fresh workspace (whole command, {demo.month.collected.messages if demo.month.collected else 0} messages): "
          f"median {statistics.median(command):.2f} s (target < 3 s)")


if __name__ == "__main__":
    main()
