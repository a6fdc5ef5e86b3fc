"""Goals-document import: the seed's text export and .docx versions of it give the same registry."""

from __future__ import annotations

import re
import zipfile
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from conftest import SEED_TEXT
from goalsdoc_helpers import seed_as_html, seed_as_xlsx, seed_cells_by_project, text_export_to_docx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lo import convert_one, soffice

from perfsheet.cli import PerfsheetGroup
from perfsheet.cli.goals_import import import_command
from perfsheet.errors import GoalsDocumentError
from perfsheet.goals.cells import TableBlock, read_blocks
from perfsheet.goals.document import (
    GoalsImport,
    import_goals_document,
    parse_goals_text,
    read_goals_document,
    write_goals_docx,
)
from perfsheet.goals.vocabulary import column_role, label_role
from perfsheet.model import Department, Indicator, PlanPoint, Project
from perfsheet.targets import parse_target

SIX_SECTIONS = (
    "办公室",
    "法治政研督查和宣教科（秘书科）",
    "执法监督和复议应诉科",
    "基层科",
    "社区矫正管理科",
    "政治处",
)
# Cells of the seed's tables that are labels of the form, not data.
FORM_LABELS = {
    "单位：万元",
    "项目编码",
    "项目名称",
    "预算规模及资金用途",
    "预算数",
    "其中：财政    资金",
    "其他资金",
    "资金支出计划（%）",
    "3月底",
    "6月底",
    "10月底",
    "12月底",
    "绩效目标",
    "一级指标",
    "二级指标",
    "三级指标",
    "绩效指标描述",
    "指标值",
    "指标值确定依据",
    "",
}


@pytest.fixture(scope="module")
def seed() -> Department:
    return import_goals_document(SEED_TEXT)


@pytest.fixture(scope="module")
def seed_lines() -> list[str]:
    return SEED_TEXT.read_text(encoding="utf-8").split("\n")


def _line_of(lines: list[str], needle: str, start: int = 0) -> int:
    """1-based number of the first line equal to ``needle`` at or after line ``start`` (1-based)."""
    for number in range(max(start, 1), len(lines) + 1):
        if lines[number - 1] == needle:
            return number
    raise AssertionError(needle)


# --- the seed, field for field -----------------------------------------------------------------


def test_seed_ground_truth(seed: Department) -> None:
    assert (seed.name, seed.year) == ("路南区司法局", 2025)
    assert len(seed.projects) == 9
    assert seed.indicator_count == 74
    assert seed.total_budget == Decimal("101.47")
    assert all(p.fiscal == p.budget and p.other == 0 for p in seed.projects)
    expected_plan = tuple(PlanPoint(m, Decimal(v)) for m, v in ((3, 25), (6, 50), (10, 75), (12, 100)))
    assert all(p.plan == expected_plan for p in seed.projects)
    assert [len(p.indicators) for p in seed.projects] == [7, 9, 9, 7, 8, 9, 8, 9, 8]
    assert all(p.section is None for p in seed.projects)  # the roster is kept apart


def test_money_is_kept_as_written(seed: Department) -> None:
    project = seed.project("13020225P00815610002E")
    assert str(project.budget) == "5.00" and str(project.fiscal) == "5.00"
    assert str(seed.projects[0].budget) == "3.47"


def test_every_seed_cell_is_a_field_and_every_field_a_seed_cell(seed: Department) -> None:
    tables = seed_cells_by_project(SEED_TEXT.read_text(encoding="utf-8"))
    assert len(tables) == len(seed.projects)
    for (title, cells), project in zip(tables, seed.projects, strict=True):
        assert title.endswith(f"{project.name}绩效目标表")
        values = {
            project.code,
            project.name,
            str(project.budget),
            str(project.fiscal),
            project.purpose,
            project.goal,
            *(f"{p.percent}%" for p in project.plan),
        }
        for ind in project.indicators:
            values |= {ind.level1, ind.level2, ind.name, ind.description, ind.target.raw, ind.basis}
        data_cells = [c for c in cells if c not in FORM_LABELS]
        assert set(data_cells) <= values, set(data_cells) - values
        assert values <= set(data_cells), values - set(data_cells)
        # Each indicator's row, read left to right, is a run of the table's cells (一级指标 may be merged).
        joined = "\u0001".join(cells)
        for ind in project.indicators:
            tail = "\u0001".join([ind.level2, ind.name, ind.description, ind.target.raw, ind.basis])
            assert tail in joined, (project.name, ind.n)


def test_every_indicator_target_is_parsed(seed: Department) -> None:
    for project in seed.projects:
        for ind in project.indicators:
            assert ind.target == parse_target(ind.target.raw)


def test_source_text_kept_with_its_typos(seed: Department) -> None:
    names = [i.name for p in seed.projects for i in p.indicators]
    assert names.count("较少行政执法过程中的争议") == 3
    first = seed.projects[0]
    resolve = first.indicators[5]
    assert (resolve.name, resolve.target.raw, resolve.basis) == ("化解社会矛盾", "化解社会矛盾", "经验标准")
    assert resolve.target.is_qualitative
    assert first.indicators[6].level1 == "满意度指标"
    assert seed.project("13020225P008154100023").purpose == "用于支付路南区人民政府法律顾问相关费用"


def test_part1_sections_and_texts(seed: Department, seed_lines: list[str]) -> None:
    assert tuple(s.name for s in seed.sections) == SIX_SECTIONS
    # Duty text as written: "（秘书处）" and "(安置帮教办公室)" are only in the numbered list.
    assert seed.sections[1].duties.startswith("负责处理区委依法治区办日常事务;")
    assert seed.sections[4].duties.startswith("负责监督检查社区矫正法律法规和政策的执行工作。")
    # The export broke 基层科's duties after "村居法"; the import joins the two lines.
    assert "村居法律顾问工作;指导律师行业党建工作" in seed.sections[3].duties
    assert seed.overall_goal.startswith("在2025年度，我局在区委区政府的领导下")
    assert seed.overall_goal.count("\n") == 10
    assert seed.section_goals.startswith("路南司法局下设办公室、") and seed.section_goals.endswith(
        "满意率在95%以上。"
    )
    assert seed.measures.startswith("1、思想政治保障措施。") and seed.measures.endswith("进一步提升。")
    # Every line of Part 1 ends up somewhere (headings and the one connecting sentence aside).
    part1 = seed_lines[: seed_lines.index("第二部分")]
    kept = "\n".join(
        [seed.overall_goal, seed.section_goals, seed.measures, *(s.duties for s in seed.sections)]
    )
    skipped = {"第一部分", "部门整体绩效目标", "一、总体绩效目标", "二、分项绩效目标", "三、工作保障措施"}
    skipped.add("现将各个职能机构绩效目标情况说明如下：")
    for line in part1:
        text = re.sub(r"\[bookmark: [^\]]*\]", "", line).strip()
        if not text or text in skipped:
            continue
        body = re.sub(r"^\d\.[^。]+。", "", text)  # "1.办公室。" → duty text
        assert body in kept, line


def test_department_targets(seed: Department) -> None:
    targets = {t.name: t.target.raw for t in seed.department_targets}
    assert targets == {
        "社区矫正人员人员核查率": "≥90%",
        "再犯罪率": "≤0.2%",
        "局机关及司法所举办活动": "≥30场",
        "发放宣传品数量": "≥5万册",
        "法律咨询": "≥150次",
        "满意率": "≥95%",
    }
    assert all(t.target == parse_target(t.target.raw) for t in seed.department_targets)


def test_windows_export_gb18030_crlf(seed: Department, tmp_path: Path) -> None:
    path = tmp_path / "目标（GBK）.txt"
    path.write_bytes(SEED_TEXT.read_text(encoding="utf-8").replace("\n", "\r\n").encode("gb18030"))
    assert import_goals_document(path) == seed


def test_department_name_override() -> None:
    text = SEED_TEXT.read_text(encoding="utf-8")
    assert parse_goals_text(text, department="路南司法局").name == "路南司法局"


# --- .docx -----------------------------------------------------------------------------------


def test_docx_of_the_export_imports_to_the_same_registry(seed: Department, tmp_path: Path) -> None:
    path = text_export_to_docx(SEED_TEXT.read_text(encoding="utf-8"), tmp_path / "目标.docx")
    xml = zipfile.ZipFile(path).read("word/document.xml").decode()
    assert xml.count('<w:vMerge w:val="restart"/>') >= 9 * 3  # merged 一级指标 in every table
    assert "<w:gridSpan" in xml
    assert import_goals_document(path) == seed


def test_written_docx_round_trips_and_is_byte_stable(seed: Department, tmp_path: Path) -> None:
    first = write_goals_docx(seed, tmp_path / "a.docx")
    second = write_goals_docx(seed, tmp_path / "b.docx")
    assert first.read_bytes() == second.read_bytes()
    assert import_goals_document(first) == seed
    tables = sum(1 for block in read_blocks(first) if isinstance(block, TableBlock))
    assert tables == 2 * 9  # money table + indicator table per project


def test_markdown_of_the_registry_imports_to_the_same_registry(seed: Department, tmp_path: Path) -> None:
    from perfsheet.report.narrative import render_goals_markdown

    path = tmp_path / "目标.md"
    path.write_text(render_goals_markdown(seed), encoding="utf-8")
    result = read_goals_document(path)
    assert result.problems == () and result.department == seed


@pytest.mark.parametrize("kind", ["xlsx", "html"])
def test_the_seed_tables_as_excel_and_web_page(seed: Department, tmp_path: Path, kind: str) -> None:
    """The same nine tables, merges and all, in a workbook and on a web page: the same projects."""
    make = seed_as_xlsx if kind == "xlsx" else seed_as_html
    path = make(seed, tmp_path / f"目标.{kind}")
    result = read_goals_document(path, department=seed.name)
    assert result.problems == ()
    assert result.department.projects == seed.projects and result.department.year == 2025


# Texts built from the words labels use, but never a whole label ("项目资金", "预算数"): a cell holding
# exactly a label is read as that label (a document cannot tell the two apart, and neither can we).
_text = st.text(alphabet="项目资金指标保障工作率件次abc1234567890%（）、，", min_size=1, max_size=12).filter(
    lambda s: s.strip() == s and label_role(s)[0] is None and column_role(s) is None
)
_targets = st.sampled_from(["≥95%", "≤0.05%", "100%", "2次", "≤127.5元", "化解社会矛盾", "≥5万元", "≥360件"])


@st.composite
def _projects(draw: st.DrawFn, index: int) -> Project:
    levels = draw(st.lists(st.sampled_from(["产出指标", "效益指标", "满意度指标"]), min_size=1, max_size=6))
    indicators = tuple(
        Indicator(
            n=n,
            level1=level1,
            level2=draw(_text),
            name=draw(_text),
            description=draw(st.one_of(st.just(""), _text)),
            target=parse_target(draw(_targets)),
            basis=draw(_text),
        )
        for n, level1 in enumerate(levels, start=1)
    )
    months = [*sorted(draw(st.sets(st.integers(1, 11), max_size=4))), 12]
    percents = sorted(draw(st.lists(st.integers(0, 100), min_size=len(months) - 1, max_size=len(months) - 1)))
    fiscal = Decimal(draw(st.integers(0, 10**6))).scaleb(-2)
    other = Decimal(draw(st.integers(0, 10**4))).scaleb(-2)
    return Project(
        code=f"P{index:03d}{draw(st.text(alphabet='ABCXYZ0123456789', min_size=3, max_size=8))}",
        name=draw(_text),
        budget=fiscal + other,
        fiscal=fiscal,
        other=other,
        purpose=draw(_text),
        goal=draw(_text),
        plan=tuple(PlanPoint(m, Decimal(p)) for m, p in zip(months, [*percents, 100], strict=True)),
        indicators=indicators,
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_registry_survives_docx(seed: Department, tmp_path: Path, data: st.DataObject) -> None:
    projects = tuple(data.draw(_projects(i)) for i in range(data.draw(st.integers(1, 3))))
    department = replace(seed, projects=projects)
    path = write_goals_docx(department, tmp_path / "g.docx")
    assert import_goals_document(path) == department


@pytest.mark.libreoffice
@pytest.mark.skipif(soffice() is None, reason="LibreOffice is not installed")
def test_docx_resaved_by_libreoffice(seed: Department, tmp_path: Path) -> None:
    """A second client: LibreOffice Writer re-saves the document; the import must not change."""
    source = write_goals_docx(seed, tmp_path / "src" / "目标.docx")
    resaved = convert_one(source, "docx:MS Word 2007 XML", tmp_path / "out")
    assert import_goals_document(resaved) == seed


# --- bad documents: every problem at once, each where a person finds it -------------------------------


def _broken(tmp_path: Path, text: str, suffix: str = ".txt") -> Path:
    path = tmp_path / "broken.txt"
    path.write_text(text, encoding="utf-8")
    if suffix == ".docx":
        return text_export_to_docx(text, tmp_path / "broken.docx")
    return path


def _error(path: Path) -> GoalsDocumentError:
    with pytest.raises(GoalsDocumentError) as info:
        import_goals_document(path)
    return info.value


def _problems(path: Path) -> GoalsImport:
    result = read_goals_document(path)
    assert result.problems and result.exit_code == 1
    return result


@pytest.fixture()
def seed_text_raw() -> str:
    return SEED_TEXT.read_text(encoding="utf-8")


def test_seed_has_no_problems(seed: Department) -> None:
    result = read_goals_document(SEED_TEXT)
    assert result.problems == () and result.exit_code == 0 and result.department == seed


def test_missing_part2_tables(tmp_path: Path, seed_text_raw: str) -> None:
    error = _error(_broken(tmp_path, seed_text_raw[: seed_text_raw.index("第二部分")]))
    assert "没有找到项目绩效目标表" in error.message and error.line is None


def test_missing_indicator_header_leaves_that_project_out(
    tmp_path: Path, seed_text_raw: str, seed_lines: list[str]
) -> None:
    header = "\t一级指标\n\t二级指标\n\t三级指标\n\t绩效指标描述\n\t指标值\n\t指标值确定依据\n\n"
    at = seed_text_raw.index(header, seed_text_raw.index("3、2025年依法治区"))
    text = seed_text_raw[:at] + seed_text_raw[at + len(header) :]
    result = _problems(_broken(tmp_path, text))
    assert len(result.department.projects) == 8
    title_line = _line_of(seed_lines, "3、2025年依法治区专项经费绩效目标表")
    codes = {p.code for p in result.problems}
    assert "project-no-indicators" in codes
    missing = next(p for p in result.problems if p.code == "project-no-indicators")
    assert missing.where == f"{tmp_path / 'broken.txt'}:{title_line}" and "依法治区专项经费" in missing.message
    docx_result = _problems(_broken(tmp_path, text, ".docx"))
    assert len(docx_result.department.projects) == 8


def test_broken_target_stays_visible_as_qualitative(
    tmp_path: Path, seed_text_raw: str, seed_lines: list[str]
) -> None:
    text = seed_text_raw.replace("\t≥10件\n", "\t≥十件\n")
    result = _problems(_broken(tmp_path, text))
    (problem,) = result.problems
    assert problem.code == "target-unreadable" and problem.where.endswith(f":{_line_of(seed_lines, chr(9) + '≥10件')}")
    assert "≥十件" in problem.message
    marked = [i for p in result.department.projects for i in p.indicators if "十件" in i.target.raw]
    assert [i.target.raw for i in marked] == ["【请核对】≥十件"] and marked[0].target.is_qualitative
    (docx_problem,) = _problems(_broken(tmp_path, text, ".docx")).problems
    assert docx_problem.where.endswith("第 4 个表格第 3 行第 5 格")


def test_totals_that_do_not_add_up(tmp_path: Path, seed_text_raw: str, seed_lines: list[str]) -> None:
    text = seed_text_raw.replace("\t其中：财政    资金\n\t3.47\n", "\t其中：财政    资金\n\t3.40\n")
    result = _problems(_broken(tmp_path, text))
    (problem,) = result.problems
    assert problem.code == "money-mismatch" and problem.where.endswith(f":{_line_of(seed_lines, chr(9) + '3.47')}")
    first = result.department.projects[0]
    assert (first.budget, first.fiscal, first.other) == (Decimal("3.47"), Decimal("3.40"), Decimal("0.07"))


def test_plan_not_ending_at_100_gets_the_default(tmp_path: Path, seed_text_raw: str, seed_lines: list[str]) -> None:
    start = seed_text_raw.index("2、2025年行政复议")
    at = seed_text_raw.index("\t100%\n", start)
    text = seed_text_raw[:at] + "\t90%\n" + seed_text_raw[at + len("\t100%\n") :]
    (problem,) = _problems(_broken(tmp_path, text)).problems
    assert problem.code == "plan-invalid" and "100%" in problem.message
    assert problem.where.endswith(
        f":{_line_of(seed_lines, chr(9) + '100%', _line_of(seed_lines, '2、2025年行政复议专项工作经费绩效目标表'))}"
    )


def test_irregular_row_that_cannot_complete(
    tmp_path: Path, seed_text_raw: str, seed_lines: list[str]
) -> None:
    text = seed_text_raw.replace(
        "\t化解社会矛盾\n\n\t经验标准\n", "\t化解社会矛盾\n\n\t经验标准\n\t多余\n", 1
    )
    result = _problems(_broken(tmp_path, text))
    problem = result.problems[0]
    assert problem.code == "indicator-row-width" and "6 个单元格" in problem.message
    assert result.department.projects[0].indicators[-1].name != "化解社会矛盾"


def test_several_problems_are_reported_together(tmp_path: Path, seed_text_raw: str) -> None:
    text = seed_text_raw.replace("\t≥10件\n", "\t≥十件\n").replace(
        "\t其中：财政    资金\n\t3.47\n", "\t其中：财政    资金\n\t3.40\n"
    )
    result = _problems(_broken(tmp_path, text))
    assert {p.code for p in result.problems} == {"target-unreadable", "money-mismatch"}


def test_not_a_docx_and_unknown_suffix(tmp_path: Path) -> None:
    fake = tmp_path / "x.docx"
    fake.write_bytes(b"not a zip")
    assert "不是有效的 .docx" in _error(fake).message
    other = tmp_path / "x.pdf"
    other.write_bytes(b"%PDF")
    assert "不支持的文件类型" in _error(other).message


# --- CLI -------------------------------------------------------------------------------------------


def _cli() -> click.Group:
    # The lead attaches import_command to `perfsheet goals`; this group gives it the same error handling.
    @click.group(cls=PerfsheetGroup)
    def goals() -> None:
        pass

    goals.add_command(import_command)
    return goals


def test_cli_txt_and_docx_give_identical_yaml(tmp_path: Path) -> None:
    runner = CliRunner()
    docx_path = text_export_to_docx(SEED_TEXT.read_text(encoding="utf-8"), tmp_path / "目标.docx")
    from_txt, from_docx = tmp_path / "txt.yaml", tmp_path / "docx.yaml"
    result = runner.invoke(_cli(), ["import", str(SEED_TEXT), "-o", str(from_txt)])
    assert result.exit_code == 0, result.output
    assert "9 个项目，74 个指标，预算合计 101.47 万元" in result.output
    result = runner.invoke(_cli(), ["import", str(docx_path), "-o", str(from_docx)])
    assert result.exit_code == 0, result.output
    assert from_txt.read_bytes() == from_docx.read_bytes()
    from perfsheet.goals.registry import load_goals

    assert load_goals(from_txt) == import_goals_document(SEED_TEXT)


def test_cli_bad_document_and_existing_output(tmp_path: Path, seed_text_raw: str) -> None:
    runner = CliRunner()
    bad = _broken(tmp_path, seed_text_raw.replace("\t≥10件\n", "\t≥十件\n"))
    result = runner.invoke(_cli(), ["import", str(bad), "-o", str(tmp_path / "g.yaml")])
    assert result.exit_code == 1  # imported, with a warning to look at
    # rich may wrap a long line on a narrow console; the message is still one logical line.
    output = result.output.replace("\n", "")
    assert "Traceback" not in output and "broken.txt:210: 指标值“≥十件”有比较符号但没有可识别的数字" in output
    assert (tmp_path / "g.yaml").exists()
    empty = tmp_path / "empty.txt"
    empty.write_text("第一部分\n没有表格\n", encoding="utf-8")
    result = runner.invoke(_cli(), ["import", str(empty), "-o", str(tmp_path / "h.yaml")])
    assert result.exit_code == 2 and "Traceback" not in result.output and not (tmp_path / "h.yaml").exists()
    existing = tmp_path / "keep.yaml"
    existing.write_text("手工编辑的内容", encoding="utf-8")
    result = runner.invoke(_cli(), ["import", str(SEED_TEXT), "-o", str(existing)])
    assert result.exit_code == 2 and "--force" in result.output
    assert existing.read_text(encoding="utf-8") == "手工编辑的内容"


# --- the embedded default ------------------------------------------------------------------------


def test_embedded_default_is_the_seed_import(seed: Department) -> None:
    from perfsheet.goals.registry import default_goals_text, dump_goals, load_default, load_goals_text

    committed = default_goals_text()
    assert committed == dump_goals(seed), (
        "perfsheet/data/goals-2025.yaml is out of date; refresh it with: python scripts/build_default_goals.py"
    )
    assert load_goals_text(committed) == seed
    # The roster only adds chiefs, e-mails and project sections; the goals themselves are unchanged.
    default = load_default()
    assert tuple(s.name for s in default.sections) == SIX_SECTIONS
    assert [replace(p, section=None) for p in default.projects] == list(seed.projects)
