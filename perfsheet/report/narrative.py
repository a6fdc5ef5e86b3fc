"""The narrative: a :class:`~perfsheet.consolidate.Summary` → 绩效运行监控情况说明 (Markdown and .docx).

Two texts per period: the 报送版 情况说明 addressed to the finance bureau (``monthly_report.md.j2``:
the five published parts, no chief's name, marked 初稿 while a return is missing or invalid) and the
office's internal 报送情况 (``submission_status.md.j2``: who is missing, late or invalid, what to chase).

Last stage of the pipeline. Jinja templates (``monthly_report.md.j2``, ``goals.md.j2`` …) ship inside the
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
from perfsheet.labels import (
    DEFAULT_RECIPIENT,
    LIGHT_LABELS,
    SEVERITY_LABELS,
    STATUS_LABELS,
    actual_label,
    reported_scope,
)
from perfsheet.model import OVERALL_NAME, Department, DepartmentTarget, Period
from perfsheet.rules import DEVIATION_NO_EXPLANATION, GREEN, RED, YELLOW
from perfsheet.targets import format_value, value_with_unit

__all__ = [
    "DEFAULT_RECIPIENT",
    "MISSING_TEXT",
    "cn_date",
    "cn_num",
    "goals_context",
    "internal_context",
    "key_sentences",
    "make_environment",
    "monthly_context",
    "or_missing",
    "pct",
    "pp",
    "render_goals_markdown",
    "render_internal_markdown",
    "render_markdown",
    "report_date_for",
    "wan",
    "write_docx",
]

MISSING_TEXT = "未报送"
NOT_MONITORED = "本期未单独监控"  # a department-wide target without a department-level return
LIGHT_WORDS = LIGHT_LABELS  # the one table of light names (perfsheet.labels)
MONTHLY_TEMPLATE = "monthly_report.md.j2"
INTERNAL_TEMPLATE = "submission_status.md.j2"
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
    env.filters.update(wan=wan, pct=pct, pp=pp, cn_num=cn_num, or_missing=or_missing, cn_date=cn_date)
    # The one label table (perfsheet.labels), so a template names a status as every other output does:
    # ``labels.status.invalid`` is 有错误, ``labels.severity.warning`` is 提示.
    env.globals["labels"] = {"status": STATUS_LABELS, "severity": SEVERITY_LABELS, "light": LIGHT_LABELS}
    return env


# --- context ---------------------------------------------------------------------------------------


def _clean_sentence(text: object) -> str:
    """A chief's explanation as a clause: stripped, without the trailing full stop (templates add it)."""
    if not isinstance(text, str):
        return ""
    return text.strip().rstrip("。；;.，, ")


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [dict(zip(frame.columns, row, strict=True)) for row in frame.itertuples(index=False)]


def report_date_for(period: Period) -> dt.date:
    """The default date of the period's 情况说明: the last day of the following month (deterministic)."""
    return period.next().last_day


def cn_date(value: dt.date) -> str:
    """A date as a Chinese document writes it: ``2025年7月31日``."""
    return f"{value.year}年{value.month}月{value.day}日"


def _clauses(text: object) -> list[str]:
    """A chief's text as clauses (split at ；), each without its trailing punctuation."""
    if not isinstance(text, str):
        return []
    return [c for c in (_clean_sentence(x) for x in re.split(r"[；;\n]", text)) if c]


class _Quotes:
    """The chiefs' words quoted in the 报送版: each clause once, wherever it first fits."""

    def __init__(self) -> None:
        self._seen: set[str] = set()

    def take(self, *texts: object) -> str:
        fresh: list[str] = []
        for text in texts:
            for clause in _clauses(text):
                if clause not in self._seen:
                    self._seen.add(clause)
                    fresh.append(clause)
        return "；".join(fresh)


def monthly_context(summary: Summary, department: Department | None = None, *,
                    recipient: str = DEFAULT_RECIPIENT, report_date: dt.date | None = None) -> dict[str, Any]:
    """Everything ``monthly_report.md.j2`` (the 报送版 情况说明 for the finance bureau) may use; see the
    template's opening comment for the names. No chief's name is in it: chasing is for the internal
    报送情况 (:func:`internal_context`)."""
    t = summary.totals
    period = summary.period
    projects = _records(summary.projects)
    indicator_rows = _records(summary.indicators)
    quotes = _Quotes()
    valid = [_project_entry(p, indicator_rows, quotes) for p in projects if p["status"] == "valid"]
    red_projects = sorted((p for p in valid if p["light"] == RED), key=lambda p: p["ratio"])
    yellow_projects = sorted((p for p in valid if p["light"] == YELLOW), key=lambda p: p["ratio"])
    goal_progress = [{"name": p["name"], "text": text} for p in projects
                     if p["status"] == "valid" and (text := quotes.take(p.get("goal_progress")))]
    at_risk = _indicators_at_risk(indicator_rows, quotes)
    pending = [{"name": p["name"], "status": p["status"]} for p in projects if p["status"] != "valid"]
    scope = reported_scope(t.projects_reported, t.projects)  # the words of the 汇总表 and the 报送版 部门整体
    if summary.overall_status in ("missing", "invalid"):
        pending.append({"name": OVERALL_NAME, "status": summary.overall_status})
    draft = bool(pending)
    under_spent = [p for p in valid if p["projected_rate"] is not None and _round(p["projected_rate"], 1) < 100]
    targets = department.department_targets if department is not None else ()
    return {
        "department": summary.department,
        "year": summary.year,
        "period": {"text": str(period), "label": period.label, "month": period.month, "span": period.months_label,
                   "kind": summary.month_kind, "asks_indicators": summary.asks_indicators,
                   "actual": actual_label(period)},
        "recipient": recipient,
        "report_date": cn_date(report_date or report_date_for(period)),
        "draft": draft,
        "pending_projects": [p["name"] for p in pending],
        "scope": scope,
        "thresholds": {"red": summary.thresholds.budget_red, "yellow": summary.thresholds.budget_yellow},
        "totals": {
            "budget": t.budget, "budget_reported": t.budget_reported, "adjusted_budget": t.adjusted_budget,
            "spend": t.spend_to_date, "rate": t.execution_rate, "projected_spend": t.projected_spend,
            "time_progress": t.time_progress, "plan_progress": t.plan_progress, "gap_time": t.gap_time_pp,
            "gap_plan": t.gap_plan_pp, "light": t.light, "light_label": LIGHT_WORDS.get(t.light or "", ""),
            "projects": t.projects, "reported": t.projects_reported, "invalid": t.projects_invalid,
            "missing": t.projects_missing, "received": t.returns_received, "indicators": t.indicators,
            "budget_lights": dict(t.budget_lights), "indicator_lights": dict(t.indicator_lights),
        },
        "projects": valid,
        "red_projects": red_projects,
        "yellow_projects": yellow_projects,
        "green_count": t.budget_lights.get(GREEN, 0),
        "goal_progress": goal_progress,
        "indicators_at_risk": at_risk,
        "indicators_reported": sum(1 for i in indicator_rows if i["status"] == "valid"),
        "department_targets": _department_targets(summary, targets),
        "problems": _problems(red_projects + yellow_projects, under_spent, at_risk, pending),
        "measures": _measures(summary.year, recipient, red_projects + yellow_projects, under_spent, at_risk,
                              pending),
    }


def _department_targets(summary: Summary, targets: Sequence[DepartmentTarget]) -> list[dict[str, Any]]:
    """Each department-wide target with what the 部门整体 form says of it (or why nothing)."""
    frame = summary.overall
    if frame is None or summary.overall_status != "valid":
        status = {"missing": "部门整体监控表未报送", "invalid": "部门整体监控表有错误，未计入"}.get(
            summary.overall_status, NOT_MONITORED)
        return [{"name": d.name, "target": d.target.raw, "status": status} for d in targets]
    if not summary.asks_indicators:
        return [{"name": d.name, "target": d.target.raw, "status": "本月仅监控预算执行"} for d in targets]
    out: list[dict[str, Any]] = []
    for row in _records(frame):
        unit = str(row["unit"] or "")
        actual, projection = value_with_unit(row["actual"], unit), value_with_unit(row["projection"], unit)
        words = [f"截至{summary.period.month}月完成{actual}" if actual else f"截至{summary.period.month}月未填完成值"]
        if projection:
            words.append(f"全年预计{projection}")
        if row["likelihood"]:
            words.append(f"完成可能性为“{row['likelihood']}”")
        if row["explanation"]:
            words.append(_clean_sentence(row["explanation"]))
        out.append({"name": row["name"], "target": row["target_raw"], "status": "，".join(words)})
    return out


def _project_entry(p: dict[str, Any], indicator_rows: list[dict[str, Any]], quotes: _Quotes) -> dict[str, Any]:
    """A valid project for 二、预算执行情况, with its 预算执行偏差原因及改进措施 quoted once (the indicators'
    explanations stand in only when the chief left the budget explanation empty)."""
    # The budget explanation has its own cell (ingest requires it where the rules ask for it): the
    # indicators' explanations are about indicators and are never passed off as the budget's reason.
    explanation = quotes.take(p.get("budget_explanation"))
    return {
        "explained": _explained(p, indicator_rows),
        "code": p["code"], "name": p["name"], "section": p["section"], "light": p["light"],
        "light_label": LIGHT_WORDS.get(p["light"] or "", ""), "ratio": p["ratio"],
        "rate": p["execution_rate"], "plan_progress": p["plan_progress"], "gap_time": p["gap_time_pp"],
        "gap_plan": p["gap_plan_pp"], "spend": p["spend_to_date"], "budget": p["budget_adjusted"],
        "projected": p["spend_projected"], "projected_rate": _to_decimal(p["projected_rate"]),
        "explanation": explanation,
    }


def _explained(p: dict[str, Any], indicator_rows: list[dict[str, Any]]) -> bool:
    """Whether the project's budget lag is explained: its 预算执行偏差原因及改进措施, the one place for it."""
    del indicator_rows  # kept for a stable call shape: indicator explanations explain indicators
    return bool(_clauses(p.get("budget_explanation")))


def _indicators_at_risk(indicator_rows: list[dict[str, Any]], quotes: _Quotes | None = None) -> list[dict[str, Any]]:
    """Red then yellow indicators, with the projection written in the target's unit (and the chief's
    explanation, unless already quoted)."""
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
                "explanation": (quotes.take(i["explanation"]) if quotes is not None
                                else _clean_sentence(i["explanation"])),
                "light": light, "light_label": LIGHT_WORDS[light], "section": i["section"],
            })
    return at_risk


def _names(items: Iterable[dict[str, Any]], key: str = "name") -> str:
    return "、".join(dict.fromkeys(str(i[key]) for i in items))


def _problems(lagging: list[dict[str, Any]], under_spent: list[dict[str, Any]], at_risk: list[dict[str, Any]],
              pending: list[dict[str, Any]]) -> list[str]:
    """四、存在的问题及原因: what the figures show, with the reasons the returns give (categories and lights);
    nothing here is invented — no figure, no sentence."""
    problems: list[str] = []
    if lagging:
        parts = [f"{p['name']}执行率{pct(p['rate'])}，{pp(p['gap_time'], '序时进度')}（{p['light_label']}）"
                 for p in lagging]
        unexplained = [p for p in lagging if not p["explained"]]
        tail = f"其中{_names(unexplained)}未说明偏差原因。" if unexplained else ""
        problems.append(f"部分项目预算执行进度滞后。{'；'.join(parts)}。{tail}")
    if under_spent:
        parts = [f"{p['name']}全年预计执行{wan(p['projected'])}，为调整后预算的{pct(p['projected_rate'])}"
                 for p in under_spent]
        problems.append(f"部分项目预计年底不能执行完毕。{'；'.join(parts)}。")
    for light, lead in ((RED, "部分绩效指标预计全年无法完成。"), (YELLOW, "部分绩效指标完成存在偏差。")):
        rows = [i for i in at_risk if i["light"] == light]
        if not rows:
            continue
        parts = []
        for i in rows:
            text = f"{i['project']}“{i['name']}”目标{i['target']}，全年预计{or_missing(i['projection'], '未填写')}"
            if i["likelihood"]:
                text += f"，完成可能性为“{i['likelihood']}”"
            if i["deviation"]:
                text += f"，偏差原因为{i['deviation']}"
            parts.append(text)
        problems.append(lead + "；".join(parts) + "。")
    if pending:
        problems.append(f"部分项目监控数据尚未报送。{_names(pending)}尚未报送有效监控表，"
                        "其预算执行和绩效目标完成情况暂未反映在本说明中。")
    return problems


def _measures(year: int, recipient: str, lagging: list[dict[str, Any]], under_spent: list[dict[str, Any]],
              at_risk: list[dict[str, Any]], pending: list[dict[str, Any]]) -> list[str]:
    """五、下一步工作措施: one measure per kind of problem, as the department says it, then 结果应用."""
    measures: list[str] = []
    if lagging:
        measures.append(f"加快预算执行进度。{_names(lagging)}要对照资金支出计划加快支出，逐月跟踪执行进度，"
                        "力争尽快达到序时进度")
    impossible = [i for i in at_risk if i["light"] == RED and i["likelihood"] == "完全不可能"]
    if impossible:
        named = "、".join(f"{i['project']}“{i['name']}”" for i in impossible)
        measures.append(f"调整绩效目标。对{named}等预计全年无法完成的指标，认真分析原因，"
                        f"按程序向{recipient}申请调整绩效目标")
    others = [i for i in at_risk if i not in impossible]
    if others:
        named = "、".join(f"{i['project']}“{i['name']}”" for i in others)
        measures.append(f"纠正绩效目标偏差。对{named}等存在偏差的指标，落实改进措施，确保年度绩效目标如期实现")
    if under_spent:
        measures.append(f"提出预算调整建议。对{_names(under_spent)}等预计年底不能执行完毕的项目，"
                        "及时提出预算调整建议，避免资金闲置沉淀")
    if pending:
        measures.append(f"补齐监控数据。尽快补报{_names(pending)}的监控表，审核后形成正式稿报送")
    measures.append(f"强化结果应用。将本期监控结果作为{year + 1}年预算安排和绩效目标设定的重要依据，"
                    "对执行进度慢、绩效目标完成差的项目在下一年度预算安排中从严审核；继续按月做好预算执行"
                    "和绩效目标“双监控”，及时发现并纠正偏差")
    return measures


def render_markdown(summary: Summary, department: Department | None = None, *,
                    template_dir: str | Path | None = None, recipient: str = DEFAULT_RECIPIENT,
                    report_date: dt.date | None = None) -> str:
    """The monthly 绩效运行监控情况说明 (报送版, addressed to ``recipient``) as Markdown."""
    env = make_environment(template_dir)
    context = monthly_context(summary, department, recipient=recipient, report_date=report_date)
    return _tidy(env.get_template(MONTHLY_TEMPLATE).render(context))


# --- the internal 报送情况 -------------------------------------------------------------------------------


def internal_context(summary: Summary, department: Department | None = None) -> dict[str, Any]:
    """Everything ``submission_status.md.j2`` (the office's internal 报送情况) may use: per section with
    the chief's name, who is missing, late or invalid, and what to chase."""
    t = summary.totals
    projects = _records(summary.projects)
    errors: dict[str, list[str]] = {}
    for issue in _records(summary.issues):
        if issue["severity"] == "error":
            message = _clean_sentence(issue["message"])
            where = issue["location"] or ""
            located = message if not where or message.startswith(where) else f"{where}：{message}"
            errors.setdefault(issue["code"], []).append(located)

    def entry(p: dict[str, Any]) -> dict[str, Any]:
        return {"code": p["code"], "name": p["name"], "section": p["section"], "chief": p["chief"],
                "late": bool(p["late"]), "errors": int(p["errors"]), "warnings": int(p["warnings"]),
                "problems": errors.get(p["code"], [])[:3]}

    missing = [entry(p) for p in projects if p["status"] == "missing"]
    invalid = [entry(p) for p in projects if p["status"] == "invalid"]
    late = [entry(p) for p in projects if p["status"] == "valid" and p["late"]]
    indicator_rows = _records(summary.indicators)
    unexplained = [entry(p) for p in projects if p["status"] == "valid" and p["light"] in (RED, YELLOW)
                   and not _explained(p, indicator_rows)]
    sections = [{
        "section": s["section"], "chief": s["chief"], "projects": int(s["projects"]),
        "reported": int(s["reported"]), "invalid": int(s["invalid"]), "missing": int(s["missing"]),
        "late": sum(1 for p in projects if p["section"] == s["section"] and p["late"]),
    } for s in _records(summary.sections)]
    return {
        "department": summary.department,
        "year": summary.year,
        "period": {"text": str(summary.period), "label": summary.period.label, "span": summary.period.months_label},
        "totals": {"projects": t.projects, "received": t.returns_received, "reported": t.projects_reported,
                   "invalid": t.projects_invalid, "missing": t.projects_missing, "late": len(late) + sum(
                       1 for p in missing + invalid if p["late"])},
        "sections": sections,
        "missing": missing,
        "invalid": invalid,
        "late": late,
        "chase": _chase(missing, invalid, unexplained),
    }


def _who(p: dict[str, Any]) -> str:
    return f"{p['section']}（{p['chief']}）" if p["chief"] else p["section"]


def _chase(missing: list[dict[str, Any]], invalid: list[dict[str, Any]], unexplained: list[dict[str, Any]]) -> list[str]:
    """请督促…: one line per section and kind, the chief named."""
    def by_who(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for p in rows:
            out.setdefault(_who(p), []).append(p)
        return out

    lines: list[str] = []
    for who, rows in by_who(missing).items():
        overdue = "（已逾期）" if any(p["late"] for p in rows) else ""
        lines.append(f"请督促{who}尽快报送{_names(rows)}的监控表{overdue}")
    for who, rows in by_who(invalid).items():
        lines.append(f"请督促{who}按反馈表修改{_names(rows)}的监控表后重新报送")
    for who, rows in by_who(unexplained).items():
        lines.append(f"请督促{who}补充{_names(rows)}的预算执行偏差原因及改进措施")
    return lines


def render_internal_markdown(summary: Summary, department: Department | None = None, *,
                             template_dir: str | Path | None = None) -> str:
    """The office's internal 监控表报送情况 as Markdown (never sent to the finance bureau)."""
    env = make_environment(template_dir)
    return _tidy(env.get_template(INTERNAL_TEMPLATE).render(internal_context(summary, department)))


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


# ``<p align="right">…</p>``: the one HTML the templates write (the sign-off); Markdown viewers show it aligned too.
_ALIGNED = re.compile(r'^<p align="(right|center|left)">(.*)</p>$')


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
        aligned = _ALIGNED.match(line.strip())
        if m:
            yield f"h{len(m.group(1))}", m.group(2).strip()
        elif aligned:
            yield aligned.group(1), aligned.group(2).strip()
        elif re.match(r"^\s*[-*]\s+", line):
            yield "bullet", re.sub(r"^\s*[-*]\s+", "", line)
        else:
            yield "p", line.strip()
        i += 1


def build_docx(markdown: str, *, created: dt.datetime | None = None, page_numbers: bool = True) -> bytes:
    """Markdown (the subset the templates write: #, ##, ###, paragraphs, - lists, | tables, and
    ``<p align="right">`` lines) → .docx bytes, with a ``第 X 页`` footer unless ``page_numbers`` is off."""
    from docx.shared import Pt

    document = _report_document(created or dt.datetime(2000, 1, 1))
    previous = ""
    for kind, content in _blocks(markdown):
        if kind == "table":
            rows, header = content
            if rows:
                _add_table(document, rows, header)
            continue
        para = _add_paragraph(document, kind, str(content), previous)
        para.paragraph_format.line_spacing = Pt(28)
        previous = kind
    if page_numbers:
        _add_page_footer(document.sections[0])
    return stable_docx_bytes(document)


def _report_document(created: dt.datetime) -> Any:
    """An empty A4 document with a 公文's margins, body font and plain headings."""
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    document = new_document(created)
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.left_margin = section.right_margin = Cm(2.6)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    normal = document.styles["Normal"]
    normal.font.name = BODY_FONT
    normal.font.size = Pt(16)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    _plain_headings(document)
    return document


def _add_table(document: Any, rows: list[list[tuple[str, int]]], header: bool) -> None:
    """A Markdown table as a centred grid (a cell spanning columns merged), then an empty paragraph."""
    from docx.enum.table import WD_TABLE_ALIGNMENT

    width = max(sum(span for _, span in r) for r in rows)
    table = document.add_table(rows=len(rows), cols=width)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    # table.cell() lists every cell of the table on each call: take the grid once (a merge within a row
    # leaves the cells of the other rows, and those right of it, as they were).
    grid = table._cells
    for r, cells in enumerate(rows):
        column = 0
        for text, span in cells:
            if column >= width:
                break
            cell = grid[r * width + column]
            if span > 1:
                cell = cell.merge(grid[r * width + min(column + span, width) - 1])
            cell.text = ""
            _set_font(cell.paragraphs[0].add_run(text), TABLE_FONT, 10.5, bold=(r == 0 and header))
            column += span
    document.add_paragraph()


def _add_paragraph(document: Any, kind: str, text: str, previous: str) -> Any:
    """One block other than a table: an aligned line, the title, a heading, a list item or a paragraph
    (``previous``: the kind of the block before, to tell the 主送机关 under the title)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    if kind in ("right", "center", "left"):
        para = document.add_paragraph()
        para.alignment = {"right": WD_ALIGN_PARAGRAPH.RIGHT, "center": WD_ALIGN_PARAGRAPH.CENTER,
                          "left": WD_ALIGN_PARAGRAPH.LEFT}[kind]
        if kind == "right":
            para.paragraph_format.right_indent = Pt(32)  # 落款 a little in from the margin, as 公文 sign
        _add_inline(para, text, BODY_FONT, 16)
    elif kind == "h1":
        para = document.add_paragraph(style="Heading 1")
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _set_font(para.add_run(_strip_md(text)), TITLE_FONT, 22, bold=False)
    elif kind in ("h2", "h3", "h4"):
        # Real heading styles: Word's navigation pane and a screen reader see the parts as headings.
        para = document.add_paragraph(style=f"Heading {kind[1]}")
        para.paragraph_format.first_line_indent = Pt(32)
        font = HEADING_FONT if kind == "h2" else "楷体_GB2312"
        _set_font(para.add_run(_strip_md(text)), font, 16, bold=kind != "h2")
    else:
        para = document.add_paragraph()
        # The 主送机关 (``区财政局：`` right under the title) starts at the margin; other paragraphs and
        # list items indent.
        addressee = kind == "p" and previous == "h1" and text.endswith("：") and len(text) <= 30
        para.paragraph_format.first_line_indent = Pt(0 if addressee else 32)
        _add_inline(para, text, BODY_FONT, 16)
    return para


def _plain_headings(document: Any) -> None:
    """Heading 1–4 as a 公文 has them: black, upright, no theme fonts or extra spacing (the runs set the font)."""
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    for level in (1, 2, 3, 4):
        style = document.styles[f"Heading {level}"]
        style.font.color.rgb = RGBColor(0, 0, 0)
        style.font.italic = False
        fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            fonts.attrib.pop(qn(attr), None)
        style.paragraph_format.space_before = Pt(12 if level == 1 else 0)
        style.paragraph_format.space_after = Pt(12 if level == 1 else 0)


def _add_page_footer(section: Any) -> None:
    """A centred footer ``第 X 页`` whose X is a PAGE field (Word and LibreOffice fill it in)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    para = section.footer.paragraphs[0]
    para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _set_font(para.add_run("第 "), TABLE_FONT, 14)
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        run = para.add_run()
        _set_font(run, TABLE_FONT, 14)
        if kind is not None:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
            run._element.append(element)
        elif text == " PAGE ":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._element.append(instr)
        else:
            run.text = text
    _set_font(para.add_run(" 页"), TABLE_FONT, 14)


def write_docx(markdown: str, path: str | Path, *, created: dt.datetime | None = None,
               page_numbers: bool = True) -> Path:
    """Write the Markdown narrative as a styled .docx (atomic, byte-stable for the same input)."""
    return write_bytes_atomic(Path(path), build_docx(markdown, created=created, page_numbers=page_numbers))
