"""Benchmark the goals-document import and writer: median time per document (seed, 9 projects, 74 indicators).

    python benchmarks/bench_goalsdoc.py
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from perfsheet.goals.document import import_goals_document, write_goals_docx

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "tests" / "data" / "goals-document-2025.txt"  # the 2025 goals document, as the tests read it


def median_ms(action: Callable[[], object], repeat: int = 15) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    department = import_goals_document(SEED)
    with tempfile.TemporaryDirectory() as tmp:
        docx_path = Path(tmp) / "goals.docx"
        write_goals_docx(department, docx_path)
        print(f"import .txt : {median_ms(lambda: import_goals_document(SEED)):7.1f} ms/document")
        print(f"import .docx: {median_ms(lambda: import_goals_document(docx_path)):7.1f} ms/document")
        print(f"write .docx : {median_ms(lambda: write_goals_docx(department, docx_path)):7.1f} ms/document")


if __name__ == "__main__":
    main()
