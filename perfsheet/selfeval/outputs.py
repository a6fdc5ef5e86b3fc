"""The self-evaluation's outputs in ``reports/<year>-自评/``: the 项目支出绩效自评表 (one print-ready sheet
per project in the published layout) and the 绩效自评报告 (Markdown from ``selfeval_report.md.j2``, and
.docx). Both only read a :class:`~perfsheet.selfeval.score.SelfEvaluation`: no figure is recomputed."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from perfsheet.fsutil import confined, safe_dir, write_bytes_atomic, write_text_atomic
from perfsheet.labels import FORM_YEAR_END, form_short
from perfsheet.model import YEAR_END_TAG, Department, Project
from perfsheet.report.narrative import cn_date, make_environment, write_docx
from perfsheet.selfeval.score import IndicatorScore, ProjectScore, SelfEvaluation
from perfsheet.targets import value_with_unit
from perfsheet.xlsxutil import row_height

__all__ = [
    "SelfEvalFiles",
    "build_department_selfeval_workbook",
    "build_selfeval_workbook", "render_selfeval_markdown", "write_selfeval_outputs"]

SELFEVAL_TEMPLATE = "selfeval_report.md.j2"
STATUS_WORDS = {"scored": "已评分", "missing": "未报送", "invalid": "报送有错误"}
_WIDTHS = (12, 14, 26, 12, 12, 8, 8, 36)
_LINE = 13.0  # points per wrapped line of the sheets' 10-point 宋体
_LAST = len(_WIDTHS) - 1


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


class _Formats:
    def __init__(self, wb: xlsxwriter.Workbook) -> None:
        base = {"font_name": "宋体", "font_size": 10, "border": 1, "valign": "vcenter", "text_wrap": True}
        self.title = wb.add_format({"font_name": "黑体", "font_size": 16, "bold": True, "align": "center"})
        self.line = wb.add_format({"font_name": "宋体", "font_size": 10})
        self.label = wb.add_format({**base, "align": "center", "bold": True, "bg_color": "#F2F2F2"})
        self.text = wb.add_format(base)
        self.center = wb.add_format({**base, "align": "center"})
        self.money = wb.add_format({**base, "align": "center", "num_format": "0.00"})
        self.score = wb.add_format({**base, "align": "center", "num_format": "0.00"})
        self.pct = wb.add_format({**base, "align": "center", "num_format": "0.0%"})


def _cell(ws: Worksheet, f: _Formats, row: int, col: int, value: object, fmt: Any, last: int | None = None) -> None:
    """One cell (merged to ``last``); user text is always written as a string, never a formula."""
    if last is not None and last > col:
        ws.merge_range(row, col, row, last, "", fmt)
    if value is None:
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, int | float):
        ws.write_number(row, col, value, fmt)
    else:
        ws.write_string(row, col, str(value), fmt)


def _print_setup(ws: Worksheet, last_row: int, last_col: int, footer: str) -> None:
    """A4 landscape, one page wide and at most two tall, as the published 自评表 print."""
    ws.set_paper(9)
    ws.set_landscape()
    ws.fit_to_pages(1, 2)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    ws.center_horizontally()
    ws.print_area(0, 0, last_row, last_col)
    ws.set_footer(footer)


def _write_sheet(ws: Worksheet, f: _Formats, evaluation: SelfEvaluation, department: Department, p: ProjectScore,
                 unit_name: str) -> None:
    project = department.project(p.code)
    for col, width in enumerate(_WIDTHS):
        ws.set_column(col, col, width)
    _cell(ws, f, 0, 0, f"项目支出绩效自评表（{evaluation.year}年度）", f.title, _LAST)
    ws.set_row(0, 30)
    _cell(ws, f, 1, 0, f"填报单位（盖章）：{unit_name}", f.line, 4)
    _cell(ws, f, 1, 5, "金额单位：万元", f.line, _LAST)
    r = 2
    _cell(ws, f, r, 0, "项目名称", f.label, 1)
    _cell(ws, f, r, 2, p.name, f.text, _LAST)
    r += 1
    _cell(ws, f, r, 0, "主管部门", f.label, 1)
    _cell(ws, f, r, 2, department.name, f.text, 3)
    _cell(ws, f, r, 4, "实施单位", f.label)
    _cell(ws, f, r, 5, f"{unit_name}（{project.section}）" if project.section else unit_name, f.text, _LAST)
    r = _write_money_block(ws, f, r + 1, project, p)
    r = _write_goal_block(ws, f, r, project, p)
    r = _write_indicator_table(ws, f, r, project, p)
    total = p.total
    grade = evaluation.rules.grade(total) if total is not None else STATUS_WORDS[p.status]
    _cell(ws, f, r, 0, "总分", f.label, 4)
    _cell(ws, f, r, 5, 100.0, f.score)
    _cell(ws, f, r, 6, _num(total), f.score)
    _cell(ws, f, r, 7, f"自评等级：{grade}", f.center)
    r += 1
    _cell(ws, f, r, 0, f"数据来源：{_source_words(p)}", f.line, _LAST)
    r = _write_signoff(ws, f, r + 1, (0, 3, 5, 7))
    _print_setup(ws, r, _LAST, f"&L{p.code.replace('&', '&&')}&C第 &P 页，共 &N 页")


def _rate(spend: Decimal | None, budget: Decimal | None) -> float | None:
    """执行率 as the cell's fraction (the format shows it as %), blank when it cannot be computed."""
    return None if spend is None or not budget else float(spend / budget)


def _write_money_block(ws: Worksheet, f: _Formats, r: int, project: Project, p: ProjectScore) -> int:
    """项目资金: 年度资金总额 (scored: 分值 and 得分), 其中：财政拨款 and 其他资金 (the return's 其他资金
    rows; 财政 is the total less them). Returns the next free row."""
    for col, head in enumerate(("项目资金", "资金类别", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分")):
        _cell(ws, f, r, col, head, f.label)
    # An unscored project still shows the budget's 分值; its 得分 says why there is none (never a zero).
    score: object = _num(p.budget_score) if p.scored else STATUS_WORDS[p.status]
    rows = (("年度资金总额", project.budget, p.adjusted_budget, p.spend, _num(p.budget_weight), score),
            ("其中：财政拨款", project.fiscal, p.adjusted_fiscal, p.spend_fiscal, None, None),
            ("其他资金", project.other, p.adjusted_other, p.spend_other, None, None))
    for label, initial, adjusted, spend, weight, money_score in rows:
        r += 1
        _cell(ws, f, r, 1, label, f.text)
        _cell(ws, f, r, 2, _num(initial), f.money)
        _cell(ws, f, r, 3, _num(adjusted), f.money)
        _cell(ws, f, r, 4, _num(spend), f.money)
        _cell(ws, f, r, 5, weight, f.score)
        _cell(ws, f, r, 6, _rate(spend, adjusted), f.pct)
        _cell(ws, f, r, 7, money_score, f.score)
    ws.merge_range(r - 3, 0, r, 0, "项目资金\n（万元）", f.label)
    return r + 1


def _write_goal_block(ws: Worksheet, f: _Formats, r: int, project: Project, p: ProjectScore) -> int:
    """年度总体目标: 预期目标 beside 实际完成情况."""
    progress = p.goal_progress or ("" if p.scored else STATUS_WORDS[p.status])
    _cell(ws, f, r, 0, "年度总体目标", f.label)
    _cell(ws, f, r, 1, "预期目标", f.label)
    _cell(ws, f, r, 2, project.goal, f.text, 3)
    _cell(ws, f, r, 4, "实际完成情况", f.label)
    _cell(ws, f, r, 5, progress, f.text, _LAST)
    ws.set_row(r, row_height([(project.goal, sum(_WIDTHS[2:4])), (progress, sum(_WIDTHS[5:]))], minimum=30, line_height=_LINE))
    return r + 1


def _write_indicator_table(ws: Worksheet, f: _Formats, r: int, project: Project, p: ProjectScore) -> int:
    """The indicator table, its header repeated on a second page; one row per indicator, as tall as its
    longest wrapped text (names, targets, actuals and explanations alike). Returns the next free row."""
    heads = ("一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施")
    for col, head in enumerate(heads):
        _cell(ws, f, r, col, head, f.label)
    ws.repeat_rows(r, r)
    by_n = {i.n: i for i in p.indicators}
    for ind in project.indicators:
        r += 1
        score = by_n.get(ind.n)
        actual = value_with_unit(score.actual, score.unit) if score else ""
        explanation = _explanation(score)
        texts = (ind.level1, ind.level2, ind.name, ind.target.raw, actual)
        for col, (text, fmt) in enumerate(zip(texts, (f.center, f.center, f.text, f.center, f.center), strict=True)):
            _cell(ws, f, r, col, text, fmt)
        _cell(ws, f, r, 5, _num(score.weight) if score else None, f.score)
        _cell(ws, f, r, 6, _num(score.score) if score else None, f.score)
        _cell(ws, f, r, 7, explanation, f.text)
        ws.set_row(r, row_height([*zip(texts, _WIDTHS[:5], strict=True), (explanation, _WIDTHS[7])], minimum=20,
                                  line_height=_LINE))
    return r + 1


def _explanation(score: IndicatorScore | None) -> str:
    """偏差原因分析及改进措施 as returned, with the office's override and its reason beside it."""
    if score is None:
        return ""
    if score.computed is None:
        return score.explanation
    reason = f"，理由：{score.override_reason}" if score.override_reason else ""
    return f"{score.explanation}（得分经调整，按公式为{score.computed}分{reason}）".lstrip()


def _write_signoff(ws: Worksheet, f: _Formats, r: int, columns: tuple[int, int, int, int]) -> int:
    """单位负责人 / 财务负责人 / 填报人 / 填报日期 in one row; returns that row (the last printed)."""
    for col, text in zip(columns, ("单位负责人：", "财务负责人：", "填报人：", "填报日期："), strict=True):
        _cell(ws, f, r, col, text, f.line)
    return r


def _overall_source_words(evaluation: SelfEvaluation) -> str:
    form = "部门整体年终报表" if evaluation.overall_source.endswith(YEAR_END_TAG) else "12月部门整体监控表"
    return f"{form}；该表有错误，未采用，请更正后重新报送" if evaluation.overall_invalid else form


def _source_words(p: ProjectScore) -> str:
    if not p.source:
        return "未收到12月监控表或年终报表"
    if p.status == "invalid":
        form = form_short(True) if p.year_end else f"12月{form_short(False)}"
        return f"{form}有错误，未评分（请更正后重新报送）"
    if p.year_end:
        return f"{p.source[:4]}年度{FORM_YEAR_END}（全年最终数）"
    return "12月绩效运行监控表（1-12月执行数、截至12月完成值）"


def build_selfeval_workbook(evaluation: SelfEvaluation, department: Department, *, unit_name: str) -> bytes:
    """The 项目支出绩效自评表: one sheet per project (named by its code, registry order)."""
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
                                      "strings_to_urls": False})
    wb.set_properties({"title": f"{department.name}{evaluation.year}年度项目支出绩效自评表", "author": "perfsheet",
                       "created": dt.datetime(evaluation.year, 12, 31)})
    formats = _Formats(wb)
    for p in evaluation.projects:
        _write_sheet(wb.add_worksheet(p.code[:31]), formats, evaluation, department, p, unit_name)
    if not evaluation.projects:
        wb.add_worksheet("自评表").write_string(0, 0, "本年度目标中没有项目")
    wb.close()
    return buffer.getvalue()


_DEPARTMENT_WIDTHS = (14, 26, 14, 14, 14, 12, 36)
_DEPARTMENT_LAST = len(_DEPARTMENT_WIDTHS) - 1


def _write_department_sheet(ws: Worksheet, f: _Formats, evaluation: SelfEvaluation, department: Department,
                            unit_name: str) -> None:
    """部门整体支出绩效自评表: the department's money (the scored projects' December returns), Part 1's
    targets as the December 部门整体 form reports them, and the projects' results."""
    for col, width in enumerate(_DEPARTMENT_WIDTHS):
        ws.set_column(col, col, width)
    last = _DEPARTMENT_LAST
    _cell(ws, f, 0, 0, f"部门整体支出绩效自评表（{evaluation.year}年度）", f.title, last)
    ws.set_row(0, 30)
    _cell(ws, f, 1, 0, f"填报单位（盖章）：{unit_name}", f.line, 3)
    _cell(ws, f, 1, 4, "金额单位：万元", f.line, last)
    _cell(ws, f, 2, 0, "部门名称", f.label)
    _cell(ws, f, 2, 1, department.name, f.text, last)
    r = _write_department_money(ws, f, 3, evaluation, department)
    _cell(ws, f, r, 0, "年度总体目标", f.label)
    _cell(ws, f, r, 1, department.overall_goal, f.text, last)
    ws.set_row(r, row_height([(department.overall_goal, sum(_DEPARTMENT_WIDTHS[1:]))], minimum=30, line_height=_LINE))
    r = _write_department_targets(ws, f, r + 1, evaluation)
    r = _write_department_projects(ws, f, r, evaluation)
    r = _write_signoff(ws, f, r + 1, (0, 2, 4, 6))
    _print_setup(ws, r, last, "&C第 &P 页，共 &N 页")


def _sum(values: list[Decimal | None]) -> Decimal | None:
    """The sum, or None when there is nothing to add or a part is unknown (a blank, never a wrong total)."""
    if not values or any(v is None for v in values):
        return None
    return sum((v for v in values if v is not None), Decimal(0))


def _write_department_money(ws: Worksheet, f: _Formats, r: int, evaluation: SelfEvaluation,
                            department: Department) -> int:
    """部门资金: 年初 for every project; 全年预算数 and 执行数 as the scored projects' returns add up."""
    scored = evaluation.scored
    for col, head in enumerate(("部门资金", "资金类别", "年初预算数", "全年预算数", "全年执行数", "执行率")):
        _cell(ws, f, r, col, head, f.label)
    _cell(ws, f, r, 6, f"全年预算数、执行数为已评分的{len(scored)}个项目合计", f.text)
    rows = (
        ("年度资金总额", department.total_budget, [p.adjusted_budget for p in scored], [p.spend for p in scored]),
        ("其中：财政拨款", sum((p.fiscal for p in department.projects), Decimal(0)),
         [p.adjusted_fiscal for p in scored], [p.spend_fiscal for p in scored]),
        ("其他资金", sum((p.other for p in department.projects), Decimal(0)),
         [p.adjusted_other for p in scored], [p.spend_other for p in scored]),
    )
    for label, initial, adjusted_parts, spend_parts in rows:
        r += 1
        adjusted, spend = _sum(adjusted_parts), _sum(spend_parts)
        _cell(ws, f, r, 1, label, f.text)
        _cell(ws, f, r, 2, _num(initial), f.money)
        _cell(ws, f, r, 3, _num(adjusted), f.money)
        _cell(ws, f, r, 4, _num(spend), f.money)
        _cell(ws, f, r, 5, _rate(spend, adjusted), f.pct)
        _cell(ws, f, r, 6, "", f.text)
    ws.merge_range(r - 3, 0, r, 0, "部门资金\n（万元）", f.label)
    return r + 1


def _write_department_targets(ws: Worksheet, f: _Formats, r: int, evaluation: SelfEvaluation) -> int:
    """Part 1's department-wide targets as the 部门整体 form reports them."""
    last = _DEPARTMENT_LAST
    for col, head in enumerate(("序号", "部门整体目标", "年度指标值", "实际完成值", "完成情况")):
        _cell(ws, f, r, col, head, f.label)
    _cell(ws, f, r, 5, "偏差原因分析及改进措施", f.label, last)
    for outcome in evaluation.overall:
        r += 1
        actual = value_with_unit(outcome.actual, outcome.unit)
        state = "未报送" if outcome.attained is None else "达成" if outcome.attained else "未达成"
        _cell(ws, f, r, 0, outcome.n, f.center)
        _cell(ws, f, r, 1, outcome.name, f.text)
        _cell(ws, f, r, 2, outcome.target, f.center)
        _cell(ws, f, r, 3, actual, f.center)
        _cell(ws, f, r, 4, state, f.center)
        _cell(ws, f, r, 5, outcome.explanation, f.text, last)
        ws.set_row(r, row_height([(outcome.name, _DEPARTMENT_WIDTHS[1]), (outcome.target, _DEPARTMENT_WIDTHS[2]),
                                  (actual, _DEPARTMENT_WIDTHS[3]),
                                  (outcome.explanation, sum(_DEPARTMENT_WIDTHS[5:]))], minimum=18,
                                  line_height=_LINE))
    return r + 1


def _write_department_projects(ws: Worksheet, f: _Formats, r: int, evaluation: SelfEvaluation) -> int:
    """Each project's score and grade, then the department's (budget-weighted, saying what it covers)."""
    last = _DEPARTMENT_LAST
    _cell(ws, f, r, 0, "序号", f.label)
    _cell(ws, f, r, 1, "项目名称", f.label, 3)
    _cell(ws, f, r, 4, "自评得分", f.label)
    _cell(ws, f, r, 5, "等级", f.label, last)
    for n, p in enumerate(evaluation.projects, start=1):
        r += 1
        total = p.total
        _cell(ws, f, r, 0, n, f.center)
        _cell(ws, f, r, 1, p.name, f.text, 3)
        _cell(ws, f, r, 4, _num(total), f.score)
        _cell(ws, f, r, 5, evaluation.rules.grade(total) if total is not None else STATUS_WORDS[p.status], f.center,
              last)
    r += 1
    scored = evaluation.scored
    missing = len(evaluation.projects) - len(scored)
    note = f"（按年初预算加权，含{len(scored)}个项目" + (f"，未含{missing}个未评分项目）" if missing else "）")
    _cell(ws, f, r, 0, "部门自评得分" + note, f.label, 3)
    _cell(ws, f, r, 4, _num(evaluation.total), f.score)
    _cell(ws, f, r, 5, f"自评等级：{evaluation.grade or '—'}", f.center, last)
    return r + 1


def build_department_selfeval_workbook(evaluation: SelfEvaluation, department: Department, *,
                                       unit_name: str) -> bytes:
    """The 部门整体支出绩效自评表 (one print-ready sheet)."""
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
                                      "strings_to_urls": False})
    wb.set_properties({"title": f"{department.name}{evaluation.year}年度部门整体支出绩效自评表",
                       "author": "perfsheet", "created": dt.datetime(evaluation.year, 12, 31)})
    _write_department_sheet(wb.add_worksheet("部门整体"), _Formats(wb), evaluation, department, unit_name)
    wb.close()
    return buffer.getvalue()


def _problems(evaluation: SelfEvaluation) -> list[dict[str, Any]]:
    """存在的问题: each scored project's budget below full marks, then each indicator that needs an
    explanation, with the explanation the return gives (quoted by the report)."""
    out: list[dict[str, Any]] = []
    for p in evaluation.scored:
        if p.budget_score is not None and p.budget_score < p.budget_weight:
            out.append({"kind": "budget", "project": p.name, "rate": p.execution_rate, "score": p.budget_score,
                        "weight": p.budget_weight, "explanation": p.budget_explanation})
    for p in evaluation.scored:
        for i in p.indicators:
            if i.needs_explanation:
                out.append({"kind": "indicator", "project": p.name, "indicator": i.name, "target": i.target,
                            "actual": value_with_unit(i.actual, i.unit), "score": i.score, "weight": i.weight,
                            "explanation": i.explanation})
    return out


def selfeval_context(evaluation: SelfEvaluation, department: Department, *, report_date: dt.date) -> dict[str, Any]:
    scored = evaluation.scored
    missing = [p.name for p in evaluation.projects if not p.scored]
    return {
        "department": department.name,
        "year": evaluation.year,
        "report_date": cn_date(report_date),
        "projects": [
            {"name": p.name, "code": p.code, "status": STATUS_WORDS[p.status], "total": p.total,
             "grade": evaluation.rules.grade(p.total) if p.total is not None else "",
             "budget": p.budget, "spend": p.spend, "rate": p.execution_rate,
             "issues": [issue.message for issue in p.issues]}
            for p in evaluation.projects
        ],
        "scored": len(scored),
        "from_year_end": sum(1 for p in scored if p.year_end),
        "count": len(evaluation.projects),
        "missing": missing,
        "total": evaluation.total,
        "grade": evaluation.grade or "",
        "budget": department.total_budget,
        "problems": _problems(evaluation),
        "issues": [{"project": p.name, "message": issue.message} for p in evaluation.projects for issue in p.issues],
        "overall_goal": department.overall_goal,
        "overall_source": _overall_source_words(evaluation),
        "overall": [
            {"name": o.name, "target": o.target,
             "actual": value_with_unit(o.actual, o.unit),
             "state": ("报送有错误" if evaluation.overall_invalid else "未报送") if o.attained is None
             else "达成" if o.attained else "未达成"}
            for o in evaluation.overall
        ],
    }


def render_selfeval_markdown(evaluation: SelfEvaluation, department: Department, *,
                             report_date: dt.date | None = None, template_dir: str | Path | None = None) -> str:
    """The 绩效自评报告 as Markdown (five published parts)."""
    when = report_date or dt.date(evaluation.year + 1, 3, 31)
    template = make_environment(template_dir).get_template(SELFEVAL_TEMPLATE)
    return template.render(**selfeval_context(evaluation, department, report_date=when))


@dataclass(frozen=True, slots=True)
class SelfEvalFiles:
    workbook: Path  # 项目支出绩效自评表
    department_workbook: Path  # 部门整体支出绩效自评表
    markdown: Path
    docx: Path

    def labelled(self) -> tuple[tuple[str, Path], ...]:
        return (("项目支出绩效自评表", self.workbook), ("部门整体支出绩效自评表", self.department_workbook),
                ("绩效自评报告（Markdown）", self.markdown), ("绩效自评报告（Word）", self.docx))


def write_selfeval_outputs(evaluation: SelfEvaluation, department: Department, out_dir: str | Path, *,
                           unit_name: str, root: str | Path | None = None,
                           template_dir: str | Path | None = None) -> SelfEvalFiles:
    """Write the 自评表 and the 自评报告 (.md, .docx) atomically into ``out_dir`` (inside ``root``, the
    workspace; never through a symlink: :func:`perfsheet.fsutil.confined`)."""
    folder = Path(out_dir)
    base_root = Path(root) if root is not None else folder
    folder = safe_dir(base_root, folder)
    stem = f"{department.name}{evaluation.year}年度"
    workbook = write_bytes_atomic(folder / f"{stem}项目支出绩效自评表.xlsx",
                                  build_selfeval_workbook(evaluation, department, unit_name=unit_name), root=base_root)
    department_workbook = write_bytes_atomic(
        folder / f"{stem}部门整体支出绩效自评表.xlsx",
        build_department_selfeval_workbook(evaluation, department, unit_name=unit_name), root=base_root)
    markdown_text = render_selfeval_markdown(evaluation, department, template_dir=template_dir)
    markdown = write_text_atomic(folder / f"{stem}绩效自评报告.md", markdown_text, root=base_root)
    created = dt.datetime(evaluation.year + 1, 3, 31)
    docx = write_docx(markdown_text, confined(base_root, folder / f"{stem}绩效自评报告.docx"), created=created)
    return SelfEvalFiles(workbook, department_workbook, markdown, docx)
