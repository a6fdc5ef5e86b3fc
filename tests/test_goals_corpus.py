"""Goals documents in the layouts other departments publish (tests/data/goals/, made by
scripts/make_goals_corpus.py): each imports with the projects, indicators and total a person reads off
the page, says what it had to guess, and survives the goals workbook round trip."""

from __future__ import annotations

import importlib.util
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import REPO, SEED_TEXT
from lo import convert, soffice

from perfsheet.cli import main
from perfsheet.errors import GoalsDocumentError
from perfsheet.goals.document import GoalsImport, read_goals_document
from perfsheet.goals.registry import dump_goals, load_goals, load_goals_text
from perfsheet.goals.tables import GENERATED_CODE_PREFIX
from perfsheet.goals.workbook import write_goals_workbook
from perfsheet.model import Department, Op

CORPUS = REPO / "tests" / "data" / "goals"

# file → (department, year, projects, indicators, total budget in 万元), read off each page by hand.
CASES: dict[str, tuple[str, int, int, int, str]] = {
    "hunan-town-2021.docx": ("宁乡市青山镇人民政府", 2021, 2, 12, "980.5"),
    "shaanxi-county-2019.xls": ("佳县农业农村局", 2019, 1, 6, "85"),
    "guangxi-water-2021.html": ("兴宁区水利局", 2021, 1, 8, "330.984"),
    "sichuan-court-2023.xlsx": ("青川县人民法院", 2023, 3, 12, "195.6"),
    "shandong-education-2024.xlsx": ("临朐县教育和体育局", 2024, 2, 13, "318.5"),
    "henan-health-2022.md": ("金水区卫生健康委员会", 2022, 3, 15, "11580.5"),
    "zhejiang-transport-2020.txt": ("平阳县交通运输局", 2020, 2, 11, "2635.048"),
    "hubei-justice-2024.docx": ("武汉市洪山区司法局", 2024, 2, 10, "50.6"),
    "guangdong-court-2019.docx": ("广州市越秀区人民法院", 2019, 2, 9, "157.65"),
}
PROVINCES = {name.split("-")[0] for name in CASES}


def _read(name: str) -> GoalsImport:
    return read_goals_document(CORPUS / name)


def _targets(department: Department) -> dict[str, str]:
    return {i.name: i.target.raw for p in department.projects for i in p.indicators}


def test_corpus_spans_nine_layouts_from_nine_provinces() -> None:
    assert len(CASES) >= 8 and len(PROVINCES) >= 4
    assert {p.name for p in CORPUS.iterdir()} == set(CASES)
    assert {Path(n).suffix for n in CASES} == {".docx", ".xls", ".xlsx", ".html", ".md", ".txt"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_layout_imports_what_the_page_shows(name: str) -> None:
    department_name, year, projects, indicators, total = CASES[name]
    result = _read(name)
    d = result.department
    assert (d.name, d.year) == (department_name, year)
    assert (len(d.projects), d.indicator_count, d.total_budget) == (projects, indicators, Decimal(total))
    assert all(p.fiscal + p.other == p.budget for p in d.projects)
    # What a document left out is said, not silently filled: every guess is a warning with a place.
    assert all(str(problem).startswith(str(CORPUS / name)) for problem in result.problems)
    for project in d.projects:
        if project.code.startswith(GENERATED_CODE_PREFIX):
            assert any(p.code == "project-code-generated" and project.name in p.message for p in result.problems)


@pytest.mark.parametrize("name", sorted(CASES))
def test_export_then_import_gives_the_same_registry(name: str, tmp_path: Path) -> None:
    department = _read(name).department
    path = write_goals_workbook(department, tmp_path / "目标.xlsx")
    again = read_goals_document(path)
    assert again.problems == ()
    assert again.department == department
    assert dump_goals(again.department) == dump_goals(department)


def test_seed_round_trips_through_the_workbook(tmp_path: Path) -> None:
    seed = read_goals_document(SEED_TEXT).department
    again = read_goals_document(write_goals_workbook(seed, tmp_path / "g.xlsx")).department
    assert again == seed and dump_goals(again) == dump_goals(seed)
    assert str(again.projects[1].budget) == "5.00"  # decimals as written survive Excel


# --- what each layout teaches -------------------------------------------------------------------


def test_hunan_takes_the_annual_set_and_goal_not_the_long_term_one() -> None:
    result = _read("hunan-town-2021.docx")
    first = result.department.projects[0]
    assert first.goal == "完成主街道立面改造和排水管网建设"
    assert "改造道路里程" not in {i.name for i in first.indicators}  # 长期绩效指标 only
    assert [i.name for i in first.indicators][:2] == ["完成立面改造面积", "工程验收合格率"]
    assert (first.budget, first.fiscal, first.other) == (Decimal("860.5"), Decimal("560.5"), Decimal("300"))
    targets = _targets(result.department)
    assert targets["改造成本"] == "≤160元/平方米" and targets["完成时间"] == "2021年12月31日前"
    codes = [p.code for p in result.problems]
    assert codes.count("project-code-generated") == 2 and codes.count("plan-default") == 2


def test_shaanxi_xls_reads_merged_cells_and_label_colons() -> None:
    result = _read("shaanxi-county-2019.xls")
    (project,) = result.department.projects
    assert (project.budget, project.fiscal, project.other) == (Decimal(85), Decimal(80), Decimal(5))
    # 指标内容 names the indicator where there is no 三级指标; the merged 二级指标 carries down.
    assert [(i.level2, i.name) for i in project.indicators[:2]] == [("数量指标", "户厕改造户数"), ("数量指标", "垃圾清运量")]
    assert {p.code for p in result.problems} == {"project-code-generated", "plan-default"}


def test_guangxi_amounts_in_yuan_convert_exactly() -> None:
    (project,) = _read("guangxi-water-2021.html").department.projects
    assert (project.budget, project.fiscal, project.other) == (
        Decimal("330.984"), Decimal("280.984"), Decimal("50.00"),
    )
    assert len(project.indicators) == 8  # the 合计 row of 分值 is no indicator
    assert project.indicators[0].basis == "每少1座扣2分"  # 评分细则 is the basis


def test_sichuan_flat_table_cuts_projects_at_the_merged_project_cell() -> None:
    d = _read("sichuan-court-2023.xlsx").department
    assert [(p.name, p.budget, len(p.indicators)) for p in d.projects] == [
        ("审判执行业务经费", Decimal(120), 5), ("诉讼服务中心运行", Decimal("45.6"), 4), ("法庭信息化运维", Decimal(30), 3),
    ]
    targets = _targets(d)
    assert targets["审结案件数"] == "≥3800件" and targets["网上立案审核时间"] == "≤1天"
    assert targets["运维科技法庭数"] == "14个" and targets["司法公信力"] == "稳步提升"
    assert d.projects[0].goal == "保障全年审判执行工作正常开展"


def test_shandong_split_target_columns_dates_and_compound_units() -> None:
    result = _read("shandong-education-2024.xlsx")
    d = result.department
    assert [p.code for p in d.projects] == ["370724240000000123", "370724240000000456"]
    by_name = {i.name: i.target for p in d.projects for i in p.indicators}
    assert by_name["培训教师"].raw == "≥1200人/次" and by_name["培训教师"].unit == "人/次"
    assert (by_name["生均补助标准"].value, by_name["生均补助标准"].unit) == (Decimal("0.12"), "万元/人")
    tolerance = by_name["预算执行偏差"]
    assert (tolerance.raw, tolerance.op, tolerance.value) == ("±3%以内", Op.LE, Decimal(3))
    deadline = by_name["资金拨付完成时限"]
    assert deadline.raw == "2024年12月31日前" and deadline.is_qualitative  # judged 达成/未达成, never the number 45657
    (date_problem,) = [p for p in result.problems if p.code == "target-excel-date"]
    assert date_problem.where.endswith("公用经费!E11") and "45657" in date_problem.message
    assert (d.projects[0].fiscal, d.projects[0].other) == (Decimal("248.5"), Decimal(20))  # 上年结转 is other money


def test_henan_one_title_over_three_projects_and_direction_columns() -> None:
    result = _read("henan-health-2022.md")
    d = result.department
    assert [p.name for p in d.projects] == ["基本公共卫生服务", "家庭医生签约服务", "卫生监督执法"]
    targets = _targets(d)
    assert targets["传染病报告漏报率"] == "≤5%"  # 反向 with a bare number
    assert targets["居民电子健康档案建档率"] == "≥90%"  # 正向
    assert targets["居民满意度"] == "≥85%"  # an operator written stays as written
    assert [(p.month, p.percent) for p in d.projects[0].plan] == [(3, 30), (6, 60), (9, 80), (12, 100)]
    assert d.projects[0].budget == Decimal(10000)
    assert result.problems == () and result.exit_code == 0


def test_zhejiang_space_separated_rows_inherit_their_merged_cells() -> None:
    result = _read("zhejiang-transport-2020.txt")
    first = result.department.projects[0]
    assert [(i.level1, i.level2) for i in first.indicators[:3]] == [
        ("产出指标", "数量指标"), ("产出指标", "质量指标"), ("产出指标", "时效指标"),
    ]
    assert [(p.month, p.percent) for p in first.plan] == [(3, 20), (6, 50), (9, 75), (12, 100)]
    assert (first.budget, first.other) == (Decimal("2279.048"), Decimal("279.048"))
    assert first.goal == "完成全县农村公路日常养护和大中修工程"
    (problem,) = result.problems
    assert problem.code == "plan-default" and "客运站运营补助" in problem.message


def test_hubei_annual_column_beside_the_medium_term_one() -> None:
    d = _read("hubei-justice-2024.docx").department
    targets = _targets(d)
    assert targets["社区矫正对象核查"] == "≥90%" and targets["教育帮扶活动"] == "≥24场"
    assert len(d.projects[0].indicators) == 7  # two empty placeholder rows left out
    assert d.projects[1].other == Decimal(2)


def test_guangdong_tables_pasted_one_cell_per_paragraph() -> None:
    d = _read("guangdong-court-2019.docx").department
    first, second = d.projects
    assert [(i.level1, i.level2, i.name, i.target.raw) for i in first.indicators[:2]] == [
        ("产出指标", "数量指标", "运维系统数", "1套"), ("产出指标", "质量指标", "系统可用率", "≥99%"),
    ]
    # A row under merged 一级/二级 cells is written without them; it inherits both.
    assert (second.indicators[1].level1, second.indicators[1].level2) == ("产出指标", "数量指标")
    assert (second.budget, second.fiscal, second.other) == (Decimal("132.65"), Decimal("120.00"), Decimal("12.65"))
    assert first.indicators[-1].basis == "按比例计分"


# --- the command line ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CASES))
def test_cli_writes_the_registry_and_says_every_problem(name: str, tmp_path: Path) -> None:
    out = tmp_path / "goals.yaml"
    result = CliRunner().invoke(main, ["goals", "import", str(CORPUS / name), "-o", str(out)])
    expected = _read(name)
    assert result.exit_code == expected.exit_code, result.output
    assert "Traceback" not in result.output
    assert load_goals(out) == expected.department
    assert f"{len(expected.department.projects)} 个项目，{expected.department.indicator_count} 个指标" in result.output
    assert result.output.count("注意：") + result.output.count("问题：") == len(expected.problems)


def test_department_and_year_options_override_the_document(tmp_path: Path) -> None:
    out = tmp_path / "g.yaml"
    result = CliRunner().invoke(
        main, ["goals", "import", str(CORPUS / "henan-health-2022.md"), "-o", str(out), "--department", "某某局", "--year", "2026"]
    )
    assert result.exit_code == 0, result.output
    loaded = load_goals(out)
    assert (loaded.name, loaded.year) == ("某某局", 2026)


def test_a_document_without_department_or_year_asks_for_the_option(tmp_path: Path) -> None:
    text = (CORPUS / "zhejiang-transport-2020.txt").read_text(encoding="utf-8")
    bare = tmp_path / "无单位.txt"
    bare.write_text("\n".join(line for line in text.splitlines() if "平阳县" not in line and "2020" not in line), encoding="utf-8")
    with pytest.raises(GoalsDocumentError) as info:
        read_goals_document(bare)
    assert "--department" in info.value.message
    with pytest.raises(GoalsDocumentError) as info:
        read_goals_document(bare, department="平阳县交通运输局")
    assert "--year" in info.value.message and "客运站运营补助" in info.value.message  # the problems found so far
    assert read_goals_document(bare, department="平阳县交通运输局", year=2020).department.year == 2020
    result = CliRunner().invoke(main, ["goals", "import", str(bare)])
    assert result.exit_code == 2 and "--department" in result.output and "Traceback" not in result.output


def test_default_plan_option(tmp_path: Path) -> None:
    out = tmp_path / "g.yaml"
    result = CliRunner().invoke(
        main, ["goals", "import", str(CORPUS / "sichuan-court-2023.xlsx"), "-o", str(out), "--plan", "6:40,12:100"]
    )
    assert result.exit_code == 1
    assert all([(p.month, p.percent) for p in project.plan] == [(6, 40), (12, 100)] for project in load_goals(out).projects)
    bad = CliRunner().invoke(main, ["goals", "import", str(CORPUS / "sichuan-court-2023.xlsx"), "--plan", "6:40"])
    assert bad.exit_code == 2 and "--plan" in bad.output


# --- the fixtures are the script's ---------------------------------------------------------------


def test_text_fixtures_are_what_the_script_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = importlib.util.spec_from_file_location("make_goals_corpus", REPO / "scripts" / "make_goals_corpus.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "OUT", tmp_path)
    for build in (module.guangxi_water, module.henan_health, module.zhejiang_transport):
        build()
    for made in tmp_path.iterdir():
        assert made.read_bytes() == (CORPUS / made.name).read_bytes(), (
            f"{made.name} is stale: run  python scripts/make_goals_corpus.py"
        )


def test_registry_check_applies_to_every_import() -> None:
    for name in CASES:
        department = _read(name).department
        assert load_goals_text(dump_goals(department)) == replace(department)


def test_docs_python_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import re
    import shutil

    (block,) = re.findall(r"```python\n(.*?)```", (REPO / "docs" / "goals.md").read_text(encoding="utf-8"), flags=re.S)
    shutil.copyfile(CORPUS / "guangxi-water-2021.html", tmp_path / "目标表.html")
    monkeypatch.chdir(tmp_path)
    exec(compile(block, "docs/goals.md", "exec"), {})
    assert read_goals_document(tmp_path / "目标.xlsx").department.total_budget == Decimal("330.984")


@pytest.mark.libreoffice
@pytest.mark.skipif(soffice() is None, reason="LibreOffice is not installed")
@pytest.mark.parametrize(("suffix", "fmt"), [(".docx", "docx:MS Word 2007 XML"), (".xlsx", "xls"), (".xlsx", "ods"),
                                             (".xls", "xlsx:Calc MS Excel 2007 XML")])
def test_corpus_saved_again_by_libreoffice_reads_the_same(suffix: str, fmt: str, tmp_path: Path) -> None:
    """A second client: the same documents opened and saved by LibreOffice (Word/Excel/Calc formats)."""
    sources = sorted(CORPUS / name for name in CASES if name.endswith(suffix))
    for source, resaved in zip(sources, convert(sources, fmt, tmp_path), strict=True):
        assert read_goals_document(resaved).department == _read(source.name).department, source.name
