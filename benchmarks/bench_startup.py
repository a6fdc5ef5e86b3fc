"""Startup benchmark: median wall time of the commands people wait for, each in a fresh interpreter.

Times ``perfsheet --help``, ``perfsheet goals show`` and ``perfsheet check one.xlsx`` (a valid return of
the built-in 2025 goals, no workspace) as a clerk types them, plus a bare ``python -c pass`` for the
interpreter's own start on this machine. Targets (issue 16): --help ≤ 0.15 s, goals show and
check ≤ 0.25 s.

Usage: ``python benchmarks/bench_startup.py [RUNS]`` (default 15).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from ingest_helpers import good_values  # noqa: E402

from perfsheet.goals.registry import load_default  # noqa: E402
from perfsheet.model import Period  # noqa: E402
from perfsheet.template.build import build_template, fill_template  # noqa: E402


def _median_seconds(argv: list[str], runs: int, cwd: Path) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def compile_package() -> None:
    """Byte-compile perfsheet first, as ``pip install`` does: the commands are then timed as installed,
    not compiling their changed sources at every start (PYTHONDONTWRITEBYTECODE may be set)."""
    import compileall

    import perfsheet

    compileall.compile_dir(Path(perfsheet.__file__).parent, quiet=1)


def main() -> None:
    compile_package()
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    department = load_default()
    project = department.projects[0]
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)  # no ./workbooks here: check uses the built-in goals, as in a fresh folder
        one = cwd / "one.xlsx"
        one.write_bytes(fill_template(build_template(department, project, Period(2025, 6)), good_values(project)))
        python = [sys.executable]
        os.environ.setdefault("PYTHONPATH", str(REPO))
        # An installed perfsheet starts from cached bytecode; a PYTHONDONTWRITEBYTECODE environment
        # would recompile every module on every run and time the compiler instead.
        os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
        cases = {
            "python -c pass": [*python, "-c", "pass"],
            "perfsheet --help": [*python, "-m", "perfsheet", "--help"],
            "perfsheet goals show": [*python, "-m", "perfsheet", "goals", "show"],
            "perfsheet check one.xlsx": [*python, "-m", "perfsheet", "check", str(one)],
        }
        print(f"median of {runs} runs, wall seconds (a shared machine: rerun to see the noise)")
        for label, argv in cases.items():
            _median_seconds(argv, 1, cwd)  # warm: bytecode cache and page cache
            print(f"  {label:<26} {_median_seconds(argv, runs, cwd):.3f} s")


if __name__ == "__main__":
    main()
