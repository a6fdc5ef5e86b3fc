"""Narrative: Chinese filters, missing values, the golden monthly text, .docx output and the goals round trip."""

from __future__ import annotations

import dataclasses
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
    june_returns,
    small_department,
)
from docx.oxml.ns import qn
from lo import convert_one, soffice

from perfsheet.consolidate.build import consolidate
from perfsheet.consolidate.summary import Summary
from perfsheet.goals.document import import_goals_document
from perfsheet.model import Department
from perfsheet.report.narrative import (
    build_docx,
    cn_num,
    key_sentences,
    or_missing,
    pct,
    pp,
    render_goals_markdown,
    render_markdown,
    wan,
    write_docx,
)

REPO = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).parent / "data" / "golden" / "narrative-default-2025-06.md"
UPDATE = "PERFSHEET_UPDATE_GOLDEN"


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
    assert f"累计执行{spend:.2f}万元" in text
    assert f"预算执行率{rate}%" in text
    assert "序时进度50.0%" in text
    assert f"执行率低于序时进度{(50 - spend / adjusted * 100).quantize(Decimal('0.1'))}个百分点" in text
    assert "**2025年中央政法纪检监察转移支付资金**（红灯，办公室，王敏）" in text
    assert "设备采购项目招标延后，预计9月完成支付" in text
    assert "**2025年政府法律顾问费**（黄灯，基层科，刘洋）" in text
    assert "法律顾问合同下半年续签，费用集中在第三季度支付" in text
    assert f"{DEFAULT_MISSING_SECTION}（李静）未报送：2025年依法治区专项经费" in text
    assert f"未计入汇总：{DEFAULT_INVALID}" in text
    assert "“每年召开依法治区工作会议次数”（黄灯）" in text
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
    assert [line.split("：", 1)[0] for line in lines] == ["一、总体情况", "二、项目执行情况", "三、绩效目标完成情况",
                                                          "四、报送情况", "五、下一步工作"]
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
    assert names == ["goals.md.j2", "monthly_report.md.j2"]
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
    assert paragraphs[0] == "路南区司法局2025年6月绩效运行监控情况说明"
    assert "一、总体情况" in paragraphs
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
