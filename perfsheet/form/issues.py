"""The issue catalogue: every data problem ingest can report, one entry per stable code.

Each entry has a severity and one Chinese message template that tells the section chief what to do.
:func:`make_issue` is the only way ingest builds an :class:`~perfsheet.model.Issue`, so the same code
always reads the same way in the CLI, the JSON report, the feedback workbook and the summary.
:func:`issues_to_frame` turns issues into the fixed-column table those outputs share.
"""

from __future__ import annotations

import datetime as dt
import functools
import string
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from perfsheet.form.fields import FieldSpec
from perfsheet.labels import SEVERITY_LABELS
from perfsheet.model import Issue, Period, Severity

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CATALOGUE",
    "ISSUE_COLUMNS",
    "ISSUE_TABLE_COLUMNS",
    "YUAN_HINT",
    "IssueKind",
    "display_value",
    "issue_row",
    "issue_title",
    "issues_to_frame",
    "make_issue",
    "rejection_issue",
]

SHEET = "监控表"

# What every issue about a figure typed in 元 on a 万元 form says (the money check and the cross rules'
# hint use the same words, so the chief reads one diagnosis however it was found).
YUAN_HINT = "看起来是按元填写，本表金额单位为万元"


@dataclass(frozen=True, slots=True)
class IssueKind:
    """One code of the catalogue: its severity and the Chinese message template."""

    code: str
    severity: Severity
    template: str  # str.format fields: where, label, hint, value, plus per-code keywords
    title: str  # short Chinese name of the problem (问题), used in tables


E, W = Severity.ERROR, Severity.WARNING

_KINDS: tuple[IssueKind, ...] = (
    # File level: the workbook is not (or no longer) a usable return.
    IssueKind(
        "not-a-template",
        E,
        "这不是 perfsheet 生成的监控表模板（{detail}）。请使用办公室下发的模板填写后再报送。",
        "不是监控表模板",
    ),
    IssueKind(
        "unknown-project",
        E,
        "模板中的项目编码“{value}”不在本年度绩效目标中。请核对是否用错了模板，或联系办公室。",
        "项目编码未知",
    ),
    IssueKind(
        "wrong-period",
        E,
        "这份表格是{value}的模板，本次收集的是{expected}。请用{expected}的模板重新填报。",
        "期间不符",
    ),
    IssueKind(
        "template-outdated", E, "模板已过期（{detail}）。请使用办公室最新下发的模板重新填报。", "模板已过期"
    ),
    IssueKind(
        "template-tampered",
        E,
        "模板的内部结构被改动（{detail}），无法确认填报内容所在的单元格，本表未读取。请使用办公室下发的原模板重新填写，"
        "不要用其他软件修改名称、隐藏工作表或文件结构。",
        "模板被改动",
    ),
    IssueKind(
        "template-layout-changed",
        E,
        "{where}：表格结构被改动（{detail}），无法可靠读取填报内容。请不要插入或删除行列，改用原模板填报。",
        "表格结构被改动",
    ),
    IssueKind(
        "locked-cell-changed",
        E,
        "{where}：锁定内容被修改，应为“{expected}”，现为“{value}”。锁定的项目信息、指标和预算不能改动，请恢复原值或使用原模板。",
        "锁定内容被修改",
    ),
    # Cell level: one input cell.
    IssueKind(
        "return-empty",
        E,
        "收到的是空白模板，表格未填写。请在黄色单元格中填写本月的执行数和各项指标完成情况后重新报送。",
        "表格未填写",
    ),
    IssueKind(
        "cell-corrupt",
        E,
        "{where}：{label}单元格的内容已损坏（{detail}），无法可靠读取。请在 Excel/WPS 中重新输入该单元格后保存再报送。",
        "单元格内容损坏",
    ),
    IssueKind(
        "cell-merged",
        E,
        "{where}：{label}单元格{detail}，其中填写的内容看不到也不能读取。请取消合并，在原黄色单元格中填写。",
        "单元格被合并",
    ),
    IssueKind(
        "formula-in-input",
        E,
        "{where}：{label}填的是公式（文件中保存的结果为“{value}”），公式结果不能作为填报值。请直接填写数值。",
        "填写了公式",
    ),
    IssueKind("required-missing", E, "{where}：{label}未填写。{hint}。", "必填项未填写"),
    IssueKind("not-a-number", E, "{where}：{label}应为数字，现为“{value}”。{hint}。", "不是数字"),
    IssueKind("out-of-range", E, "{where}：{label}“{value}”超出允许范围（{detail}）。{hint}。", "超出范围"),
    IssueKind(
        "percent-ambiguous",
        E,
        "{where}：{label}“{value}”无法判断是{as_fraction}%还是{as_percent}%。请直接填写百分数，例如 95 或 95%。",
        "百分数含义不明",
    ),
    IssueKind(
        "not-in-list", E, "{where}：{label}“{value}”不在可选范围内{suggestion}。{hint}。", "不在可选范围内"
    ),
    IssueKind("date-invalid", E, "{where}：{label}“{value}”不是有效日期。{hint}。", "日期无效"),
    IssueKind(
        "text-too-long",
        E,
        "{where}：{label}共{length}字，超过{max_length}字的上限。请精简到{max_length}字以内。",
        "文字过长",
    ),
    # {label}: the field's own label (其他资金1-6月执行数 on the 其他资金 row); {other_label}: its bound's.
    IssueKind(
        "spend-exceeds-budget",
        E,
        "{where}：{label}{value}万元超过{other_label}{budget}万元。请核对执行数或调整后预算数。{yuan}",
        "执行数超过预算",
    ),
    IssueKind(
        "projection-below-spend",
        E,
        "{where}：{label}{value}万元低于{other_label}{spend}万元。全年预计数应不低于已执行数，请核对。",
        "预计数低于执行数",
    ),
    IssueKind(
        "projection-exceeds-budget",
        E,
        "{where}：{label}{value}万元超过{other_label}{budget}万元。请核对预计数或调整后预算数。{yuan}",
        "预计数超过预算",
    ),
    IssueKind(
        "other-exceeds-total",
        E,
        "{where}：{label}{value}万元超过年度资金总额的{other_label}{total}万元。其他资金是年度资金总额的一部分，"
        "不能大于总额；没有其他资金的项目请填0。{yuan}",
        "其他资金超过总额",
    ),
    IssueKind(
        "fiscal-inconsistent",
        E,
        "{where}：年度资金总额减去其他资金，财政资金的{label}为{value}万元，{relation}财政资金的{other_label}"
        "{other}万元。请核对年度资金总额和其他资金两行的数字。",
        "财政资金数不合理",
    ),
    # A money cell far beyond the project's 年初预算数: an error, because a figure in 元 is 10000 times the
    # truth and would swamp every total and rate it enters (no budget is adjusted to 1000 times itself).
    IssueKind(
        "money-in-yuan",
        E,
        "{where}：{label}{value}万元是本项目年初预算数{budget}万元的{times}倍，"
        + YUAN_HINT
        + "。请把这个数除以10000（换算为万元）后重新填写。",
        "金额疑似按元填写",
    ),
    IssueKind(
        "budget-explanation-required",
        E,
        "{where}：{reason}，须填写预算执行偏差原因及改进措施（说明执行偏慢的原因和下一步加快执行的措施）。",
        "须填写预算偏差原因",
    ),
    IssueKind(
        "explanation-required",
        E,
        "{where}：第{n}项指标“{indicator}”{reason}，须填写原因说明及改进措施。",
        "须填写原因说明",
    ),
    IssueKind(
        "year-end-explanation-required",
        E,
        "{where}：第{n}项指标“{indicator}”{reason}，须填写偏差原因分析及改进措施（自评表和自评报告将引用）。",
        "须填写偏差原因分析",
    ),
    IssueKind(
        "year-end-budget-explanation-required",
        E,
        "{where}：全年执行数{spend}万元，全年预算数{budget}万元，预算未执行完，须填写预算执行偏差原因及改进措施。",
        "须填写预算偏差原因",
    ),
    # Warnings: the return stays valid.
    IssueKind(
        "year-end-far-above-target",
        W,
        "{where}：第{n}项指标“{indicator}”实际完成值{actual}{unit}达到指标值的{percent}%以上，"
        "请在偏差原因分析及改进措施中说明原因（年度自评时需要）。",
        "远超指标值",
    ),
    IssueKind(
        "indicator-off-target",
        W,
        "{where}：第{n}项指标“{indicator}”截至{month}月完成值为{actual}{unit}，按年度目标此时应约为{expected}{unit}，"
        "相差{off}%。请在原因说明及改进措施中说明原因。",
        "指标进度偏离目标",
    ),
    # An indicator in 万元 far beyond its target: a warning, because an indicator's actual (unlike the
    # budget) may truly outgrow a small target; the chief confirms or corrects it.
    IssueKind(
        "indicator-in-yuan",
        W,
        "{where}：第{n}项指标“{indicator}”{label}{value}万元是指标值{target}的{times}倍，"
        + YUAN_HINT
        + "。如是按元填写，请除以10000（换算为万元）后重新填写。",
        "指标值疑似按元填写",
    ),
    IssueKind(
        "value-normalised",
        W,
        "{where}：{label}“{value}”已按“{after}”读取（{detail}）。如有误请更正。",
        "已自动规范",
    ),
)

CATALOGUE: dict[str, IssueKind] = {kind.code: kind for kind in _KINDS}

# Codes the low-level reader uses for unusable files; each gives status ``rejected``. The reader
# writes its own message; these entries make the codes known to tables and docs.
REJECTION_TITLES: dict[str, str] = {
    "file-too-large": "文件过大",
    "not-a-workbook": "不是表格文件",
    "encrypted": "文件已加密",
    "truncated": "文件已损坏",
    "zip-bomb": "压缩内容异常",
    "xml-entities": "文件内容不安全",
    "sheet-too-large": "数据区域过大",
    "unreadable": "无法读取",
    "unreadable-message": "邮件无法读取",
}

# The issue table: every output that lists issues (the JSON of check, the feedback workbook's
# 问题清单, the summary's 问题清单) takes its rows from issue_row(). The first seven columns are the
# Issue itself; the last three are derived from it.
ISSUE_COLUMNS: tuple[str, ...] = ("code", "severity", "sheet", "cell", "field", "value", "message")
ISSUE_TABLE_COLUMNS: tuple[str, ...] = (*ISSUE_COLUMNS, "location", "title", "severity_label")


class _Blank(dict[str, object]):
    """Format mapping that leaves unknown fields empty, so a missing keyword never raises."""

    def __missing__(self, key: str) -> str:
        return ""


def display_value(value: object) -> str:
    """A cell value as a person saw it: 95 not 95.0, dates as ISO, empty as ''."""
    if value is None:
        return ""
    if type(value) is str:
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return repr(value)
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return str(value.quantize(Decimal(1)))
        return format(value.normalize(), "f")
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@functools.lru_cache(maxsize=512)
def _template_fields(template: str) -> frozenset[str]:
    """The replacement fields a message template names (``{label}`` → ``label``)."""
    return frozenset(name for _text, name, _spec, _conv in string.Formatter().parse(template) if name)


def make_issue(
    code: str,
    field_spec: FieldSpec | None = None,
    cell: str = "",
    value: object = None,
    **kw: object,
) -> Issue:
    """Build the issue for ``code`` at ``cell`` (``F14`` or ``监控表!F14``) holding ``value``.

    Keywords fill the code's message template (e.g. ``expected=``, ``detail=``); ``sheet=`` overrides
    the sheet; ``period=`` words the labels as that month's form prints them (``1-6月执行数``).
    Unknown codes raise ``KeyError``: a code must be in the catalogue before it is used.
    """
    kind = CATALOGUE[code]
    period = kw.pop("period", None)
    form_period = period if isinstance(period, Period) else None
    sheet = str(kw.pop("sheet", SHEET if cell else ""))
    if "!" in cell:
        sheet, cell = cell.split("!", 1)
    where = f"{sheet}!{cell}" if sheet and cell else (sheet or cell)
    shown = display_value(value)
    fields = _Blank(where=where, value=shown)
    used = _template_fields(kind.template)
    if field_spec is not None:
        # Only what the message says is worded (a label and a hint cost more than the rest together).
        if "label" in used:
            fields["label"] = field_spec.label_for(form_period)
        if "hint" in used:
            fields["hint"] = field_spec.unit_hint.rstrip("。")
    for key, item in kw.items():
        fields[key] = display_value(item)
    message = kind.template.format_map(fields)
    return Issue(
        code=code,
        severity=kind.severity,
        message=message,
        sheet=sheet,
        cell=cell,
        field=field_spec.name if field_spec else str(kw.get("field", "")),
        value=shown,
    )


def rejection_issue(code: str, message: str) -> Issue:
    """The issue of a file the reader could not use (its code is one of :data:`REJECTION_TITLES`; the
    reader words the message, which names what to do with the file)."""
    if code not in REJECTION_TITLES:
        raise KeyError(code)
    return Issue(code=code, severity=Severity.ERROR, message=message)


def issue_row(issue: Issue) -> dict[str, str]:
    """One row of the issue table (:data:`ISSUE_TABLE_COLUMNS`)."""
    return {
        **issue.to_dict(),
        "location": issue.location,
        "title": issue_title(issue.code),
        "severity_label": SEVERITY_LABELS[str(issue.severity)],
    }


def issue_title(code: str) -> str:
    """Short Chinese name of a code (问题 column), falling back to the code itself."""
    kind = CATALOGUE.get(code)
    return kind.title if kind else REJECTION_TITLES.get(code, code)


def issues_to_frame(issues: Iterable[Issue], *, file: str | None = None) -> pd.DataFrame:
    """Issues as a table with the fixed columns :data:`ISSUE_COLUMNS` (all ``string`` dtype).

    With ``file``, a leading ``file`` column names the return each issue came from.
    """
    import pandas as pd

    rows = [issue.to_dict() for issue in issues]
    columns = list(ISSUE_COLUMNS)
    frame = pd.DataFrame(rows, columns=columns).astype("string")
    if file is not None:
        frame.insert(0, "file", pd.Series([file] * len(frame), dtype="string"))
    return frame
