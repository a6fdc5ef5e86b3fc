"""Consolidation: the month's counting returns → the department's 双监控 picture.

Pipeline stage after ingest and the ledger: ``consolidate(department, submissions, period)`` turns the
Submissions (one counting return per project) into pandas frames — projects, indicators, sections,
warnings, issues, trend — plus department :class:`Totals`. The report (:mod:`perfsheet.report`) and the
narrative (:mod:`perfsheet.narrative`) only read a :class:`Summary`; they never recompute a figure.

Rules (DESIGN.md §3), and the decisions where the issue is silent:

* Money and rates are computed in ``Decimal``; lights compare in exact arithmetic (a cross product, no
  division), so a rate of exactly 30 % in June is ratio 60 → yellow, 80 → green. Frames store floats,
  unrounded; rounding happens only when a figure is displayed.
* 执行率 = 1-X月执行数 / 调整后预算数 × 100 (调整后 defaults to 年初预算数 when the return leaves it empty).
  Budget-light ratio = 执行率 / 序时进度 × 100: below ``budget_red`` red, below ``budget_yellow`` yellow,
  else green. Gaps are percentage points (执行率 − 序时进度, 执行率 − 计划进度).
* A return with status ``invalid`` (or ``rejected``) is shown as 有错误: its values do not count (NaN, no
  light), its issues still go to the 问题清单. When several returns for one project are given, a valid
  one beats an invalid one and, among equals, the later one in the list wins (the ledger lists in order
  of receipt). Returns for another period or for a project not in the registry are left out, each with
  a warning row, so nothing disappears silently.
* Missing returns are 未报送: NaN/None values and no light, never zeros. Department totals (adjusted
  budget, spend, 执行率, projected spend, plan progress) are over the *reported* (valid) projects only;
  ``Totals`` carries the counts so every reader can say so. ``Totals.budget`` is the whole department's
  年初预算 (all projects: it comes from the registry, not from returns).
* 计划进度 of the department = the reported projects' 计划进度 weighted by their adjusted budgets (the
  same denominator as the department's 执行率, so the two compare).
* Indicator light (judged on the 全年预计完成值): 完全不可能 → red; 定性 达成/部分达成/未达成 →
  green/yellow/red; a numeric projection that meets the target by its operator → green, else yellow.
  No projection → no light (the chief is asked by ingest; consolidation does not guess).
* Attainment (完成率, on 截至本月完成值, numeric targets only): positive and ``=`` targets actual /
  target × 100 (uncapped, so over-achievement shows); negative targets (≤ <) follow the 自评 rule of
  DESIGN.md §3: 100 when actual ≤ target, (2 − actual/target) × 100 between target and twice the target,
  else 0; a target of 0 gives 100 when met, else 0. Target 0 for positive targets → no attainment.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pandas as pd

from perfsheet.consolidate.summary import MoneyPart, Summary, Totals, is_missing
from perfsheet.form.issues import issue_row
from perfsheet.labels import STATUS_LABELS, WARNING_LEVEL_LABELS, light_label
from perfsheet.model import (
    OVERALL_CODE,
    Department,
    Indicator,
    IndicatorReturn,
    Issue,
    Period,
    Project,
    Submission,
    SubmissionStatus,
)
from perfsheet.rules import (
    DEVIATION_NO_EXPLANATION,
    GREEN,
    RED,
    YELLOW,
    MonitoringRules,
    Thresholds,
    attainment,
    choose_return,
    indicator_light,
    money_split,
)

__all__ = ["consolidate"]

HUNDRED = Decimal(100)
ZERO = Decimal(0)

VALID, INVALID, MISSING = "valid", "invalid", "missing"
UNASSIGNED_SECTION = "未分配科室"


def _f(value: Decimal | None) -> float:
    """Decimal → float for a frame; missing → NaN."""
    return math.nan if value is None else float(value)


def _value_cell(value: object) -> object:
    """An indicator value for a frame: a float for numbers, the word for 定性, None when missing."""
    if isinstance(value, Decimal):
        return float(value)
    return value if isinstance(value, str) else None


def _fmt_pct(value: Decimal) -> str:
    return f"{float(value):.1f}%"


def _fmt_pp(value: Decimal) -> str:
    word = "高于" if value >= 0 else "低于"
    return f"{word}{abs(float(value)):.1f}个百分点"


# ---------------------------------------------------------------------------------------------------
# Choosing the counting return per project


def _pick_returns(
    department: Department, submissions: Iterable[Submission], period: Period
) -> tuple[dict[str, Submission], list[dict[str, object]]]:
    """The return that stands for each project (``submissions`` in order of receipt), and a warning
    row for each return left out (another period, a project not in the registry)."""
    by_project: dict[str, list[Submission]] = {}
    stray: list[dict[str, object]] = []
    known = {p.code for p in department.projects}
    for sub in submissions:
        if sub.period != period:
            stray.append(_warning("return", "ignored", sub.project_code, None, "", "", "",
                                  f"文件{sub.file or ''}是{sub.period.label}的报表，不属于{period.label}，未计入汇总"))
            continue
        if sub.project_code not in known:
            stray.append(_warning("return", "ignored", sub.project_code, None, "", "", "",
                                  f"文件{sub.file or ''}的项目编码{sub.project_code}不在本年度目标中，未计入汇总"))
            continue
        by_project.setdefault(sub.project_code, []).append(sub)
    chosen: dict[str, Submission] = {}
    for code, subs in by_project.items():
        shown = choose_return(subs, _counts).shown
        if shown is not None:
            chosen[code] = shown
    return chosen, stray


def _counts(sub: Submission) -> bool:
    return sub.status is SubmissionStatus.VALID


def _warning(kind: str, level: str, code: str, n: int | None, project: str, section: str, chief: str,
             reason: str, explanation: str = "", indicator: str = "") -> dict[str, object]:
    return {
        "kind": kind,  # budget | indicator | return
        "level": level,  # red | yellow | missing | invalid | ignored
        "level_label": WARNING_LEVEL_LABELS[level],
        "code": code,
        "project": project,
        "section": section,
        "chief": chief,
        "n": n,
        "indicator": indicator,
        "reason": reason,
        "explanation": explanation,
    }


# ---------------------------------------------------------------------------------------------------
# Project figures (shared by the month and by the trend)


@dataclass(slots=True)
class _ProjectFigures:
    status: str
    budget_adjusted: Decimal | None = None
    spend_to_date: Decimal | None = None
    spend_projected: Decimal | None = None
    execution_rate: Decimal | None = None
    ratio: Decimal | None = None
    light: str | None = None
    # The 其他资金 part of the three money figures; 财政资金 is the total less it.
    other: tuple[Decimal | None, Decimal | None, Decimal | None] = (None, None, None)

    @property
    def fiscal(self) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
        totals = (self.budget_adjusted, self.spend_to_date, self.spend_projected)
        return tuple(  # type: ignore[return-value]
            None if t is None or o is None else t - o for t, o in zip(totals, self.other, strict=True)
        )

    def part(self, name: str) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
        """(调整后预算数, 1-X月执行数, 全年预计执行数) of ``fiscal`` or ``other``."""
        return self.fiscal if name == "fiscal" else self.other


def _project_figures(project: Project, sub: Submission | None, period: Period,
                     thresholds: Thresholds) -> _ProjectFigures:
    if sub is None:
        return _ProjectFigures(status=MISSING)
    if not _counts(sub):
        return _ProjectFigures(status=INVALID)
    money = money_split(sub, project)
    adjusted = money.adjusted
    fig = _ProjectFigures(status=VALID, budget_adjusted=adjusted, spend_to_date=sub.spend_to_date,
                          spend_projected=sub.spend_projected,
                          other=(money.adjusted_other, money.spend_other, money.projected_other))
    if sub.spend_to_date is not None and adjusted > 0:
        fig.execution_rate = sub.spend_to_date / adjusted * HUNDRED
        fig.ratio = thresholds.budget_ratio(sub.spend_to_date, adjusted, period.month)
        fig.light = thresholds.budget_light(sub.spend_to_date, adjusted, period.month)
    return fig


def _sum(values: Iterable[Decimal | None]) -> Decimal | None:
    present = [v for v in values if v is not None]
    return sum(present, ZERO) if present else None


@dataclass(slots=True)
class _DeptFigures:
    adjusted: Decimal | None
    spend: Decimal | None
    rate: Decimal | None
    plan: Decimal | None


def _department_figures(department: Department, figures: Mapping[str, _ProjectFigures],
                        plan: Mapping[str, Decimal]) -> _DeptFigures:
    # Only projects whose rate is computable count, so numerator and denominator cover the same set.
    rated = [(p, figures[p.code]) for p in department.projects if figures[p.code].execution_rate is not None]
    if not rated:
        return _DeptFigures(None, None, None, None)
    adjusted = sum((f.budget_adjusted or ZERO for _, f in rated), ZERO)
    spend = sum((f.spend_to_date or ZERO for _, f in rated), ZERO)
    rate = spend / adjusted * HUNDRED if adjusted > 0 else None
    weighted = sum(((f.budget_adjusted or ZERO) * plan[p.code] for p, f in rated), ZERO)
    plan_pct = weighted / adjusted if adjusted > 0 else None
    return _DeptFigures(adjusted, spend, rate, plan_pct)


# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Context:
    """What every row of one consolidation shares."""

    period: Period
    time_progress: Decimal  # 序时进度 %, computed once
    thresholds: Thresholds
    chiefs: Mapping[str, str]
    received: Mapping[str, dt.datetime]
    plan: Mapping[str, Decimal]
    deadline: dt.date | None = None
    as_of: dt.date | None = None  # the day the picture is taken: a missing return is 逾期 after the deadline


@dataclass(slots=True)
class _Rows:
    """The rows of the frames, collected project by project."""

    projects: list[dict[str, object]] = field(default_factory=list)
    indicators: list[dict[str, object]] = field(default_factory=list)
    issues: list[dict[str, object]] = field(default_factory=list)
    return_warnings: list[dict[str, object]] = field(default_factory=list)
    budget_warnings: list[dict[str, object]] = field(default_factory=list)
    indicator_warnings: list[dict[str, object]] = field(default_factory=list)

    def warnings(self, stray: list[dict[str, object]]) -> list[dict[str, object]]:
        # Missing/invalid returns first (nothing else can be judged for them), then red before yellow
        # budget lights, then indicators, then files left out.
        return (self.return_warnings
                + sorted(self.budget_warnings, key=lambda w: w["level"] != RED)
                + sorted(self.indicator_warnings, key=lambda w: w["level"] != RED)
                + stray)


def consolidate(
    department: Department,
    submissions: Iterable[Submission],
    period: Period,
    *,
    thresholds: Thresholds | None = None,
    history: Mapping[Period, Sequence[Submission]] | None = None,
    received: Mapping[str, dt.datetime] | None = None,
    deadline: dt.date | None = None,
    as_of: dt.date | None = None,
    rules: MonitoringRules | None = None,
) -> Summary:
    """Consolidate one period's returns.

    ``submissions``: the returns of the period in order of receipt; per project the newest valid one
    counts, and a project with only invalid returns shows as 有错误 with their issues (this is
    :func:`perfsheet.rules.choose_return`, the rule the ledger's counting flag follows).
    ``history``: earlier periods of the year → their returns, for the 趋势 sheet.
    ``received``: project code → when the file that stands for it arrived (for 报送情况).
    ``deadline``: the last day a return is on time; a return received later is marked 逾期.
    ``as_of``: the day of the picture; a project still without a return after the deadline is marked
    逾期 too (left out, a missing return is never late, so the result depends on its inputs only).
    """
    thresholds = thresholds or Thresholds()
    ctx = _Context(
        period=period,
        time_progress=period.time_progress,
        thresholds=thresholds,
        chiefs={s.name: s.chief for s in department.sections},
        received=received or {},
        plan={p.code: p.plan_progress(period.month) for p in department.projects},
        deadline=deadline,
        as_of=as_of,
    )
    everything = list(submissions)
    overall_returns = [s for s in everything if s.project_code == OVERALL_CODE and s.period == period]
    chosen, stray_warnings = _pick_returns(
        department, [s for s in everything if s.project_code != OVERALL_CODE], period)
    rows = _Rows()
    figures: dict[str, _ProjectFigures] = {}
    for project in department.projects:
        sub = chosen.get(project.code)
        figures[project.code] = fig = _project_figures(project, sub, period, thresholds)
        _add_project(rows, project, sub, fig, ctx)

    overall = department.overall
    overall_frame, overall_status, overall_sub = None, "", None
    overall_receipt: dict[str, object] | None = None
    if overall is not None:
        overall_sub = choose_return(overall_returns, _counts).shown
        overall_fig = _ProjectFigures(status=MISSING if overall_sub is None
                                      else VALID if _counts(overall_sub) else INVALID)
        overall_status = overall_fig.status
        before = len(rows.indicators)
        _add_project_returns(rows, overall, overall_sub, overall_fig, ctx)
        overall_frame = pd.DataFrame(rows.indicators[before:], columns=_INDICATOR_COLUMNS)
        del rows.indicators[before:]  # the department's targets are not project indicators
        overall_receipt = _receipt(overall, overall_sub, overall_status, ctx)
    totals = _totals(department, figures, rows.indicators, ctx)
    projects = pd.DataFrame(rows.projects, columns=_PROJECT_COLUMNS)
    indicators = pd.DataFrame(rows.indicators, columns=_INDICATOR_COLUMNS)
    return Summary(
        department=department.name, year=department.year, period=period, time_progress=ctx.time_progress,
        thresholds=thresholds, totals=totals, projects=projects, indicators=indicators,
        sections=_sections_frame(department, projects, indicators),
        warnings=pd.DataFrame(rows.warnings(stray_warnings), columns=_WARNING_COLUMNS),
        issues=pd.DataFrame(rows.issues, columns=_ISSUE_COLUMNS),
        trend=_trend_frame(department, period, figures, ctx.plan, thresholds, history or {}),
        month_kind=(rules or MonitoringRules()).month_kind(period),
        asks_indicators=(rules or MonitoringRules()).asks_indicators(period),
        overall=overall_frame,
        overall_status=overall_status,
        overall_progress=(overall_sub.goal_progress or "") if overall_sub is not None and overall_status == VALID else "",
        overall_receipt=overall_receipt,
    )


def _late(project: Project, sub: Submission | None, ctx: _Context) -> bool:
    """逾期: received after the deadline, or still missing on a day after it."""
    if sub is None:
        return bool(ctx.deadline and ctx.as_of and ctx.as_of > ctx.deadline)
    when = ctx.received.get(project.code)
    return bool(ctx.deadline and when and when.date() > ctx.deadline)


def _receipt(project: Project, sub: Submission | None, status: str, ctx: _Context) -> dict[str, object]:
    """A form's line of 报送情况 (the 部门整体 form has no money, so no projects-frame row)."""
    when = ctx.received.get(project.code)
    late = _late(project, sub, ctx)
    return {
        "section": project.section or UNASSIGNED_SECTION, "chief": ctx.chiefs.get(project.section or "", ""),
        "code": project.code, "name": project.name, "status": status,
        "status_label": STATUS_LABELS[status] + ("（逾期）" if late else ""), "late": late, "received": when,
        "filled_date": sub.contact_date if sub else None, "contact_name": (sub.contact_name or "") if sub else "",
        "file": sub.file if sub else "", "errors": len(sub.errors) if sub else 0,
        "warnings": len(sub.warnings) if sub else 0,
    }


def _add_project_returns(rows: _Rows, project: Project, sub: Submission | None, fig: _ProjectFigures,
                         ctx: _Context) -> None:
    """The 部门整体 form's part of the frames: its return's warning and issues, and its target rows."""
    section = project.section or UNASSIGNED_SECTION
    chief = ctx.chiefs.get(project.section or "", "")
    if fig.status != VALID:  # its money is the projects': only a missing or invalid return warns
        warning = _project_warning(project, None, fig, ctx, section, chief)
        if warning is not None:
            rows.return_warnings.append(warning)
    if sub is not None:
        rows.issues.extend(_issue_row(project, sub, issue, section, chief) for issue in sub.issues)
    _add_indicators(rows, project, sub if fig.status == VALID else None, fig, section, chief)


def _add_project(rows: _Rows, project: Project, sub: Submission | None, fig: _ProjectFigures, ctx: _Context) -> None:
    """One project's row, its warning, the issues of its return and its indicator rows."""
    section = project.section or UNASSIGNED_SECTION
    chief = ctx.chiefs.get(project.section or "", "")
    counting = sub if fig.status == VALID else None
    rows.projects.append(_project_row(project, sub, counting, fig, ctx, section, chief))
    warning = _project_warning(project, counting, fig, ctx, section, chief)
    if warning is not None:
        (rows.return_warnings if warning["kind"] == "return" else rows.budget_warnings).append(warning)
    if sub is not None:
        rows.issues.extend(_issue_row(project, sub, issue, section, chief) for issue in sub.issues)
    _add_indicators(rows, project, counting, fig, section, chief)


def _gaps(fig: _ProjectFigures, plan_pct: Decimal, ctx: _Context) -> tuple[Decimal | None, Decimal | None]:
    """(执行率 − 序时进度, 执行率 − 计划进度) in percentage points."""
    rate = fig.execution_rate
    if rate is None:
        return None, None
    return rate - ctx.time_progress, rate - plan_pct


def _project_row(project: Project, sub: Submission | None, counting: Submission | None, fig: _ProjectFigures,
                 ctx: _Context, section: str, chief: str) -> dict[str, object]:
    plan_pct = ctx.plan[project.code]
    gap_time, gap_plan = _gaps(fig, plan_pct, ctx)
    late = _late(project, sub, ctx)
    projected_rate = (fig.spend_projected / fig.budget_adjusted * HUNDRED
                      if fig.spend_projected is not None and fig.budget_adjusted else None)
    return {
        "code": project.code,
        "name": project.name,
        "section": section,
        "chief": chief,
        "budget": float(project.budget),
        "budget_adjusted": _f(fig.budget_adjusted),
        "spend_to_date": _f(fig.spend_to_date),
        "execution_rate": _f(fig.execution_rate),
        "time_progress": float(ctx.time_progress),
        "plan_progress": float(plan_pct),
        "gap_time_pp": _f(gap_time),
        "gap_plan_pp": _f(gap_plan),
        "ratio": _f(fig.ratio),
        "light": fig.light,
        "light_label": light_label(fig.light, fig.status),
        "spend_projected": _f(fig.spend_projected),
        "projected_rate": _f(projected_rate),
        **_part_columns(project, fig),
        "status": fig.status,
        "status_label": STATUS_LABELS[fig.status] + ("（逾期）" if late else ""),
        "late": late,
        "goal_progress": (counting.goal_progress or "") if counting else "",
        "budget_explanation": (counting.budget_explanation or "") if counting else "",
        "file": sub.file if sub else "",
        "received": ctx.received.get(project.code),
        "filled_date": sub.contact_date if sub else None,
        "contact_name": (sub.contact_name or "") if sub else "",
        "contact_phone": (sub.contact_phone or "") if sub else "",
        "errors": len(sub.errors) if sub else 0,
        "warnings": len(sub.warnings) if sub else 0,
    }


MONEY_PARTS = ("fiscal", "other")  # 其中：财政资金, 其他资金


def _part_columns(project: Project, fig: _ProjectFigures) -> dict[str, float]:
    """``fiscal_…`` and ``other_…`` columns: the money tree's two parts of one project."""
    columns: dict[str, float] = {}
    for name in MONEY_PARTS:
        adjusted, spend, projected = fig.part(name)
        rate = spend / adjusted * HUNDRED if spend is not None and adjusted else None
        columns |= {
            f"{name}_budget": float(project.fiscal if name == "fiscal" else project.other),
            f"{name}_budget_adjusted": _f(adjusted),
            f"{name}_spend_to_date": _f(spend),
            f"{name}_execution_rate": _f(rate),
            f"{name}_spend_projected": _f(projected),
        }
    return columns


def _money_part(department: Department, figures: Mapping[str, _ProjectFigures], name: str) -> MoneyPart:
    """A part of the department's money over the projects whose 执行率 counts in the totals."""
    rated = [figures[p.code].part(name) for p in department.projects if figures[p.code].execution_rate is not None]
    return MoneyPart(_sum(r[0] for r in rated), _sum(r[1] for r in rated), _sum(r[2] for r in rated))


def _project_warning(project: Project, counting: Submission | None, fig: _ProjectFigures, ctx: _Context,
                     section: str, chief: str) -> dict[str, object] | None:
    """The 预警清单 row of a project: a return that does not count, or a red/yellow budget light."""
    if fig.status != VALID:
        overdue = bool(ctx.deadline and ctx.as_of and ctx.as_of > ctx.deadline)
        reason = ((f"已过报送截止日（{ctx.deadline:%Y-%m-%d}），仍未报送本月监控表" if overdue
                   else "未报送本月监控表") if fig.status == MISSING
                  else "报送的监控表有错误，未计入汇总，请按反馈表修改后重新报送")
        return _warning("return", fig.status, project.code, None, project.name, section, chief, reason)
    plan_pct = ctx.plan[project.code]
    gap_time, gap_plan = _gaps(fig, plan_pct, ctx)
    rate = fig.execution_rate
    if fig.light not in (RED, YELLOW) or rate is None or gap_plan is None or fig.ratio is None:
        return None
    limit = ctx.thresholds.budget_red if fig.light == RED else ctx.thresholds.budget_yellow
    reason = (f"执行率{_fmt_pct(rate)}，序时进度{_fmt_pct(ctx.time_progress)}，{_fmt_pp(gap_time or ZERO)}；"
              f"执行率与序时进度之比{float(fig.ratio):.1f}，低于{limit}；计划进度{_fmt_pct(plan_pct)}，"
              f"{_fmt_pp(gap_plan)}")
    return _warning("budget", fig.light, project.code, None, project.name, section, chief, reason,
                    _project_explanations(counting))


def _issue_row(project: Project, sub: Submission, issue: Issue, section: str, chief: str) -> dict[str, object]:
    """A row of the summary's 问题清单: the project, then the issue table's row (``code`` is the project's
    code here, so the issue's own code is ``issue_code``)."""
    row = issue_row(issue)
    return {
        "code": project.code, "project": project.name, "section": section, "chief": chief,
        "file": sub.file, "location": row["location"], "field": row["field"],
        "issue_code": row["code"], "issue_title": row["title"], "severity": row["severity"],
        "severity_label": row["severity_label"],
        "value": row["value"], "message": row["message"],
    }


def _add_indicators(rows: _Rows, project: Project, counting: Submission | None, fig: _ProjectFigures,
                    section: str, chief: str) -> None:
    by_n = {r.n: r for r in counting.indicators} if counting else {}
    for ind in project.indicators:
        ret = by_n.get(ind.n)
        light = indicator_light(ind, ret) if ret else None
        attained = attainment(ind, ret.actual) if ret else None
        rows.indicators.append({
            "code": project.code,
            "project": project.name,
            "section": section,
            "n": ind.n,
            "level1": ind.level1,
            "level2": ind.level2,
            "name": ind.name,
            "target_raw": ind.target.raw,
            "target_op": str(ind.target.op),
            "target_value": _f(ind.target.value),
            "unit": ind.target.unit,
            "actual": _value_cell(ret.actual) if ret else None,
            "projection": _value_cell(ret.projection) if ret else None,
            "attainment": _f(attained),
            "likelihood": (ret.likelihood or "") if ret else "",
            "deviation": (ret.deviation or "") if ret else "",
            "explanation": (ret.explanation or "") if ret else "",
            "light": light,
            "light_label": light_label(light, fig.status),
            "status": fig.status,
        })
        if light in (RED, YELLOW) and ret is not None:
            rows.indicator_warnings.append(_warning(
                "indicator", light, project.code, ind.n, project.name, section, chief,
                _indicator_reason(ind, ret), ret.explanation or "", ind.name))


def _totals(department: Department, figures: Mapping[str, _ProjectFigures],
            indicator_rows: Sequence[Mapping[str, object]], ctx: _Context) -> Totals:
    month, time_progress = ctx.period.month, ctx.time_progress
    dept = _department_figures(department, figures, ctx.plan)
    reported = [f for f in figures.values() if f.status == VALID]
    ratio: Decimal | None = None
    light: str | None = None
    if dept.spend is not None and dept.adjusted:
        ratio = ctx.thresholds.budget_ratio(dept.spend, dept.adjusted, month)
        light = ctx.thresholds.budget_light(dept.spend, dept.adjusted, month)
    return Totals(
        budget=department.total_budget,
        budget_reported=_sum(p.budget for p in department.projects if figures[p.code].status == VALID),
        adjusted_budget=dept.adjusted,
        spend_to_date=dept.spend,
        execution_rate=dept.rate,
        projected_spend=_sum(f.spend_projected for f in reported),
        time_progress=time_progress,
        plan_progress=dept.plan,
        gap_time_pp=dept.rate - time_progress if dept.rate is not None else None,
        gap_plan_pp=dept.rate - dept.plan if dept.rate is not None and dept.plan is not None else None,
        ratio=ratio,
        light=light,
        projects=len(department.projects),
        projects_reported=len(reported),
        projects_invalid=sum(1 for f in figures.values() if f.status == INVALID),
        projects_missing=sum(1 for f in figures.values() if f.status == MISSING),
        indicators=len(indicator_rows),
        budget_lights={k: sum(1 for f in figures.values() if f.light == k) for k in (RED, YELLOW, GREEN)},
        indicator_lights={k: sum(1 for r in indicator_rows if r["light"] == k) for k in (RED, YELLOW, GREEN)},
        fiscal=_money_part(department, figures, "fiscal"),
        other=_money_part(department, figures, "other"),
    )


_PROJECT_COLUMNS = [
    "code", "name", "section", "chief", "budget", "budget_adjusted", "spend_to_date", "execution_rate",
    "time_progress", "plan_progress", "gap_time_pp", "gap_plan_pp", "ratio", "light", "light_label",
    "spend_projected", "projected_rate",
    *(f"{part}_{column}" for part in MONEY_PARTS
      for column in ("budget", "budget_adjusted", "spend_to_date", "execution_rate", "spend_projected")),
    "status", "status_label", "late", "goal_progress", "budget_explanation",
    "file", "received", "filled_date", "contact_name", "contact_phone", "errors", "warnings",
]
_INDICATOR_COLUMNS = [
    "code", "project", "section", "n", "level1", "level2", "name", "target_raw", "target_op",
    "target_value", "unit", "actual", "projection", "attainment", "likelihood", "deviation", "explanation",
    "light", "light_label", "status",
]
_WARNING_COLUMNS = [
    "kind", "level", "level_label", "code", "project", "section", "chief", "n", "indicator", "reason",
    "explanation",
]
_ISSUE_COLUMNS = [
    "code", "project", "section", "chief", "file", "location", "field", "issue_code", "issue_title", "severity",
    "severity_label", "value", "message",
]
_SECTION_COLUMNS = [
    "section", "chief", "projects", "received", "reported", "invalid", "missing", "budget",
    "budget_adjusted", "spend_to_date", "execution_rate", "red", "yellow", "green", "indicator_red",
    "indicator_yellow", "indicator_green", "missing_projects",
]
_TREND_COLUMNS = [
    "period", "month", "scope", "name", "execution_rate", "time_progress", "plan_progress", "reported",
]


def _project_explanations(sub: Submission | None) -> str:
    """The chief's words on a lagging project: the 预算执行偏差原因及改进措施 (its one home), else the
    目标完成情况; indicator explanations are about indicators and stay on their own rows."""
    if sub is None:
        return ""
    return (sub.budget_explanation or sub.goal_progress or "").strip()


def _indicator_reason(ind: Indicator, ret: IndicatorReturn) -> str:
    projection = ret.projection
    shown = (f"{projection}{ind.target.unit}" if isinstance(projection, Decimal)
             else (projection or "未填"))
    parts = [f"目标{ind.target.raw}，全年预计{shown}"]
    if ret.likelihood:
        parts.append(f"完成可能性：{ret.likelihood}")
    if ret.deviation and ret.deviation != DEVIATION_NO_EXPLANATION:
        parts.append(f"偏差原因：{ret.deviation}")
    return "，".join(parts)


def _sections_frame(department: Department, projects: pd.DataFrame, indicators: pd.DataFrame) -> pd.DataFrame:
    """Totals per 科室 in one pass over the project and indicator rows (linear in the number of rows)."""
    chiefs = {s.name: s.chief for s in department.sections}
    acc: dict[str, dict[str, Any]] = {}

    def entry(name: str) -> dict[str, Any]:
        if name not in acc:
            acc[name] = {"section": name, "chief": chiefs.get(name, ""), "projects": 0, "received": 0,
                         "reported": 0, "invalid": 0, "missing": 0, "budget": ZERO, "budget_adjusted": ZERO,
                         "spend_to_date": ZERO, "rated": 0, RED: 0, YELLOW: 0, GREEN: 0, "indicator_red": 0,
                         "indicator_yellow": 0, "indicator_green": 0, "missing_projects": []}
        return acc[name]

    for name in (s.name for s in department.sections):
        entry(name)
    for row in projects[["section", "status", "budget", "budget_adjusted", "spend_to_date", "execution_rate",
                         "light", "name"]].itertuples(index=False):
        e = entry(str(row.section))
        e["projects"] += 1
        e["budget"] += Decimal(str(row.budget))
        status = row.status
        if status != MISSING:
            e["received"] += 1
        if status == VALID:
            e["reported"] += 1
            if not is_missing(row.execution_rate):
                e["rated"] += 1
                e["budget_adjusted"] += Decimal(str(row.budget_adjusted))
                e["spend_to_date"] += Decimal(str(row.spend_to_date))
        elif status == INVALID:
            e["invalid"] += 1
        else:
            e["missing"] += 1
            e["missing_projects"].append(str(row.name))
        if row.light in (RED, YELLOW, GREEN):
            e[str(row.light)] += 1
    for section, light in zip(indicators["section"], indicators["light"], strict=True):
        if light in (RED, YELLOW, GREEN):
            entry(str(section))[f"indicator_{light}"] += 1
    rows: list[dict[str, object]] = []
    for e in acc.values():
        if not e["projects"]:
            continue
        rated, adjusted, spend = e.pop("rated"), e["budget_adjusted"], e["spend_to_date"]
        e["execution_rate"] = float(spend / adjusted * HUNDRED) if rated and adjusted > 0 else math.nan
        e["budget_adjusted"] = float(adjusted) if rated else math.nan
        e["spend_to_date"] = float(spend) if rated else math.nan
        e["budget"] = float(e["budget"])
        e["missing_projects"] = "、".join(e["missing_projects"])
        rows.append(e)
    return pd.DataFrame(rows, columns=_SECTION_COLUMNS)


def _trend_frame(department: Department, period: Period,
                 figures: Mapping[str, _ProjectFigures], plan: Mapping[str, Decimal],
                 thresholds: Thresholds, history: Mapping[Period, Sequence[Submission]]) -> pd.DataFrame:
    """Department and per-project 执行率 per month of the year up to ``period`` (months with data)."""
    rows: list[dict[str, object]] = []
    months: dict[Period, tuple[Mapping[str, _ProjectFigures], Mapping[str, Decimal]]] = {}
    for past, subs in history.items():
        if past.year != period.year or past >= period:
            continue
        past_chosen, _ = _pick_returns(department, subs, past)
        past_figs = {p.code: _project_figures(p, past_chosen.get(p.code), past, thresholds)
                     for p in department.projects}
        months[past] = (past_figs, {p.code: p.plan_progress(past.month) for p in department.projects})
    months[period] = (figures, plan)
    for when in sorted(months):
        figs, plans = months[when]
        dept = _department_figures(department, figs, plans)
        tp = float(when.time_progress)
        rows.append({"period": str(when), "month": when.month, "scope": "department", "name": department.name,
                     "execution_rate": _f(dept.rate), "time_progress": tp, "plan_progress": _f(dept.plan),
                     "reported": sum(1 for f in figs.values() if f.status == VALID)})
        for p in department.projects:
            f = figs[p.code]
            rows.append({"period": str(when), "month": when.month, "scope": p.code, "name": p.name,
                         "execution_rate": _f(f.execution_rate), "time_progress": tp,
                         "plan_progress": float(plans[p.code]), "reported": int(f.status == VALID)})
    return pd.DataFrame(rows, columns=_TREND_COLUMNS)
