"""Narrative: Chinese filters, missing values, the golden monthly text, the 报送版 情况说明 for the finance
bureau (five parts, no chief's name, 初稿 while a return is missing or invalid), the internal 报送情况, .docx
output (headings, page-number footer, LibreOffice) and the goals round trip."""

from __future__ import annotations

import dataclasses
import datetime as dt
import filecmp
import math
import os
import subprocess
from decimal import Decimal
from pathlib import Path

import docx
import jinja2
import pytest
from consolidate_helpers import (
    DEFAULT_INVALID,
    DEFAULT_MISSING_SECTION,
    JUNE,
    default_returns,
    indicator_return,
    june_returns,
    small_department,
    submission,
)
from docx.oxml.ns import qn
from lo import convert_one, soffice

from perfsheet.consolidate.build import consolidate
from perfsheet.consolidate.summary import Summary
from perfsheet.goals.document import import_goals_document
from perfsheet.model import Department
from perfsheet.monthly import write_period_reports
from perfsheet.report.narrative import (
    build_docx,
    cn_date,
    cn_num,
    key_sentences,
    or_missing,
    pct,
    pp,
    render_goals_markdown,
    render_internal_markdown,
    render_markdown,
    report_date_for,
    wan,
    write_docx,
)
from perfsheet.workspace import init_workspace

REPO = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "data" / "golden" / "narrative-default-2025-06.md"
UPDATE = "PERFSHEET_UPDATE_GOLDEN"
HEADINGS = ["一、监控工作开展情况", "二、预算执行情况", "三、绩效目标完成情况（含部门整体目标）", "四、存在的问题及原因",
            "五、下一步工作措施（含结果应用、调整建议）"]


def test_filters() -> None:
    assert wan(Decimal("101.47")) == "101.47万元"
    assert wan(101.47) == "101.47万元"
    assert wan(Decimal("0.125")) == "0.13万元"  # half up, as a finance office rounds
    assert wan(3) == "3.00万元"
    assert wan(None) == wan(math.nan) == "未报送"
    assert pct(Decimal(50)) == "50.0%"
    assert pct(100 / 3) == "33.3%"
    assert pct(Decimal("0.05")) == "0.1%"
    assert pct(None) == "未报送"
    assert pp(Decimal("-14.28"), "序时进度") == "低于序时进度14.3个百分点"
    assert pp(Decimal("3.25")) == "高于3.3个百分点"
    assert pp(Decimal("0.04"), "计划进度") == "与计划进度持平"
    assert pp(math.nan) == "未报送"
    assert [cn_num(n) for n in (1, 2, 5, 10, 12, 20, 21, 99)] == ["一", "二", "五", "十", "十二", "二十", "二十一", "九十九"]
    with pytest.raises(ValueError):
        cn_num(0)
    assert or_missing(None) == or_missing(math.nan) == or_missing("  ") == "未报送"
    assert or_missing(Decimal("95.0")) == "95"
    assert or_missing("达成") == "达成"
    assert or_missing(None, "未填写") == "未填写"


@pytest.fixture(scope="module")
def default_summary(default_department: Department) -> Summary:
    return consolidate(default_department, default_returns(default_department), JUNE)


def test_narrative_states_the_figures(default_summary: Summary, default_department: Department) -> None:
    text = render_markdown(default_summary, default_department)
    spend = sum(Decimal(s) for s in ("1.80", "2.60", "5.00", "6.65", "6.00", "3.50", "7.80"))
    adjusted = Decimal("101.47") - Decimal("5.00") - Decimal("3.00")  # the missing and the invalid project
    rate = (spend / adjusted * 100).quantize(Decimal("0.1"))
    assert "年初预算101.47万元" in text
    # Every total says what it covers while returns are missing.
    initial = Decimal("101.47") - Decimal("5.00") - Decimal("3.00")  # 年初预算数 of the same 7 projects
    assert (f"已报送有效监控表的7个项目合计年初预算{initial}万元、调整后预算{adjusted}万元，"
            f"1-6月累计执行{spend:.2f}万元") in text
    assert f"预算执行率{rate}%" in text
    assert "序时进度50.0%" in text
    assert f"执行率低于序时进度{(50 - spend / adjusted * 100).quantize(Decimal('0.1'))}个百分点" in text
    assert "**2025年中央政法纪检监察转移支付资金**（红灯）" in text
    assert "**2025年政府法律顾问费**（黄灯）" in text
    assert "设备采购项目招标延后，预计9月完成支付" in text
    assert "法律顾问合同下半年续签，费用集中在第三季度支付" in text
    assert "以下项目尚未报送有效监控表，相关数据待补充：2025年依法治区专项经费、" + DEFAULT_INVALID + "、部门整体绩效目标" in text
    assert "“每年召开依法治区工作会议次数”（黄灯）" in text
    # A department-wide target of Part 1, whose 部门整体 form was not returned in this fixture.
    assert "- 再犯罪率（≤0.2%）：部门整体监控表未报送。" in text
    assert "2026年预算安排" in text  # 结果应用
    # Internal matters stay out of the 报送版.
    assert DEFAULT_MISSING_SECTION not in text and "督促" not in text
    for bad in ("None", "nan", "NaN", "{{", "}}"):
        assert bad not in text


def test_golden_narrative(default_summary: Summary, default_department: Department) -> None:
    text = render_markdown(default_summary, default_department)
    if os.environ.get(UPDATE):
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(text, encoding="utf-8")
    expected = GOLDEN.read_text(encoding="utf-8") if GOLDEN.exists() else ""
    assert text == expected, (
        f"the narrative differs from {GOLDEN.relative_to(REPO)}; if the change is intended, refresh it with: "
        f"{UPDATE}=1 pytest tests/test_narrative.py -k golden"
    )


def test_missing_values_never_print_none_or_nan() -> None:
    dept = small_department()
    for subs in ([], june_returns()[:1], june_returns()):
        summary = consolidate(dept, subs, JUNE)
        text = render_markdown(summary, dept)
        assert "None" not in text and "nan" not in text.lower(), text
        assert "未报送" in text
        for line in key_sentences(summary, dept, markdown=text):
            assert "None" not in line and "nan" not in line.lower()
    empty = render_markdown(consolidate(dept, [], JUNE), dept)
    assert "暂无法计算预算执行率" in empty and "执行率未报送" not in empty


def test_key_sentences(default_summary: Summary, default_department: Department) -> None:
    lines = key_sentences(default_summary, default_department)
    assert [line.split("：", 1)[0] for line in lines] == HEADINGS
    assert "101.47万元" in lines[0]
    assert "**" not in "".join(lines)


def test_template_dir_overrides_and_strictness(tmp_path: Path) -> None:
    summary = consolidate(small_department(), june_returns(), JUNE)
    (tmp_path / "monthly_report.md.j2").write_text("# {{ department }}：{{ totals.rate|pct }}\n", encoding="utf-8")
    assert render_markdown(summary, template_dir=tmp_path) == "# 测试区司法局：39.9%\n"
    # Templates not in the folder fall back to the packaged defaults.
    assert render_goals_markdown(small_department(), template_dir=tmp_path).startswith("# 测试区司法局2025年度")
    (tmp_path / "monthly_report.md.j2").write_text("{{ no_such_name }}\n", encoding="utf-8")
    with pytest.raises(jinja2.UndefinedError):
        render_markdown(summary, template_dir=tmp_path)
    # A missing figure printed bare still says 未报送, never None.
    (tmp_path / "monthly_report.md.j2").write_text("{{ totals.rate }}|{{ totals.projected_spend }}\n",
                                                   encoding="utf-8")
    empty = consolidate(small_department(), [], JUNE)
    assert render_markdown(empty, template_dir=tmp_path) == "未报送|未报送\n"


def test_repository_templates_match_the_packaged_defaults() -> None:
    packaged = REPO / "perfsheet" / "data" / "templates"
    editable = REPO / "templates"
    names = sorted(p.name for p in packaged.glob("*.j2"))
    assert names == ["goals.md.j2", "monthly_report.md.j2", "selfeval_report.md.j2", "submission_status.md.j2"]
    assert sorted(p.name for p in editable.glob("*.j2")) == names
    for name in names:
        assert filecmp.cmp(packaged / name, editable / name, shallow=False), (
            f"templates/{name} and perfsheet/data/templates/{name} differ: copy the edited one over the other")


def test_docx_reads_back_with_fonts_and_is_stable(default_summary: Summary, default_department: Department,
                                                  tmp_path: Path) -> None:
    text = render_markdown(default_summary, default_department)
    path = write_docx(text, tmp_path / "情况说明.docx")
    document = docx.Document(str(path))
    paragraphs = [p.text for p in document.paragraphs if p.text]
    assert paragraphs[0] == "路南区司法局2025年6月绩效运行监控情况说明（初稿）"
    assert paragraphs[1] == "区财政局："
    assert all(h in paragraphs for h in HEADINGS)
    assert any("101.47万元" in p for p in paragraphs)
    body = next(p for p in document.paragraphs if "101.47万元" in p.text)
    fonts = body.runs[0]._element.rPr.rFonts
    assert fonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    assert "**" not in "".join(paragraphs)
    assert document.core_properties.created is not None
    assert build_docx(text) == build_docx(text)
    assert path.read_bytes() == build_docx(text)


def test_goals_render_and_import_give_the_same_registry(default_department: Department, tmp_path: Path) -> None:
    markdown = render_goals_markdown(default_department)
    assert markdown.count("绩效目标表") == 9
    assert "较少行政执法过程中的争议" in markdown  # source text kept, typos included
    assert "| 1 | 社区矫正人员人员核查率 | ≥90% |" in markdown
    path = write_docx(markdown, tmp_path / "goals.docx")
    document = docx.Document(str(path))
    assert len(document.tables) == 1 + 2 * 9
    assert document.tables[1].style.name == "Table Grid"
    imported = import_goals_document(path)
    # A goals document carries no roster: chiefs, e-mails and project sections come from perfsheet.yaml.
    expected = dataclasses.replace(
        default_department,
        sections=tuple(dataclasses.replace(s, chief="", email="") for s in default_department.sections),
        projects=tuple(dataclasses.replace(p, section=None) for p in default_department.projects),
        overall_section=None,  # who fills the 部门整体 form is perfsheet.yaml's too
    )
    assert imported == expected


@pytest.mark.libreoffice
def test_docx_renders_in_libreoffice(default_summary: Summary, default_department: Department, tmp_path: Path) -> None:
    assert soffice(), "LibreOffice (soffice) is needed for this test"
    path = write_docx(render_markdown(default_summary, default_department), tmp_path / "narrative.docx")
    pdf = convert_one(path, "pdf", tmp_path)
    assert pdf.exists() and pdf.stat().st_size > 1000
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    assert "101.47" in text and "序时进度" in text
    flat = "".join(text.split())  # pdftotext puts spaces between Chinese and digits and breaks lines
    assert flat.startswith("路南区司法局2025年6月绩效运行监控情况说明（初稿）区财政局：")
    positions = [flat.index(h) for h in HEADINGS]
    assert positions == sorted(positions)
    assert "第1页" in flat and "第2页" in flat  # the PAGE field is filled in on every page
    assert flat.rindex("路南区司法局2025年7月31日") > positions[-1]  # the sign-off closes the report
    # Page 1 as an image, for a person to look at (tmp_path keeps it for the run).
    subprocess.run(["pdftoppm", "-r", "70", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
                   check=True)
    assert any(tmp_path.glob("page*.png"))

# --- the 报送版 情况说明 and the internal 报送情况 -----------------------------------------------------------


def _complete_returns() -> list:  # type: ignore[type-arg]
    """June returns of :func:`small_department` where every project has a valid return, the lagging
    ones with their budget explanation (as ingest requires)."""
    subs = [dataclasses.replace(s, budget_explanation="资金下半年拨付") if s.project_code in ("P01", "P03") else s
            for s in june_returns() if s.project_code not in ("P04", "P05")]
    subs.append(submission("P04", JUNE, adjusted="15.00", spend="9.00", projected="15.00",
                           indicators=(indicator_return(1, 0.1, 0.1),)))
    subs.append(submission("P05", JUNE, adjusted="5.00", spend="2.50", projected="5.00",
                           indicators=(indicator_return(1, 30, 50),)))
    return subs


def _with_budget_explanation(summary: Summary, code: str, text: str) -> Summary:
    projects = summary.projects.copy()
    projects.loc[projects["code"] == code, "budget_explanation"] = text
    return dataclasses.replace(summary, projects=projects)


def _heading_lines(text: str) -> list[str]:
    return [line[3:] for line in text.splitlines() if line.startswith("## ")]


def _chiefs(department: Department) -> list[str]:
    chiefs = [s.chief for s in department.sections if s.chief]
    assert chiefs
    return chiefs


@pytest.fixture(scope="module")
def demo_chiefs(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Every chief of the demo's perfsheet.yaml (the roster ``perfsheet init`` writes)."""
    ws = init_workspace(tmp_path_factory.mktemp("roster") / "workbooks")
    return _chiefs(ws.department) + [s.chief for s in ws.config.roster.sections if s.chief]


def test_report_has_the_published_structure_and_no_chief(default_summary: Summary, default_department: Department,
                                                         demo_chiefs: list[str]) -> None:
    text = render_markdown(default_summary, default_department)
    assert _heading_lines(text) == HEADINGS
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines[0].startswith("# ") and lines[0].endswith("（初稿）")
    assert lines[1] == "区财政局："
    assert lines[2].startswith("（初稿）以下项目尚未报送有效监控表")
    # The sign-off: the department and the period's report date (deterministic), right-aligned.
    assert lines[-2:] == ['<p align="right">路南区司法局</p>', '<p align="right">2025年7月31日</p>']
    assert report_date_for(JUNE) == dt.date(2025, 7, 31) and cn_date(dt.date(2025, 12, 1)) == "2025年12月1日"
    for chief in set(demo_chiefs) | set(_chiefs(default_department)):
        assert chief not in text, chief
    dated = render_markdown(default_summary, default_department, recipient="市财政局",
                            report_date=dt.date(2025, 7, 10))
    assert "\n市财政局：\n" in dated and '<p align="right">2025年7月10日</p>' in dated


def test_draft_exactly_when_a_return_is_missing_or_invalid() -> None:
    dept = small_department()
    complete = consolidate(dept, _complete_returns(), JUNE)
    assert complete.totals.projects_reported == 5
    text = render_markdown(complete, dept)
    assert "初稿" not in text and "待补充" not in text and "已报送有效监控表" not in text
    assert "全部5个项目合计年初预算" in text
    assert _heading_lines(text) == HEADINGS
    for subs, pending in ((_complete_returns()[:-1], "安置帮教经费"), (june_returns(), "社区矫正经费、安置帮教经费")):
        draft = render_markdown(consolidate(dept, subs, JUNE), dept)
        assert draft.count("初稿") == 2, draft  # the title and the first line
        assert f"以下项目尚未报送有效监控表，相关数据待补充：{pending}。" in draft
        assert "已报送有效监控表的" in draft and "全部5个项目合计" not in draft
        for chief in _chiefs(dept):
            assert chief not in draft


def test_budget_explanation_quoted_once(default_summary: Summary, default_department: Department) -> None:
    red = default_department.projects[
        [p.name for p in default_department.projects].index("2025年中央政法纪检监察转移支付资金")]
    words = "设备到货验收后支付尾款，预计8月底执行到序时进度"
    text = render_markdown(_with_budget_explanation(default_summary, red.code, words + "。"), default_department)
    assert text.count(words) == 1
    part_two = text.split("## 二、")[1].split("## 三、")[0]
    assert f"预算执行偏差原因及改进措施：{words}。" in part_two
    # With its own budget explanation, the project no longer borrows the indicator's explanation there,
    # and the indicator's explanation is quoted once (under its indicator).
    assert text.count("上半年工作会议合并召开，下半年争取再召开一次") == 1
    # Without one, nothing stands in: an indicator's explanation stays with its indicator, and part 四
    # says the lag is unexplained.
    plain = render_markdown(default_summary, default_department)
    assert plain.count("上半年工作会议合并召开，下半年争取再召开一次") == 1
    assert "预算执行偏差原因及改进措施：上半年工作会议合并召开" not in plain
    assert "2025年中央政法纪检监察转移支付资金" in plain.split("## 四、")[1].split("未说明偏差原因")[0]


def test_problems_and_measures_follow_the_lights() -> None:
    dept = small_department()
    text = render_markdown(consolidate(dept, june_returns(), JUNE), dept)
    problems = text.split("## 四、")[1].split("## 五、")[0]
    measures = text.split("## 五、")[1]
    # P01 red (29.5 %), P03 yellow (30 %); P02's 人均补贴 is 完全不可能.
    assert "法律援助经费执行率29.5%，低于序时进度20.5个百分点（红灯）" in problems
    assert "人民调解经费“人均补贴”目标≤500元，全年预计700元，完成可能性为“完全不可能”，偏差原因为经费保障" in problems
    assert "法律援助经费、普法宣传经费要对照资金支出计划加快支出" in measures
    assert "对人民调解经费“人均补贴”等预计全年无法完成的指标" in measures and "申请调整绩效目标" in measures
    assert "结果应用" in measures and "2026年预算安排" in measures
    assert "督促" not in text
    # An on-schedule project (P02, green) keeps its indicator's explanation with the indicator.
    part_two, part_three = text.split("## 二、")[1].split("## 三、")
    assert "补贴标准上调" not in part_two and text.count("补贴标准上调，已申请调整预算") == 1
    assert "说明：补贴标准上调，已申请调整预算。" in part_three


def test_internal_report_names_chiefs_and_what_to_chase(default_summary: Summary,
                                                       default_department: Department) -> None:
    text = render_internal_markdown(default_summary, default_department)
    assert text.startswith("# 路南区司法局2025年6月监控表报送情况（内部）\n")
    assert f"- {DEFAULT_MISSING_SECTION}（李静）：2025年依法治区专项经费。" in text
    assert f"- 基层科（刘洋）：{DEFAULT_INVALID}，错误1处" in text
    assert "监控表!D8" in text
    assert f"请督促{DEFAULT_MISSING_SECTION}（李静）尽快报送2025年依法治区专项经费的监控表" in text
    assert f"请督促基层科（刘洋）按反馈表修改{DEFAULT_INVALID}的监控表后重新报送" in text
    assert "| 办公室 | 王敏 | 3 | 3 | 0 | 0 | 0 |" in text
    # One vocabulary (perfsheet.labels): the statuses and severities as the CLI and the workbooks say them.
    assert "| 科室 | 科长 | 应报送 | 已通过 | 有错误 | 未报送 | 逾期 |" in text
    assert "、有错误\n" in text and "，错误1处、提示" in text
    assert "无效" not in text and "提醒" not in text
    complete = render_internal_markdown(consolidate(small_department(), _complete_returns(), JUNE))
    assert "各科室均已按时报送，全部已通过" in complete and "本期无需督促的事项" in complete


def test_write_period_reports_writes_both_with_the_configured_recipient(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "workbooks")
    config = ws.config_path.read_text(encoding="utf-8")
    ws.config_path.write_text(config.replace("recipient: 区财政局", "recipient: 市财政局"), encoding="utf-8")
    from perfsheet.workspace import Workspace

    ws = Workspace.open(ws.root)
    files = write_period_reports(ws, JUNE)  # nothing received: every return is missing
    names = sorted(p.name for p in ws.reports_dir(JUNE).iterdir())
    assert names == sorted(f"路南区司法局2025年6月{n}" for n in (
        "监控表报送情况（内部）.docx", "监控表报送情况（内部）.md", "绩效运行监控情况说明.docx", "绩效运行监控情况说明.md",
        "绩效运行监控汇总表.xlsx", "绩效监控一体化导入.xlsx", "项目支出绩效运行监控表.xlsx"))
    assert sorted(path.name for _label, path in files.labelled()) == names
    assert files.internal_markdown.read_text(encoding="utf-8") == files.internal
    assert "\n市财政局：\n" in files.narrative and "初稿" in files.narrative
    assert "本期尚无有效报送的监控表" in files.narrative
    for chief in _chiefs(ws.department):
        assert chief not in files.narrative
    for section in ws.department.sections:  # every chief who owes a return is named, with the section
        if ws.department.projects_of(section.name):
            assert f"{section.name}（{section.chief}）" in files.internal
    assert "赵磊" in files.internal and "执法监督和复议应诉科（赵磊）" in files.internal


def _footer_has_page_field(document: docx.document.Document) -> bool:
    footer = document.sections[0].footer._element
    instr = "".join(t.text or "" for t in footer.iter(qn("w:instrText")))
    simple = [f.get(qn("w:instr")) or "" for f in footer.iter(qn("w:fldSimple"))]
    return "PAGE" in instr or any("PAGE" in f for f in simple)


def test_docx_has_heading_styles_and_a_page_footer(default_summary: Summary, default_department: Department,
                                                  tmp_path: Path, demo_chiefs: list[str]) -> None:
    path = write_docx(render_markdown(default_summary, default_department), tmp_path / "情况说明.docx")
    document = docx.Document(str(path))
    headings = [p.text for p in document.paragraphs if p.style is not None and p.style.name.startswith("Heading")]
    assert headings[0] == "路南区司法局2025年6月绩效运行监控情况说明（初稿）"
    assert headings[1:] == HEADINGS
    assert all(p.style.name == "Heading 2" for p in document.paragraphs if p.text in HEADINGS)
    assert _footer_has_page_field(document)
    footer_text = "".join(p.text for p in document.sections[0].footer.paragraphs)
    assert footer_text.startswith("第 ") and footer_text.endswith(" 页")
    everything = "\n".join(p.text for p in document.paragraphs)
    for chief in demo_chiefs:
        assert chief not in everything
    right = [p for p in document.paragraphs if p.text in ("路南区司法局", "2025年7月31日")]
    assert len(right) == 2 and all(p.alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.RIGHT for p in right)
    assert "<p" not in everything
