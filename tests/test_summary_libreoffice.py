"""The summary workbook as the office prints it (LibreOffice → PDF): every sheet on landscape A4,
one page wide (every column heading of every sheet is on the page, none cut off), names not paths."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import openpyxl
import pytest
from lo import convert_one

from perfsheet.demo import DEMO_PERIOD, run_demo

pytestmark = pytest.mark.libreoffice


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("summary-render")
    workbook = run_demo(root / "demo", DEMO_PERIOD).month.reports.workbook
    return workbook, convert_one(workbook, "pdf", root / "pdf")


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_every_page_is_landscape_a4(rendered: tuple[Path, Path]) -> None:
    _workbook, pdf = rendered
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "99", str(pdf)], capture_output=True, text=True, check=True).stdout
    sizes = [tuple(map(float, m)) for m in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info)]
    assert sizes and all(abs(w - 842) < 3 and abs(h - 595) < 3 for w, h in sizes), sizes
    assert len(sizes) <= 14  # nine projects: a handful of pages, not a sheet spread over many


def test_every_heading_of_every_sheet_prints(rendered: tuple[Path, Path]) -> None:
    workbook, pdf = rendered
    text = _flat(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout)
    book = openpyxl.load_workbook(workbook)
    for sheet in book.worksheets:
        header_row = 4 if sheet.title == "总览" else 1
        labels = [str(c.value) for c in sheet[header_row] if c.value]
        assert labels, sheet.title
        # A heading wraps over lines that pdftotext interleaves with its neighbours: look for its start
        # and its end (an end cut off by a short row or a narrow page is what this catches).
        missing = [label for label in labels if _flat(label)[:4] not in text or _flat(label)[-3:] not in text]
        assert not missing, (sheet.title, missing)
    receipts = book["报送情况"]
    files = [r[8] for r in receipts.iter_rows(min_row=2, values_only=True) if r[8]]
    assert files and not any("/" in str(f) or "archive" in str(f) for f in files)
