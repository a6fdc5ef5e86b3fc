"""Benchmark: median milliseconds to build one monitoring template (target ≤ 15 ms on one core).

Run: ``python benchmarks/bench_templates.py [--builds 200] [--period 2025-06]``. Builds the 2025
default's nine templates round-robin in memory and prints the median and p90 per template, and the time
to build all nine once.
"""

from __future__ import annotations

import argparse
import statistics
import time

from perfsheet.goals.registry import load_default
from perfsheet.model import Period
from perfsheet.template.build import build_template


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--builds", type=int, default=200)
    parser.add_argument("--period", default="2025-06")
    args = parser.parse_args()
    department = load_default()
    period = Period.parse(args.period)
    projects = department.projects
    build_template(department, projects[0], period)  # warm-up: imports, format caches

    timings: list[float] = []
    for i in range(args.builds):
        project = projects[i % len(projects)]
        start = time.perf_counter()
        build_template(department, project, period)
        timings.append((time.perf_counter() - start) * 1000)
    start = time.perf_counter()
    sizes = [len(build_template(department, p, period)) for p in projects]
    all_ms = (time.perf_counter() - start) * 1000

    timings.sort()
    print(
        f"templates: {args.builds} builds over {len(projects)} projects ({department.indicator_count} indicators)"
    )
    print(f"median per template: {statistics.median(timings):.2f} ms")
    print(f"p90 per template:    {timings[int(len(timings) * 0.9) - 1]:.2f} ms")
    print(
        f"all {len(projects)} templates:     {all_ms:.1f} ms (mean size {sum(sizes) / len(sizes) / 1024:.1f} KiB)"
    )


if __name__ == "__main__":
    main()
