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


def _words(pdf: Path) -> list[tuple[int, str, float]]:
    """(page, word, height in points) of every word pdftotext finds, pages counted from 1."""
    xml = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    words: list[tuple[int, str, float]] = []
    for page, body in enumerate(re.split(r"<page\b", xml)[1:], start=1):
        for y0, y1, word in re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]+)</word>', body):
            words.append((page, word, float(y1) - float(y0)))
    return words


def test_project_execution_prints_at_a_readable_size(rendered: tuple[Path, Path]) -> None:
    """项目执行's columns fit one landscape page at about 3/4 scale: its 10 pt text prints at least 7 pt
    tall (at the half scale its 18 columns once needed, it was about 5 pt, too small to read)."""
    workbook, pdf = rendered
    codes = {str(r[0]) for r in openpyxl.load_workbook(workbook)["项目执行"].iter_rows(min_row=2, values_only=True)
             if r[0]}
    words = _words(pdf)
    pages = {page for page, word, _h in words if word == "目标完成情况"}  # the heading only 项目执行 has
    heights = [h for page, word, h in words if page in pages and word in codes]
    assert len(heights) >= len(codes), heights  # every project's code printed
    assert min(heights) >= 6.8, heights
