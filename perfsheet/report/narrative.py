"""The narrative: a :class:`~perfsheet.consolidate.Summary` → 绩效运行监控情况说明 (Markdown and .docx).

Last stage of the pipeline. Jinja templates (``monthly_report.md.j2``, ``goals.md.j2``) ship inside the
package (``perfsheet/data/templates``) so an installed perfsheet works anywhere; a user copies the
repository's ``templates/`` folder, edits it and passes ``template_dir`` (``--template-dir``) — files
found there win, the rest fall back to the packaged defaults.

Missing values never print as "None" or "nan": the environment is strict (an unknown name is an
error, not an empty string), ``finalize`` turns None/NaN into 未报送, and the filters (``wan``, ``pct``,
``pp``, ``or_missing``) do the same; templates leave sentences out when a figure is missing.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from perfsheet.consolidate.summary import Summary
from perfsheet.docxutil import new_document, stable_docx_bytes
from perfsheet.fsutil import write_bytes_atomic
from perfsheet.model import Department
from perfsheet.rules import DEVIATION_NO_EXPLANATION, GREEN, RED, YELLOW
from perfsheet.targets import format_value

__all__ = [
    "MISSING_TEXT",
    "cn_num",
    "goals_context",
    "key_sentences",
    "make_environment",
    "monthly_context",
    "or_missing",
    "pct",
    "pp",
    "render_goals_markdown",
    "render_markdown",
    "wan",
    "write_docx",
]

MISSING_TEXT = "未报送"
MONTHLY_TEMPLATE = "monthly_report.md.j2"
GOALS_TEMPLATE = "goals.md.j2"


# --- filters ---------------------------------------------------------------------------------------


def _to_decimal(value: object) -> Decimal | None:
    """A figure as Decimal; None for None/NaN/NA/empty. Floats go through ``str`` (shortest repr)."""
    if value is None or value is pd.NA or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return None if value.is_nan() else value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else Decimal(str(value))
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str) and value.strip():
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            return None
    return None


def _round(value: Decimal, places: int) -> Decimal:
    # Half up, as a finance office rounds (not banker's rounding).
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def wan(value: object, places: int = 2) -> str:
    """Money in 万元 with two decimals: ``101.47万元``; missing → 未报送."""
    d = _to_decimal(value)
    return MISSING_TEXT if d is None else f"{_round(d, places):f}万元"


def pct(value: object, places: int = 1) -> str:
    """A percentage held in percent (50 → ``50.0%``); missing → 未报送."""
    d = _to_decimal(value)
    return MISSING_TEXT if d is None else f"{_round(d, places):f}%"


def pp(value: object, reference: str = "", places: int = 1) -> str:
    """A gap in percentage points with its direction: ``低于序时进度20.5个百分点`` / ``与序时进度持平``."""
    d = _to_decimal(value)
    if d is None:
        return MISSING_TEXT
    rounded = _round(d, places)
    if rounded == 0:
        return f"与{reference}持平" if reference else "持平"
    word = "高于" if rounded > 0 else "低于"
    return f"{word}{reference}{abs(rounded):f}个百分点"


_DIGITS = "零一二三四五六七八九"


def cn_num(n: object) -> str:
    """Chinese numbering 1 → 一, 10 → 十, 12 → 十二, 21 → 二十一 (1–99); the template adds 、."""
    if not isinstance(n, int) or not 1 <= n <= 99:
        raise ValueError(f"cn_num: 1–99 expected, got {n!r}")
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _DIGITS[ones]
    head = "十" if tens == 1 else _DIGITS[tens] + "十"
    return head + (_DIGITS[ones] if ones else "")


def or_missing(value: object, missing: str = MISSING_TEXT) -> str:
    """The value as text; None, NaN or "" → 未报送 (or the given word)."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return missing
    if isinstance(value, Decimal):
        return missing if value.is_nan() else f"{value.normalize():f}"
    text = str(value)
    return text if text.strip() else missing


def _finalize(value: object) -> object:
    # Whatever a template prints: never "None" or "nan".
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return MISSING_TEXT
    return value


def _packaged_templates() -> Path:
    return Path(__file__).resolve().parent.parent / "data" / "templates"


def make_environment(template_dir: str | Path | None = None) -> jinja2.Environment:
    """The Jinja environment: user templates first (if given), then the packaged defaults."""
    loaders: list[jinja2.BaseLoader] = []
    if template_dir is not None:
        loaders.append(jinja2.FileSystemLoader(str(template_dir), encoding="utf-8"))
    loaders.append(jinja2.FileSystemLoader(str(_packaged_templates()), encoding="utf-8"))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # Markdown, not HTML
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_finalize,
    )
    env.filters.update(wan=wan, pct=pct, pp=pp, cn_num=cn_num, or_missing=or_missing)
    return env


# --- context ---------------------------------------------------------------------------------------


def _clean_sentence(text: object) -> str:
    """A chief's explanation as a clause: stripped, without the trailing full stop (templates add it)."""
    if not isinstance(text, str):
        return ""
    return text.strip().rstrip("。；;.，, ")


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [dict(zip(frame.columns, row, strict=True)) for row in frame.itertuples(index=False)]


def monthly_context(summary: Summary, department: Department | None = None) -> dict[str, Any]:
    """Everything ``monthly_report.md.j2`` may use (see the template for the names)."""
    t = summary.totals
    period = summary.period
    projects = _records(summary.projects)
    budget_explanations = {
        w["code"]: w["explanation"] for w in _records(summary.warnings) if w["kind"] == "budget"
    }
    indicator_rows = _records(summary.indicators)
    red_projects = _lagging(projects, RED, budget_explanations)
    yellow_projects = _lagging(projects, YELLOW, budget_explanations)
    at_risk = _indicators_at_risk(indicator_rows)
    missing, invalid = _by_section(projects, "missing"), _by_section(projects, "invalid")
    return {
        "department": summary.department,
        "year": summary.year,
        "period": {"text": str(period), "label": period.label, "month": period.month, "span": period.months_label},
        "thresholds": {"red": summary.thresholds.budget_red, "yellow": summary.thresholds.budget_yellow},
        "totals": {
            "budget": t.budget, "budget_reported": t.budget_reported, "adjusted_budget": t.adjusted_budget,
            "spend": t.spend_to_date, "rate": t.execution_rate, "projected_spend": t.projected_spend,
            "time_progress": t.time_progress, "plan_progress": t.plan_progress, "gap_time": t.gap_time_pp,
            "gap_plan": t.gap_plan_pp, "light": t.light, "projects": t.projects,
            "reported": t.projects_reported, "invalid": t.projects_invalid, "missing": t.projects_missing,
            "received": t.returns_received, "indicators": t.indicators,
            "budget_lights": dict(t.budget_lights), "indicator_lights": dict(t.indicator_lights),
        },
        "red_projects": red_projects,
        "yellow_projects": yellow_projects,
        "green_count": t.budget_lights.get(GREEN, 0),
        "indicators_at_risk": at_risk,
        "indicators_reported": sum(1 for i in indicator_rows if i["status"] == "valid"),
        "missing_by_section": missing,
        "invalid_by_section": invalid,
        "next_steps": _next_steps(missing, invalid, red_projects + yellow_projects, at_risk),
    }


def _lagging(projects: list[dict[str, Any]], light: str, explanations: dict[str, Any]) -> list[dict[str, Any]]:
    """The valid projects with this budget light, most lagging first, with the chief's explanation."""
    rows = sorted((p for p in projects if p["status"] == "valid" and p["light"] == light), key=lambda p: p["ratio"])
    return [{
        "code": p["code"], "name": p["name"], "section": p["section"], "chief": p["chief"],
        "rate": p["execution_rate"], "plan_progress": p["plan_progress"], "gap_time": p["gap_time_pp"],
        "gap_plan": p["gap_plan_pp"], "spend": p["spend_to_date"], "budget": p["budget_adjusted"],
        "explanation": "；".join(_clean_sentence(x) for x in str(explanations.get(p["code"]) or "").split("；")
                                if _clean_sentence(x)),
    } for p in rows]


def _indicators_at_risk(indicator_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Red then yellow indicators, with the projection written in the target's unit."""
    at_risk = []
    for light in (RED, YELLOW):
        for i in indicator_rows:
            if i["light"] != light:
                continue
            projection = i["projection"]
            if isinstance(projection, float):
                number = _to_decimal(projection)
                projection = f"{format_value(number.normalize())}{i['unit']}" if number is not None else None
            at_risk.append({
                "code": i["code"], "project": i["project"], "n": i["n"], "name": i["name"],
                "target": i["target_raw"], "projection": projection, "likelihood": i["likelihood"] or None,
                "deviation": i["deviation"] if i["deviation"] and i["deviation"] != DEVIATION_NO_EXPLANATION else None,
                "explanation": _clean_sentence(i["explanation"]), "light": light,
                "section": i["section"],
            })
    return at_risk


def _by_section(projects: list[dict[str, Any]], status: str) -> list[dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for p in projects:
        if p["status"] == status:
            entry = out.setdefault(p["section"], {"section": p["section"], "chief": p["chief"], "projects": []})
            entry["projects"].append(p["name"])
    return list(out.values())


def _next_steps(missing: list[dict[str, Any]], invalid: list[dict[str, Any]], lagging: list[dict[str, Any]],
                at_risk: list[dict[str, Any]]) -> list[str]:
    """下一步工作措施: chase what is missing or wrong, then each distinct measure the chiefs named."""
    steps: list[str] = []
    for entry in missing:
        who = f"{entry['section']}（{entry['chief']}）" if entry["chief"] else entry["section"]
        steps.append(f"督促{who}尽快报送{'、'.join(entry['projects'])}的监控表")
    for entry in invalid:
        steps.append(f"请{entry['section']}按反馈表修改{'、'.join(entry['projects'])}的监控表后重新报送")
    seen: set[str] = set()
    for p in lagging:
        if p["explanation"] and p["explanation"] not in seen:
            seen.update(p["explanation"].split("；"))
            steps.append(f"{p['name']}：{p['explanation']}")
    for i in at_risk:
        if i["explanation"] and i["explanation"] not in seen:
            seen.add(i["explanation"])
            steps.append(f"{i['project']}“{i['name']}”：{i['explanation']}")
    if lagging:
        steps.append("对红灯、黄灯项目逐月跟踪支出进度，确保按资金支出计划执行")
    return steps


def render_markdown(summary: Summary, department: Department | None = None, *,
                    template_dir: str | Path | None = None) -> str:
    """The monthly 绩效运行监控情况说明 as Markdown."""
    env = make_environment(template_dir)
    text = env.get_template(MONTHLY_TEMPLATE).render(monthly_context(summary, department))
    return _tidy(text)


_LIST_LINE = re.compile(r"^\s*(?:[-*]\s|\d+\.\s)")


def _tidy(text: str) -> str:
    """Markdown paragraphs out of the template's lines: one blank line between blocks, none inside a list,
    tables kept apart where the template separates them, no runs of blank lines where a sentence was left out."""
    out: list[str] = []
    gap = False
    for line in text.strip().splitlines():
        line = line.rstrip()
        if not line:
            gap = True
            continue
        tight = bool(out) and (
            (_LIST_LINE.match(line) is not None and _LIST_LINE.match(out[-1]) is not None)
            or (line.lstrip().startswith("|") and out[-1].lstrip().startswith("|") and not gap)
        )
        if out and not tight:
            out.append("")
        out.append(line)
        gap = False
    return "\n".join(out) + "\n"


def key_sentences(summary: Summary, department: Department | None = None, *,
                  template_dir: str | Path | None = None, markdown: str | None = None) -> list[str]:
    """The first paragraph of each numbered part of the narrative, for the workbook's 总览 sheet."""
    text = markdown if markdown is not None else render_markdown(summary, department, template_dir=template_dir)
    sentences: list[str] = []
    heading: str | None = None
    for block in re.split(r"\n\s*\n", text):
        block = block.strip()
        if not block:
            continue
        if block.startswith("## "):
            heading = block[3:].strip()
            continue
        if block.startswith("#"):
            continue
        if heading is not None:
            first = re.sub(r"^(?:[-*]|\d+\.)\s*", "", block.splitlines()[0].strip())
            sentences.append(f"{heading}：{_strip_md(first)}")
            heading = None
    return sentences


def _strip_md(text: str) -> str:
    return text.replace("**", "")


# --- goals ---------------------------------------------------------------------------------------------


def goals_context(department: Department) -> dict[str, Any]:
    from perfsheet.goals.document import goals_document_rows

    projects = []
    for project in department.projects:
        money, indicators = goals_document_rows(project)
        projects.append({"project": project, "money_rows": money, "indicator_rows": indicators})
    return {"department": department, "projects": projects}


def _md_cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", "<br>")


def render_goals_markdown(department: Department, *, template_dir: str | Path | None = None) -> str:
    """The department's goals (Part 1 and Part 2 tables) as Markdown, from the registry."""
    env = make_environment(template_dir)
    env.filters["md_cell"] = _md_cell
    return _tidy(env.get_template(GOALS_TEMPLATE).render(goals_context(department)))


# --- .docx -----------------------------------------------------------------------------------------

BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
TITLE_FONT = "方正小标宋简体"
TABLE_FONT = "宋体"


def _set_font(run: Any, name: str, size_pt: float | None = None, bold: bool | None = None) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.name = name
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.get_or_add_rFonts()
    # Word picks the East Asian font from w:eastAsia; without it Chinese text falls back to the theme.
    fonts.set(qn("w:eastAsia"), name)
    fonts.set(qn("w:ascii"), name)
    fonts.set(qn("w:hAnsi"), name)
    if size_pt is not None:
        run.font.size = Pt(size_pt)
    if bold is not None:
        run.font.bold = bold


def _add_inline(paragraph: Any, text: str, font: str, size: float) -> None:
    # **bold** spans, the only inline Markdown the templates use.
    for i, part in enumerate(re.split(r"\*\*", text)):
        if part:
            _set_font(paragraph.add_run(part), font, size, bold=(i % 2 == 1))


def _parse_table(lines: Sequence[str]) -> tuple[list[list[tuple[str, int]]], bool]:
    """Markdown table lines → rows of (text, column span).

    An empty cell written with nothing between its pipes (``||``) continues the cell before it
    (MultiMarkdown's colspan); a cell holding spaces is an empty cell. A header row of blank cells means
    "no header" and is dropped.
    """
    rows: list[list[tuple[str, int]]] = []
    header = True
    for number, line in enumerate(lines):
        body = line.strip()
        body = body[1:] if body.startswith("|") else body
        body = body[:-1] if body.endswith("|") and not body.endswith("\\|") else body
        raw = re.split(r"(?<!\\)\|", body)
        if all(re.fullmatch(r"\s*:?-{3,}:?\s*", c) for c in raw):
            continue  # the separator row
        cells: list[tuple[str, int]] = []
        for c in raw:
            if c == "" and cells:
                text, span = cells[-1]
                cells[-1] = (text, span + 1)
            else:
                cells.append((c.strip().replace("\\|", "|").replace("<br>", "\n"), 1))
        if number == 0 and all(not text for text, _ in cells):
            header = False
            continue
        rows.append(cells)
    return rows, header


def _blocks(markdown: str) -> Iterable[tuple[str, Any]]:
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        if not line.strip():
            i += 1
            continue
        if line.lstrip().startswith("|"):
            table = []
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                table.append(lines[i])
                i += 1
            yield "table", _parse_table(table)
            continue
        m = re.match(r"^(#{1,4})\s+(.*)$", line)
        if m:
            yield f"h{len(m.group(1))}", m.group(2).strip()
        elif re.match(r"^\s*[-*]\s+", line):
            yield "bullet", re.sub(r"^\s*[-*]\s+", "", line)
        else:
            yield "p", line.strip()
        i += 1


def build_docx(markdown: str, *, created: dt.datetime | None = None) -> bytes:
    """Markdown (the subset the templates write: #, ##, ###, paragraphs, - lists, | tables) → .docx bytes."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    document = new_document(created or dt.datetime(2000, 1, 1))
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.left_margin = section.right_margin = Cm(2.6)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    normal = document.styles["Normal"]
    normal.font.name = BODY_FONT
    normal.font.size = Pt(16)
    from docx.oxml.ns import qn
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)

    for kind, content in _blocks(markdown):
        if kind == "table":
            rows, header = content
            if not rows:
                continue
            width = max(sum(span for _, span in r) for r in rows)
            table = document.add_table(rows=len(rows), cols=width)
            table.style = "Table Grid"
            table.alignment = WD_TABLE_ALIGNMENT.CENTER
            for r, cells in enumerate(rows):
                column = 0
                for text, span in cells:
                    if column >= width:
                        break
                    cell = table.cell(r, column)
                    if span > 1:
                        cell = cell.merge(table.cell(r, min(column + span, width) - 1))
                    cell.text = ""
                    _set_font(cell.paragraphs[0].add_run(text), TABLE_FONT, 10.5, bold=(r == 0 and header))
                    column += span
            document.add_paragraph()
            continue
        text = str(content)
        if kind == "h1":
            para = document.add_paragraph()
            para.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _set_font(para.add_run(_strip_md(text)), TITLE_FONT, 22)
        elif kind in ("h2", "h3", "h4"):
            para = document.add_paragraph()
            para.paragraph_format.first_line_indent = Pt(32)
            font = HEADING_FONT if kind == "h2" else "楷体_GB2312"
            _set_font(para.add_run(_strip_md(text)), font, 16, bold=kind != "h2")
        elif kind == "bullet":
            para = document.add_paragraph()
            para.paragraph_format.first_line_indent = Pt(32)
            _add_inline(para, text, BODY_FONT, 16)
        else:
            para = document.add_paragraph()
            para.paragraph_format.first_line_indent = Pt(32)
            _add_inline(para, text, BODY_FONT, 16)
        para.paragraph_format.line_spacing = Pt(28)
    return stable_docx_bytes(document)


def write_docx(markdown: str, path: str | Path, *, created: dt.datetime | None = None) -> Path:
    """Write the Markdown narrative as a styled .docx (atomic, byte-stable for the same input)."""
    return write_bytes_atomic(Path(path), build_docx(markdown, created=created))
