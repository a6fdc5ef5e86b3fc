"""Templates read back with openpyxl: field map, validations, protection, locked values, filling."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet.worksheet import Worksheet
from template_helpers import PERIOD, default_department, sample_department
from xlsxwriter import Workbook

from perfsheet.cli import main as cli_main
from perfsheet.errors import TemplateLintError, UsageError
from perfsheet.form.fields import FieldSpec, Kind, date_window, project_fields
from perfsheet.form.meta import (
    SCHEMA_VERSION,
    SHEET_HELP,
    SHEET_MAIN,
    SHEET_META,
    defined_name,
    locked_digest,
)
from perfsheet.model import Department, Period, Project
from perfsheet.template.build import (
    build_template,
    fill_template,
    locked_values,
    template_filename,
    write_templates,
)
from perfsheet.template.lint import LintedSheet, lint_validation, utf16_len

DEPT = sample_department()


def _load(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def _meta(book: openpyxl.Workbook) -> dict[str, Any]:
    return {key: value for key, value in book[SHEET_META].iter_rows(max_col=2, values_only=True) if key}


def _field_cells(meta: dict[str, Any]) -> dict[str, str]:
    return {k.removeprefix("field:"): v.split("!", 1)[1] for k, v in meta.items() if k.startswith("field:")}


def _input_ranges(ws: Worksheet, anchors: set[str]) -> set[str]:
    """Every cell of an input: the mapped anchors plus the rest of their merged ranges."""
    cells = set(anchors)
    for merged in ws.merged_cells.ranges:
        if merged.coord.split(":")[0] in anchors:
            min_col, min_row, max_col, max_row = range_boundaries(merged.coord)
            for row in range(min_row, max_row + 1):
                for col in range(min_col, max_col + 1):
                    cells.add(ws.cell(row, col).coordinate)
    return cells


@pytest.fixture(scope="module", params=[p.code for p in DEPT.projects])
def built(request: pytest.FixtureRequest) -> tuple[Project, bytes, openpyxl.Workbook]:
    project = DEPT.project(request.param)
    data = build_template(DEPT, project, PERIOD)
    return project, data, _load(data)


def test_build_is_deterministic_and_depends_on_inputs() -> None:
    project = DEPT.projects[0]
    first = build_template(DEPT, project, PERIOD)
    assert first == build_template(DEPT, project, PERIOD)
    assert first != build_template(DEPT, project, Period(2025, 7))
    assert first != build_template(DEPT, project, PERIOD, password="secret")


def test_sheets_and_hidden_meta(built: tuple[Project, bytes, openpyxl.Workbook]) -> None:
    project, _, book = built
    assert book.sheetnames == [SHEET_MAIN, SHEET_HELP, SHEET_META]
    assert book[SHEET_META].sheet_state == "veryHidden"
    assert book[SHEET_MAIN].sheet_state == "visible"
    meta = _meta(book)
    assert meta["schema"] == SCHEMA_VERSION
    assert meta["project_code"] == project.code
    assert meta["period"] == "2025-06"
    assert meta["year"] == 2025
    assert re.fullmatch(r"perfsheet \S+", meta["generator"])
    assert re.fullmatch(r"[0-9a-f]{64}", meta["digest"])
    fields = _field_cells(meta)
    assert list(fields) == [spec.name for spec in project_fields(project)]
    assert len(set(fields.values())) == len(fields)  # one cell per field
    assert all(v.startswith(f"{SHEET_MAIN}!") for k, v in meta.items() if k.startswith("field:"))


def test_defined_names_match_field_map(built: tuple[Project, bytes, openpyxl.Workbook]) -> None:
    _, _, book = built
    fields = _field_cells(_meta(book))
    for name, a1 in fields.items():
        defined = book.defined_names[defined_name(name)]
        ((sheet, ref),) = list(defined.destinations)
        assert sheet == SHEET_MAIN
        assert ref.replace("$", "") == a1
    assert defined_name("ind.3.actual") == "ps_ind_3_actual"


def _expected_rule(spec: FieldSpec, fields: dict[str, str]) -> tuple[str, str | None, str | None, str | None]:
    """(type, operator, formula1, formula2) the FieldSpec calls for."""

    def absolute(a1: str) -> str:
        return re.sub(r"^([A-Z]+)(\d+)$", r"$\1$\2", a1)

    adjusted, spend = absolute(fields["budget.adjusted"]), absolute(fields["spend.to_date"])
    projected = absolute(fields["spend.projected"])
    other_adjusted, other_spend = absolute(fields["budget.adjusted.other"]), absolute(fields["spend.to_date.other"])
    first, last = date_window(PERIOD)
    serial = lambda d: str((d - dt.date(1899, 12, 30)).days)  # noqa: E731
    match spec.kind:
        case Kind.MONEY if spec.name == "spend.to_date":
            return "decimal", "between", "0", adjusted
        case Kind.MONEY if spec.name == "spend.projected":
            return "decimal", "between", spend, adjusted
        # The 其他资金 row: within its own budget and within the total row.
        case Kind.MONEY if spec.name == "budget.adjusted.other":
            return "decimal", "between", "0", adjusted
        case Kind.MONEY if spec.name == "spend.to_date.other":
            return "decimal", "between", "0", f"MIN({spend},{other_adjusted})"
        case Kind.MONEY if spec.name == "spend.projected.other":
            return "decimal", "between", other_spend, f"MIN({projected},{other_adjusted})"
        case Kind.MONEY | Kind.DECIMAL:
            return "decimal", "greaterThanOrEqual", "0", None
        case Kind.PERCENT:
            return "decimal", "between", "0", "1"
        case Kind.COUNT:
            return "whole", "greaterThanOrEqual", "0", None
        case Kind.QUALITATIVE | Kind.CHOICE:
            return "list", None, '"' + ",".join(spec.choices) + '"', None
        case Kind.DATE:
            return "date", "between", serial(first), serial(last)
        case Kind.PHONE:
            return "textLength", "between", "7", "20"
        case _:
            return "textLength", "lessThanOrEqual", str(spec.max_length), None


def test_every_input_cell_unlocked_and_validated(built: tuple[Project, bytes, openpyxl.Workbook]) -> None:
    project, _, book = built
    ws = book[SHEET_MAIN]
    fields = _field_cells(_meta(book))
    validations = ws.data_validations.dataValidation
    kinds_seen: set[Kind] = set()
    for spec in project_fields(project):
        a1 = fields[spec.name]
        cell = ws[a1]
        assert cell.protection.locked is False, spec.name
        covering = [dv for dv in validations if a1 in dv.sqref]
        assert len(covering) == 1, spec.name
        dv = covering[0]
        rule = _expected_rule(spec, fields)
        operator = dv.operator or (None if dv.type == "list" else "between")  # OOXML's default
        got = (dv.type, operator, dv.formula1, dv.formula2)
        assert got == rule, (spec.name, got, rule)
        assert dv.errorStyle in (None, "stop")
        assert dv.showErrorMessage and dv.showInputMessage
        assert dv.promptTitle and dv.prompt and dv.errorTitle and dv.error
        assert re.search(r"[\u4e00-\u9fff]", dv.prompt), "input message must be Chinese"
        if spec.kind is Kind.PERCENT:
            assert "%" in cell.number_format
        if spec.kind is Kind.PHONE:
            assert cell.number_format == "@"  # a typed 138… stays text, leading zeros kept
        kinds_seen.add(spec.kind)
    assert {Kind.MONEY, Kind.TEXT, Kind.CHOICE, Kind.DATE, Kind.PHONE, Kind.PERCENT} <= kinds_seen


def test_every_other_cell_locked_and_sheet_protected(built: tuple[Project, bytes, openpyxl.Workbook]) -> None:
    _, _, book = built
    ws = book[SHEET_MAIN]
    inputs = _input_ranges(ws, set(_field_cells(_meta(book)).values()))
    unlocked = {
        cell.coordinate
        for row in ws.iter_rows(min_row=1, max_row=ws.max_row + 2, max_col=ws.max_column + 2)
        for cell in row
        if cell.protection.locked is False
    }
    assert unlocked == inputs
    for sheet in (ws, book[SHEET_HELP]):
        assert sheet.protection.sheet is True
        # Widening a column or row stays possible on a protected sheet.
        assert sheet.protection.formatColumns is False and sheet.protection.formatRows is False
    assert book[SHEET_HELP]["A1"].protection.locked is True


def test_locked_values_equal_registry(built: tuple[Project, bytes, openpyxl.Workbook]) -> None:
    project, _, book = built
    ws = book[SHEET_MAIN]
    meta = _meta(book)
    expected = locked_values(DEPT, project, PERIOD)
    stored = {k.removeprefix("locked:"): v for k, v in meta.items() if k.startswith("locked:")}
    assert stored == expected
    assert meta["digest"] == locked_digest(expected)
    for a1, text in expected.items():
        value = ws[a1].value
        if isinstance(value, (int, float)):
            assert Decimal(repr(value)) == Decimal(text), a1
        else:
            assert value == text, a1
    texts = {str(c.value) for row in ws.iter_rows() for c in row if c.value is not None}
    assert {project.code, project.name, DEPT.name} <= texts
    for indicator in project.indicators:
        assert indicator.name in texts and indicator.target.raw in texts
        assert indicator.level1 in texts and indicator.level2 in texts
    assert any(t.startswith("2025年") and "绩效运行监控表（截至2025年6月）" in t for t in texts)
    budget_cells = [a1 for a1, text in expected.items() if text == str(project.budget.normalize())]
    assert budget_cells, "预算数 must be locked"


def test_money_block_formula_and_progress(built: tuple[Project, bytes, openpyxl.Workbook]) -> None:
    project, _, book = built
    ws = book[SHEET_MAIN]
    fields = _field_cells(_meta(book))
    adjusted, spend = fields["budget.adjusted"], fields["spend.to_date"]
    assert ws[adjusted].value == float(project.budget)  # 调整后预算数 defaults to 年初预算数
    row = ws[adjusted].row
    cells = {c.value: c for c in ws[row] if c.value is not None}
    formulas = [v for v in cells if isinstance(v, str) and v.startswith("=")]
    assert len(formulas) == 1 and f"{spend}/{adjusted}" in formulas[0]
    assert "%" in cells[formulas[0]].number_format
    assert 0.5 in cells  # 序时进度 June = 50 %
    assert float(project.plan_progress(6) / 100) in cells
    assert all(
        c.protection.locked is not False for c in cells.values() if c.coordinate not in fields.values()
    )


def test_indicator_labels_merged_vertically() -> None:
    project = DEPT.projects[1]  # three 满意度 rows share one 一级/二级 cell
    ws = _load(build_template(DEPT, project, PERIOD))[SHEET_MAIN]
    merged = {str(r) for r in ws.merged_cells.ranges}
    satisfied = [a1 for a1, text in locked_values(DEPT, project, PERIOD).items() if text == "满意度指标"]
    assert len(satisfied) == 1
    row = int(satisfied[0][1:])
    assert f"A{row}:A{row + 2}" in merged and f"B{row}:B{row + 2}" in merged


def test_print_setup(built: tuple[Project, bytes, openpyxl.Workbook]) -> None:
    _, _, book = built
    ws = book[SHEET_MAIN]
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.paperSize in (9, "9")
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToHeight in (0, "0")
    assert ws.print_title_rows
    assert "&P" in (ws.oddFooter.center.text or "") and "&N" in (ws.oddFooter.center.text or "")


def test_help_sheet_explains_filling() -> None:
    project = DEPT.projects[0]
    data = build_template(DEPT, project, PERIOD, office_contact="办公室（王敏，电话 0315-0000000）")
    text = "\n".join(str(c.value) for row in _load(data)[SHEET_HELP].iter_rows() for c in row if c.value)
    for phrase in (
        "万元",
        "95 或 95%",
        "确定能",
        "无偏差",
        "序时进度",
        "2025年7月10日",
        "王敏",
        project.name,
    ):
        assert phrase in text, phrase


def test_template_filename_is_recognisable_and_windows_safe() -> None:
    project = DEPT.projects[2]
    name = template_filename(DEPT, project, PERIOD)
    assert name.endswith(".xlsx")
    for part in ("2025-06", project.section or "", project.name, project.code):
        assert part in name
    odd = Project(
        code="X/1",
        name='a<b>:c"d|e?f*g\\h\x01 ',
        budget=Decimal(1),
        fiscal=Decimal(1),
        other=Decimal(0),
        purpose="",
        goal="",
        plan=(),
        indicators=(),
        section="科/室",
    )
    odd_name = template_filename(DEPT, odd, PERIOD)
    assert not re.search(r'[<>:"/\\|?*\x00-\x1f]', odd_name)
    assert odd_name.endswith(".xlsx") and not odd_name.startswith(" ")


def test_write_templates_all_one_section_one_project(tmp_path: Path) -> None:
    paths = write_templates(DEPT, PERIOD, tmp_path / "out")
    assert [p.name for p in paths] == [template_filename(DEPT, p, PERIOD) for p in DEPT.projects]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(p.name for p in paths)
    assert paths[0].read_bytes() == build_template(DEPT, DEPT.projects[0], PERIOD)
    section = DEPT.projects[1].section
    assert write_templates(DEPT, PERIOD, tmp_path / "s", section=section)[0].name == paths[1].name
    assert len(write_templates(DEPT, PERIOD, tmp_path / "p", project=DEPT.projects[2].code)) == 1
    with pytest.raises(UsageError, match="未找到项目编码"):
        write_templates(DEPT, PERIOD, tmp_path / "x", project="NOPE")
    with pytest.raises(UsageError, match="没有可生成模板的项目"):
        write_templates(DEPT, PERIOD, tmp_path / "x", section="不存在的科")
    assert not (tmp_path / "x").exists() or not any((tmp_path / "x").iterdir())


def test_default_registry_gives_nine_templates_and_the_overall_one(tmp_path: Path) -> None:
    from perfsheet.goals.registry import load_default

    department = load_default()
    paths = write_templates(department, Period(2025, 3), tmp_path)
    assert len(paths) == 10 and len({p.name for p in paths}) == 10
    assert paths[-1].name == "2025-03_办公室_部门整体绩效目标_部门整体.xlsx"
    total = 0
    overall = department.overall
    assert overall is not None
    for project, path in zip((*department.projects, overall), paths, strict=True):
        book = openpyxl.load_workbook(path)
        meta = _meta(book)
        assert meta["project_code"] == project.code and meta["period"] == "2025-03"
        assert len(_field_cells(meta)) == len(project_fields(project))
        total += len(project.indicators)
        ws = book[SHEET_MAIN]
        for a1, text in locked_values(department, project, Period(2025, 3)).items():
            value = ws[a1].value
            assert (
                (Decimal(repr(value)) == Decimal(text)) if isinstance(value, (int, float)) else (value or "") == text
            )  # an empty 二级指标 (the department-wide targets have none) reads back as no value
    assert total == 74 + 6  # the projects' indicators and Part 1's six department-wide targets


def test_fill_template_writes_through_field_map() -> None:
    project = DEPT.projects[0]  # indicator 1 is a percent target (100%), 3 is 天, 6 is 定性
    template = build_template(DEPT, project, PERIOD)
    filled = fill_template(
        template,
        {
            "spend.to_date": Decimal("1.5"),
            "spend.projected": 3.47,
            "goal.progress": '=HYPERLINK("http://x")',
            "ind.1.actual": 95,
            "ind.1.projection": "100%",
            "ind.3.actual": Decimal("8.5"),
            "ind.6.actual": "达成",
            "ind.1.likelihood": "确定能",
            "contact.date": dt.date(2025, 7, 3),
            "contact.phone": "13800000000",
            "budget.adjusted": None,
        },
    )
    book = _load(filled)
    ws = book[SHEET_MAIN]
    fields = _field_cells(_meta(book))
    value = lambda name: ws[fields[name]].value  # noqa: E731
    assert value("spend.to_date") == 1.5 and value("spend.projected") == 3.47
    assert value("ind.1.actual") == pytest.approx(0.95) and "%" in ws[fields["ind.1.actual"]].number_format
    assert value("ind.1.projection") == "100%"
    assert value("ind.3.actual") == 8.5 and value("ind.6.actual") == "达成"
    assert value("goal.progress") == '=HYPERLINK("http://x")'
    assert ws[fields["goal.progress"]].data_type == "s"  # user text never becomes a formula
    assert value("contact.date") == dt.datetime(2025, 7, 3)
    assert value("contact.phone") == "13800000000"
    assert value("budget.adjusted") is None
    # The filled workbook is still a template: hidden map, protection, validations kept.
    assert book[SHEET_META].sheet_state == "veryHidden" and ws.protection.sheet
    assert len(ws.data_validations.dataValidation) == len(project_fields(project))
    with pytest.raises(KeyError, match=r"no\.such"):
        fill_template(template, {"no.such": 1})


def test_fill_template_accepts_a_path(tmp_path: Path) -> None:
    path = write_templates(DEPT, PERIOD, tmp_path, project=DEPT.projects[0].code)[0]
    book = _load(fill_template(path, {"contact.name": "陈刚"}))
    assert book[SHEET_MAIN][_field_cells(_meta(book))["contact.name"]].value == "陈刚"


def test_validation_texts_within_excel_limits(built: tuple[Project, bytes, openpyxl.Workbook]) -> None:
    _, _, book = built
    for dv in book[SHEET_MAIN].data_validations.dataValidation:
        assert utf16_len(dv.promptTitle) <= 32 and utf16_len(dv.errorTitle) <= 32
        assert utf16_len(dv.prompt) <= 255 and utf16_len(dv.error) <= 255


def test_lint_catches_excel_limits() -> None:
    long_list = {"validate": "list", "source": [f"选项{i:03d}" for i in range(60)]}
    assert any("下拉列表" in p for p in lint_validation(long_list))
    assert lint_validation({"validate": "any", "input_title": "𠀀" * 17})  # 34 UTF-16 units
    assert not lint_validation({"validate": "any", "input_title": "题" * 32, "input_message": "说" * 255})
    assert lint_validation({"validate": "any", "error_message": "错" * 256})
    assert lint_validation({"validate": "list", "source": ["a,b"]})

    workbook = Workbook(io.BytesIO(), {"in_memory": True})
    sheet = LintedSheet(workbook.add_worksheet("s"))
    with pytest.warns(UserWarning):  # xlsxwriter only warns, returns -2 and drops the validation
        sheet.data_validation(0, 0, 0, 0, {"validate": "list", "source": ["x" * 300], "input_title": "t"})
    sheet.write(2_000_000, 0, "beyond the last row")  # xlsxwriter returns -1 and writes nothing
    assert len(sheet.problems) >= 3
    with pytest.raises(TemplateLintError, match="模板检查未通过"):
        sheet.raise_if_problems()
    workbook.close()


def test_password_protects(tmp_path: Path) -> None:
    project = DEPT.projects[0]
    book = _load(build_template(DEPT, project, PERIOD, password="s3cret"))
    assert book[SHEET_MAIN].protection.password  # a hash, never the text
    assert "s3cret" not in str(book[SHEET_MAIN].protection.password)
    assert not _load(build_template(DEPT, project, PERIOD))[SHEET_MAIN].protection.password


# --------------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------------


def _goals_file(tmp_path: Path, department: Department) -> Path:
    from perfsheet.goals.registry import save_goals

    return save_goals(department, tmp_path / "goals.yaml")


def test_cli_writes_and_lists(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    goals = _goals_file(tmp_path, DEPT)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PERFSHEET_TEMPLATE_PASSWORD", raising=False)
    result = CliRunner().invoke(cli_main, ["templates", "--period", "2025-06", "--goals", str(goals), "--wide"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "templates-2025-06"
    assert len(list(out.glob("*.xlsx"))) == len(DEPT.projects)
    for project in DEPT.projects:
        assert project.code in result.output
    section = DEPT.projects[0].section or ""
    result = CliRunner().invoke(
        cli_main,
        ["templates", "--period", "2025-06", "--goals", str(goals), "--section", section, "--out", "one"],
    )
    assert result.exit_code == 0, result.output
    assert [p.name for p in (tmp_path / "one").iterdir()] == [
        template_filename(DEPT, DEPT.projects[0], PERIOD)
    ]


def test_cli_password_from_env_and_prompt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    goals = _goals_file(tmp_path, DEPT)
    code = DEPT.projects[0].code
    args = ["templates", "--period", "2025-06", "--goals", str(goals), "--project", code]
    monkeypatch.setenv("PERFSHEET_TEMPLATE_PASSWORD", "from-env")
    result = CliRunner().invoke(cli_main, [*args, "--out", str(tmp_path / "env")])
    assert result.exit_code == 0, result.output
    (path,) = (tmp_path / "env").iterdir()
    assert openpyxl.load_workbook(path)[SHEET_MAIN].protection.password
    assert "from-env" not in result.output
    monkeypatch.delenv("PERFSHEET_TEMPLATE_PASSWORD")
    result = CliRunner().invoke(
        cli_main, [*args, "--password", "--out", str(tmp_path / "p")], input="pw\npw\n"
    )
    assert result.exit_code == 0, result.output
    (path,) = (tmp_path / "p").iterdir()
    assert openpyxl.load_workbook(path)[SHEET_MAIN].protection.password


def test_cli_usage_errors(tmp_path: Path) -> None:
    goals = _goals_file(tmp_path, DEPT)
    runner = CliRunner()
    bad_period = runner.invoke(cli_main, ["templates", "--period", "2025-13", "--goals", str(goals)])
    assert bad_period.exit_code == 2 and "Traceback" not in bad_period.output
    bad_project = runner.invoke(
        cli_main,
        [
            "templates",
            "--period",
            "2025-06",
            "--goals",
            str(goals),
            "--project",
            "NOPE",
            "--out",
            str(tmp_path),
        ],
    )
    assert bad_project.exit_code == 2 and "未找到项目编码" in bad_project.output


def test_cli_workspace_default_out(tmp_path: Path) -> None:
    from perfsheet.workspace import init_workspace

    goals = _goals_file(tmp_path, DEPT)
    workspace = init_workspace(tmp_path / "ws", goals)
    result = CliRunner().invoke(
        cli_main, ["templates", "--period", "2025-06", "--workspace", str(workspace.root)]
    )
    assert result.exit_code == 0, result.output
    written = list(workspace.templates_dir(PERIOD).glob("*.xlsx"))
    assert len(written) == len(DEPT.projects)


def test_default_department_helper_matches_registry() -> None:
    department = default_department()
    assert department.projects and all(p.indicators for p in department.projects)
