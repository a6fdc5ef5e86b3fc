"""The feedback workbook as the chief prints it (LibreOffice → PDF): 问题清单 first, titled with the
project and month, landscape A4, one page wide, every message whole."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from ingest_helpers import good_values
from lo import convert_one

from perfsheet.goals.registry import load_default
from perfsheet.ingest.check import read_return
from perfsheet.ingest.feedback import write_feedback
from perfsheet.model import Period
from perfsheet.template.build import build_template, fill_template

pytestmark = pytest.mark.libreoffice


def test_issue_list_prints_titled_landscape_one_page_wide(tmp_path: Path) -> None:
    department, period = load_default(), Period(2025, 6)
    project = department.projects[2]
    values = good_values(project)
    values.update({"spend.to_date": "大约五万", "contact.phone": "123", "ind.1.likelihood": "不确定"})
    for n in range(2, 8):
        values[f"ind.{n}.actual"] = "很多"
    path = tmp_path / "return.xlsx"
    path.write_bytes(fill_template(build_template(department, project, period), values))
    result = read_return(path, department=department, period=period)
    assert result.submission is not None and len(result.issues) >= 8
    out = write_feedback(department, result.submission, result.issues, tmp_path / "反馈.xlsx", raw_values=result.raw_values)
    pdf = convert_one(out, "pdf", tmp_path / "pdf")
    info = subprocess.run(["pdfinfo", "-f", "1", "-l", "1", str(pdf)], capture_output=True, text=True, check=True).stdout
    width, height = map(float, re.search(r"Page\s+1 size:\s+([\d.]+) x ([\d.]+)", info).groups())  # type: ignore[union-attr]
    assert width > height and abs(width - 842) < 3  # A4 landscape
    first = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = re.sub(r"\s+", "", first)
    assert f"{project.name}（{period.label}）问题清单" in flat
    for issue in result.issues:  # each message whole on the first page: nothing cut at the edge
        assert re.sub(r"\s+", "", issue.message)[:40] in flat, issue.message
