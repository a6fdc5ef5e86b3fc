"""Cadence (perfsheet.yaml ``monitoring: indicator_months``): money every month, indicators at fixed points.

Provinces ask indicator progress at 1–6月, 1–7月 or 1–8月 and money every month. In a month outside
``indicator_months`` the template asks money and the budget explanation only (the indicator table stays,
locked, for reference), ingest expects no indicator cells, and every output says which kind of month it is.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from perfsheet.collect import collect
from perfsheet.model import Period
from perfsheet.monthly import consolidate_period, write_period_reports
from perfsheet.outgoing.templates import write_period_templates
from perfsheet.template.build import fill_template
from perfsheet.workspace import Workspace, counting_submissions, init_workspace

MAY, JUNE = Period(2025, 5), Period(2025, 6)


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("cadence") / "ws"
    init_workspace(root)
    config = root / "perfsheet.yaml"
    text = config.read_text(encoding="utf-8")
    months = "indicator_months: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]"
    assert text.count(months) == 1
    config.write_text(text.replace(months, "indicator_months: [6, 12]"), encoding="utf-8")
    return Workspace.open(root)


def _meta(path: Path) -> dict[str, str]:
    sheet = openpyxl.load_workbook(path)["_perfsheet"]
    return {str(r[0]): str(r[1]) for r in sheet.iter_rows(values_only=True) if r[0]}


def _validated_cells(path: Path) -> set[str]:
    """Every cell of 监控表 that carries a data validation (read with openpyxl)."""
    cells: set[str] = set()
    for validation in openpyxl.load_workbook(path)["监控表"].data_validations.dataValidation:
        for cell_range in validation.sqref.ranges:
            cells.update(str(c) for row in cell_range.rows for c in (row if isinstance(row, tuple) else (row,)))
    return cells


def test_may_asks_money_only_and_june_asks_everything(ws: Workspace) -> None:
    project = ws.department.projects[0]
    may = next(p for p in write_period_templates(ws, MAY) if project.code in p.name)
    june = next(p for p in write_period_templates(ws, JUNE) if project.code in p.name)
    may_fields = {k for k in _meta(may) if k.startswith("field:")}
    june_fields = {k for k in _meta(june) if k.startswith("field:")}
    assert not any(k.startswith("field:ind.") for k in may_fields)
    assert {"field:spend.to_date", "field:budget.explanation"} <= may_fields
    assert len(june_fields) == len(may_fields) + 5 * len(project.indicators)
    # What a chief sees, read by a second reader: the indicator rows say they are not asked this month.
    sheet = CalamineWorkbook.from_path(str(may)).get_sheet_by_name("监控表").to_python()
    flat = [str(v) for row in sheet for v in row]
    assert flat.count("本月不填报（仅监控预算执行）") == len(project.indicators)
    help_text = "".join(str(v) for row in CalamineWorkbook.from_path(str(may)).get_sheet_by_name("填表说明").to_python()
                        for v in row)
    assert "本月为仅监控预算执行的月份" in help_text
    # No input validation sits on the indicator table in May; June's has one per indicator input.
    assert len(_validated_cells(june)) - len(_validated_cells(may)) >= 5 * len(project.indicators)


def test_a_money_only_return_is_valid_and_every_output_says_what_month_it_is(ws: Workspace, tmp_path: Path) -> None:
    project = ws.department.projects[0]
    template = next(p for p in write_period_templates(ws, MAY) if project.code in p.name)
    values = {
        "budget.adjusted": project.budget, "spend.to_date": (project.budget * Decimal("0.4")).quantize(Decimal("0.01")),
        "spend.projected": project.budget, "contact.name": "陈刚", "contact.phone": "0315-2345678",
        "contact.date": dt.date(2025, 6, 3), "contact.head": "王敏",
    }
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / template.name).write_bytes(fill_template(template.read_bytes(), values))
    collect(ws, MAY, [str(drop)])
    [submission] = counting_submissions(ws, MAY)
    assert submission.project_code == project.code and not submission.errors, submission.issues
    assert all(r.actual is None for r in submission.indicators)
    summary = consolidate_period(ws, MAY)
    assert "仅监控预算执行" in summary.month_kind and not summary.asks_indicators
    files = write_period_reports(ws, MAY)
    assert "本月为仅监控预算执行的月份" in files.narrative and "本月只监控预算执行" in files.narrative
    overview = openpyxl.load_workbook(files.workbook)["总览"]
    assert "仅监控预算执行" in str(overview["A2"].value)
    assert zipfile.ZipFile(io.BytesIO(files.docx.read_bytes())).testzip() is None
    assert "双监控" in consolidate_period(ws, JUNE).month_kind
