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
    # Part 三 does not count indicator lights nobody was asked for.
    part_three = files.narrative.split("三、绩效目标完成情况", 1)[1].split("四、", 1)[0]
    assert "按全年预计完成值判断" not in part_three and "预计均能完成" not in part_three
    # The bureau's workbooks: no indicator rows to import, and the printed form says why the table is empty.
    assert files.platform_export is not None and files.monitoring_forms is not None
    export = openpyxl.load_workbook(files.platform_export)["监控指标"]
    assert export.max_row == 1  # the header only
    forms = openpyxl.load_workbook(files.monitoring_forms)[project.code]
    assert sum(1 for row in forms.iter_rows(values_only=True) for v in row if v == "本月不填报（仅监控预算执行）") == \
        len(project.indicators)
    assert "双监控" in consolidate_period(ws, JUNE).month_kind


def test_send_rebuilds_a_template_made_under_other_rules(tmp_path: Path) -> None:
    """A template in the outbox made before the monitoring rules changed is not mailed as it is: a return
    filled on it would only come back as 模板已过期."""
    from perfsheet.ingest.check import template_is_current
    from perfsheet.outgoing.templates import template_bytes

    root = tmp_path / "ws"
    init_workspace(root)
    ws = Workspace.open(root)
    project = ws.department.projects[0]
    [old] = write_period_templates(ws, JUNE, project=project.code)
    assert template_is_current(old, ws.department, JUNE, ws.config.monitoring)
    config = root / "perfsheet.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "indicator_months: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]", "indicator_months: [12]"), encoding="utf-8")
    ws = Workspace.open(root)
    assert not template_is_current(old, ws.department, JUNE, ws.config.monitoring)
    [(name, data)] = template_bytes(ws, JUNE, [project])
    assert name == old.name and data == old.read_bytes()
    assert template_is_current(old, ws.department, JUNE, ws.config.monitoring)
    assert not any(key.startswith("field:ind.") for key in _meta(old))
