"""The goals workbook: ``perfsheet goals export`` writes what a clerk can fix in Excel, ``goals import``
reads it back exactly, and a wrong edit is reported where it is (sheet!cell), every one at once."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lo import convert_one, soffice

from perfsheet.cli import main
from perfsheet.errors import GoalsDocumentError
from perfsheet.goals.document import read_goals_document
from perfsheet.goals.registry import dump_goals, load_default, load_goals
from perfsheet.goals.workbook import (
    INDICATOR_COLUMNS,
    PROJECT_COLUMNS,
    SECTION_COLUMNS,
    SHEETS,
    goals_workbook_bytes,
    write_goals_workbook,
)
from perfsheet.model import Department


@pytest.fixture(scope="module")
def default() -> Department:
    return load_default()


@pytest.fixture()
def exported(default: Department, tmp_path: Path) -> Path:
    return write_goals_workbook(default, tmp_path / "目标.xlsx")


def _without_roster(department: Department) -> Department:
    """What a goals file holds: chiefs, e-mails and who fills the 部门整体 form live in perfsheet.yaml."""
    return dataclasses.replace(
        department, sections=tuple(dataclasses.replace(s, chief="", email="") for s in department.sections),
        overall_section=None,
    )


def test_embedded_goals_round_trip_exactly(default: Department, exported: Path) -> None:
    again = read_goals_document(exported)
    assert again.problems == () and again.exit_code == 0
    assert again.department == _without_roster(default)
    assert dump_goals(again.department) == dump_goals(default)
    assert [p.section for p in again.department.projects] == [p.section for p in default.projects]


def test_sheets_headers_and_values(default: Department, exported: Path) -> None:
    wb = openpyxl.load_workbook(exported)
    assert wb.sheetnames == list(SHEETS)
    projects, indicators = wb["项目"], wb["指标"]
    assert [c.value for c in projects[1]] == [c.header for c in PROJECT_COLUMNS]
    assert [c.value for c in indicators[1]] == [c.header for c in INDICATOR_COLUMNS]
    assert [c.value for c in wb["科室"][1]] == [c.header for c in SECTION_COLUMNS]
    assert projects.max_row == 1 + len(default.projects)
    assert indicators.max_row == 1 + default.indicator_count == 75
    first = default.projects[0]
    assert projects["A2"].value == first.code and projects["A2"].data_type == "s"
    assert projects["D2"].value == float(first.budget) and projects["D2"].number_format == "0.00"
    assert [projects.cell(2, 9 + m - 1).value for m in (3, 6, 10, 12)] == [25, 50, 75, 100]
    assert projects.cell(2, 9).value is None  # no checkpoint in January
    department = wb["部门整体目标"]
    assert (department["A1"].value, department["B1"].value) == ("部门名称", "路南区司法局")
    assert department["B2"].value == 2025
    targets = {department.cell(r, 1).value: department.cell(r, 2).value for r in range(9, department.max_row + 1)}
    assert targets["再犯罪率"] == "≤0.2%" and len(targets) == 6
    help_rows = [(r[0].value, r[1].value) for r in wb["填表说明"].iter_rows(min_row=3)]
    assert ("项目", "预算数（万元）") in help_rows and ("指标", "指标值") in help_rows


def test_every_column_has_a_validation_with_an_input_message(exported: Path) -> None:
    wb = openpyxl.load_workbook(exported)
    for sheet_name, columns in (("项目", PROJECT_COLUMNS), ("指标", INDICATOR_COLUMNS), ("科室", SECTION_COLUMNS)):
        sheet = wb[sheet_name]
        covered: dict[str, str] = {}
        for validation in sheet.data_validations.dataValidation:
            assert validation.prompt and validation.showInputMessage
            for cell_range in validation.sqref.ranges:  # a set of ranges
                covered[cell_range.coord.split(":")[0].rstrip("0123456789")] = validation.type or "any"
        letters = [openpyxl.utils.get_column_letter(k) for k in range(1, len(columns) + 1)]
        assert set(letters) <= set(covered), (sheet_name, set(letters) - set(covered))
    kinds = {next(iter(v.sqref.ranges)).coord.split(":")[0]: v for v in wb["项目"].data_validations.dataValidation}
    assert kinds["C2"].type == "list" and kinds["C2"].formula1 == "科室!$A$2:$A$500"
    assert kinds["D2"].type == "decimal" and kinds["I2"].type == "decimal"


def test_export_is_byte_stable(default: Department) -> None:
    assert goals_workbook_bytes(default) == goals_workbook_bytes(default)


def _edit(path: Path, edits: dict[tuple[str, str], object]) -> Path:
    """A clerk's edit in Excel (openpyxl stands in; the workbook is ours, not a user's return)."""
    wb = openpyxl.load_workbook(path)
    for (sheet, cell), value in edits.items():
        wb[sheet][cell] = value
    out = path.with_name("改过.xlsx")
    wb.save(out)
    return out


def test_a_clerks_fix_is_read_back(default: Department, exported: Path) -> None:
    fixed = _edit(exported, {("项目", "A2"): "13020225P000000000X", ("指标", "A2"): "13020225P000000000X",
                             ("指标", "A3"): "13020225P000000000X", ("指标", "A4"): "13020225P000000000X",
                             ("指标", "A5"): "13020225P000000000X", ("指标", "A6"): "13020225P000000000X",
                             ("指标", "A7"): "13020225P000000000X", ("指标", "A8"): "13020225P000000000X",
                             ("项目", "D2"): 4.5, ("项目", "E2"): 4.5, ("指标", "G2"): "≥98%"})
    again = read_goals_document(fixed).department
    first = again.projects[0]
    assert first.code == "13020225P000000000X" and first.budget == Decimal("4.50")
    assert first.indicators[0].target.raw == "≥98%" and again.total_budget == default.total_budget + Decimal("1.03")


def test_every_wrong_edit_is_reported_with_its_cell(exported: Path) -> None:
    broken = _edit(exported, {
        ("项目", "D2"): "三万",  # no number
        ("项目", "B3"): None,  # no name
        ("项目", "T4"): 90,  # 12月 not 100
        ("项目", "C5"): "不存在的科室",
        ("指标", "G2"): "≥九十%",  # unreadable target
        ("指标", "A3"): "没有这个项目",
        ("部门整体目标", "B2"): "二〇二五",
    })
    with pytest.raises(GoalsDocumentError) as info:
        read_goals_document(broken)
    message = info.value.message
    for cell in ("项目!D2", "项目!B3", "项目!T4", "项目!C5", "指标!G2", "指标!A3", "部门整体目标!B2"):
        assert f"{broken}:{cell}: " in message, cell
    assert "“没有这个项目”不在“项目”表中" in message and "不在“科室”表中" in message
    assert message.startswith("目标工作簿有 ") and message.count("\n") == int(message.split(" ")[1])


def test_cli_export_then_import(tmp_path: Path) -> None:
    runner = CliRunner()
    workbook = tmp_path / "目标.xlsx"
    result = runner.invoke(main, ["goals", "export", str(workbook)])
    assert result.exit_code == 0, result.output
    assert "9 个项目，74 个指标" in result.output
    again = runner.invoke(main, ["goals", "export", str(workbook)])
    assert again.exit_code == 2 and "--force" in again.output
    out = tmp_path / "2025.yaml"
    result = runner.invoke(main, ["goals", "import", str(workbook), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert dump_goals(load_goals(out)) == dump_goals(load_default())
    wrong = runner.invoke(main, ["goals", "export", str(tmp_path / "目标.xls")])
    assert wrong.exit_code == 2 and ".xlsx" in wrong.output


def test_cli_export_of_a_goals_file(tmp_path: Path) -> None:
    from perfsheet.goals.registry import save_goals

    goals = save_goals(load_default(), tmp_path / "g.yaml")
    workbook = tmp_path / "g.xlsx"
    result = CliRunner().invoke(main, ["goals", "export", str(workbook), "--goals", str(goals)])
    assert result.exit_code == 0, result.output
    assert dump_goals(read_goals_document(workbook).department) == goals.read_text(encoding="utf-8")


def test_broken_workbook_is_one_chinese_line(tmp_path: Path) -> None:
    fake = tmp_path / "目标.xlsx"
    fake.write_bytes(b"PK\x03\x04 not really")
    result = CliRunner().invoke(main, ["goals", "import", str(fake)])
    assert result.exit_code == 2 and "Traceback" not in result.output and "xlsx" in result.output


@pytest.mark.libreoffice
@pytest.mark.skipif(soffice() is None, reason="LibreOffice is not installed")
def test_workbook_saved_again_by_libreoffice_reads_the_same(default: Department, tmp_path: Path) -> None:
    """A second client: the clerk opens the workbook in LibreOffice Calc and saves it as .xlsx."""
    source = write_goals_workbook(default, tmp_path / "src" / "目标.xlsx")
    resaved = convert_one(source, "xlsx:Calc MS Excel 2007 XML", tmp_path / "out")
    assert dump_goals(read_goals_document(resaved).department) == dump_goals(default)


# --- any registry survives the workbook --------------------------------------------------------------

_words = st.text(alphabet="项目资金指标保障工作率件次abcXYZ 1234567890%（）、，。=+'\n", min_size=1, max_size=14).filter(
    lambda s: s.strip() != ""
)
_optional = st.one_of(st.just(""), _words)
_targets = st.sampled_from(["≥95%", "≤0.05%", "100%", "2次", "≤127.5元", "化解社会矛盾", "≥1200人/次", "±3%以内", "2025年12月31日前"])
@st.composite
def _departments(draw: st.DrawFn) -> Department:
    from perfsheet.model import DepartmentTarget, Indicator, PlanPoint, Project, Section
    from perfsheet.targets import parse_target

    section_names = draw(st.lists(_words, max_size=3, unique=True))
    sections = tuple(Section(name=n, duties=draw(_optional)) for n in section_names)
    projects = []
    for index in range(draw(st.integers(1, 3))):
        indicators = tuple(
            Indicator(n=n, level1=draw(st.sampled_from(["产出指标", "效益指标", "满意度指标", "自定义指标"])),
                      level2=draw(_words), name=draw(_words), description=draw(_optional),
                      target=parse_target(draw(_targets)), basis=draw(_optional),
                      weight=draw(st.one_of(st.none(), st.integers(0, 10000).map(lambda v: Decimal(v).scaleb(-2)),
                                            st.integers(0, 100).map(Decimal))))
            for n in range(1, draw(st.integers(1, 4)) + 1)
        )
        fiscal = Decimal(draw(st.integers(0, 10**8))).scaleb(-draw(st.integers(0, 4)))
        other = Decimal(draw(st.integers(0, 10**6))).scaleb(-draw(st.integers(0, 2)))
        months = [*sorted(draw(st.sets(st.integers(1, 11), max_size=4))), 12]
        percents = sorted(draw(st.lists(st.integers(0, 200).map(lambda v: Decimal(v) / 2), min_size=len(months) - 1,
                                        max_size=len(months) - 1)))
        projects.append(Project(
            code=f"P{index}{draw(st.text(alphabet='ABC0123456789', min_size=1, max_size=18))}",
            name=draw(_words), budget=fiscal + other, fiscal=fiscal, other=other, purpose=draw(_optional),
            goal=draw(_optional), plan=tuple(PlanPoint(m, p) for m, p in zip(months, [*percents, Decimal(100)], strict=True)),
            indicators=indicators, section=draw(st.one_of(st.none(), st.sampled_from(section_names))) if section_names else None,
        ))
    targets = tuple(DepartmentTarget(draw(_words), parse_target(draw(_targets))) for _ in range(draw(st.integers(0, 2))))
    return Department(
        name=draw(_words), year=draw(st.integers(2000, 2100)), sections=sections, projects=tuple(projects),
        overall_goal=draw(_optional), section_goals=draw(_optional), measures=draw(_optional), department_targets=targets,
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(department=_departments())
def test_any_registry_survives_the_workbook(department: Department, tmp_path: Path) -> None:
    path = write_goals_workbook(department, tmp_path / "g.xlsx")
    again = read_goals_document(path).department
    assert again == department
    assert dump_goals(again) == dump_goals(department)


# --- the indicator's own 分值 and the draft of next year's goals ------------------------------------


def _with_weights(department: Department, weights: dict[int, Decimal]) -> Department:
    """The first project with its n-th indicators given their own 分值."""
    first = department.projects[0]
    indicators = tuple(dataclasses.replace(i, weight=weights.get(i.n)) for i in first.indicators)
    return dataclasses.replace(department, projects=(dataclasses.replace(first, indicators=indicators),
                                                     *department.projects[1:]))


def test_an_indicators_own_weight_round_trips_through_yaml_and_the_workbook(default: Department,
                                                                           tmp_path: Path) -> None:
    weighted = _with_weights(default, {1: Decimal("12.5"), 2: Decimal("7.25"), 3: Decimal(0)})
    path = write_goals_workbook(weighted, tmp_path / "分值.xlsx")
    sheet = openpyxl.load_workbook(path)["指标"]
    headers = [c.value for c in sheet[1]]
    column = headers.index("分值") + 1
    assert [sheet.cell(r, column).value for r in (2, 3, 4, 5)] == [12.5, 7.25, 0, None]
    assert sheet.cell(3, column).number_format == "0.00"  # two decimals kept as written
    again = read_goals_document(path)
    assert again.problems == () and again.department == _without_roster(weighted)
    text = dump_goals(weighted)
    assert "    weight: 12.5\n" in text and "    weight: 7.25\n" in text
    assert "weight" not in dump_goals(default)  # a registry without weights is written as before
    from perfsheet.goals.registry import load_goals_text

    assert load_goals_text(text).projects[0].indicators[1].weight == Decimal("7.25")


def test_a_wrong_weight_is_reported_in_its_cell(exported: Path) -> None:
    sheet = openpyxl.load_workbook(exported)["指标"]
    letter = openpyxl.utils.get_column_letter([c.value for c in sheet[1]].index("分值") + 1)
    broken = _edit(exported, {("指标", f"{letter}2"): 120, ("指标", f"{letter}3"): 3.333,
                              ("指标", f"{letter}4"): "五分"})
    with pytest.raises(GoalsDocumentError) as info:
        read_goals_document(broken)
    message = info.value.message
    assert f"{broken}:指标!{letter}2: 分值 120 应在 0–100 之间" in message
    assert f"{broken}:指标!{letter}3: 分值 3.333 最多2位小数" in message
    assert f"{broken}:指标!{letter}4: 分值“五分”不是数字" in message


def test_a_weight_in_the_yaml_is_checked_on_its_line(default: Department) -> None:
    from perfsheet.errors import RegistryError
    from perfsheet.goals.registry import load_goals_text

    text = dump_goals(_with_weights(default, {1: Decimal(5)}))
    line = text.splitlines().index("    weight: 5") + 1
    for wrong, says in (("5.125", "最多2位小数"), ("101", "应在 0–100 之间"), ("很多", "应为数字")):
        with pytest.raises(RegistryError) as info:
            load_goals_text(text.replace("    weight: 5", f"    weight: {wrong}"))
        assert info.value.line == line and says in info.value.message


def test_an_unfilled_draft_of_next_year_is_read_with_a_warning_per_cell(default: Department, tmp_path: Path) -> None:
    from perfsheet.goals.nextyear import draft_next_year

    first = default.projects[0]
    draft = draft_next_year(default, 2026, {(first.code, 1): "96%", (first.code, 2): "达成"})
    assert draft.references == {("待填01", 1): "96%", ("待填01", 2): "达成"}
    path = write_goals_workbook(draft.department, tmp_path / "2026-草稿.xlsx", references=draft.references)
    sheet = openpyxl.load_workbook(path)["指标"]
    headers = [c.value for c in sheet[1]]
    reference = headers.index("上年实际完成值（参考）") + 1
    assert [sheet.cell(r, reference).value for r in (2, 3, 4)] == ["96%", "达成", None]
    result = read_goals_document(path)
    assert result.exit_code == 1
    # Every placeholder code and every zero budget, each at its cell of the 项目 sheet (rows 2–10).
    expected = {("project-code-placeholder", f"{path}:项目!A{r}") for r in range(2, 2 + len(default.projects))}
    expected |= {("project-budget-zero", f"{path}:项目!D{r}") for r in range(2, 2 + len(default.projects))}
    assert {(p.code, p.where) for p in result.problems} == expected
    # The reference is shown, never read: the basis is this year's, unchanged.
    assert [i.basis for p in result.department.projects for i in p.indicators] == [
        i.basis for p in default.projects for i in p.indicators]
    # Filled in (codes and money), the draft reads back without a word.
    edits: dict[tuple[str, str], object] = {}
    for r in range(2, 2 + len(default.projects)):
        edits[("项目", f"A{r}")] = f"13020226P{r:03d}"
        edits[("项目", f"D{r}")] = 1.5
        edits[("项目", f"E{r}")] = 1.5
    for r in range(2, 2 + default.indicator_count):
        code = sheet.cell(r, 1).value
        edits[("指标", f"A{r}")] = f"13020226P{int(code[2:]) + 1:03d}"
    filled = read_goals_document(_edit(path, edits))
    assert filled.problems == () and filled.department.total_budget == Decimal("1.5") * len(default.projects)
