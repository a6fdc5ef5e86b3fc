"""The Chinese words for statuses, lights and severities: one table each, used by every output.

The CLI, the summary workbook, the feedback workbook, the mails and the narrative all name the same
state the same way (a return is 已通过 everywhere, never 已报送 in one place and 已通过 in another).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from perfsheet.model import Period

__all__ = [
    "DEFAULT_RECIPIENT",
    "FILE_STATUS_LABELS",
    "FORM_MONTHLY",
    "FORM_YEAR_END",
    "LIGHT_LABELS",
    "SEVERITY_LABELS",
    "STATUS_LABELS",
    "WARNING_LEVEL_LABELS",
    "actual_label",
    "form_short",
    "light_label",
    "reported_scope",
    "spend_label",
    "status_label",
]

# Whom the 报送版 情况说明 is addressed to unless perfsheet.yaml says (report.recipient).
DEFAULT_RECIPIENT = "区财政局"

# The two forms a section chief fills: the month's 监控表 and the year-end form of the self-evaluation.
FORM_MONTHLY = "绩效运行监控表"
FORM_YEAR_END = "绩效自评年终报表"


def form_short(year_end: bool) -> str:
    """The form's short name in a sentence (“报送的2025年度年终报表”)."""
    return "年终报表" if year_end else "监控表"


def spend_label(period: Period) -> str:
    """The spending column as the month's form prints it: ``1-6月执行数`` (never 累计执行数)."""
    return f"{period.months_label}执行数"


def actual_label(period: Period) -> str:
    """The indicator's progress column as the month's form prints it: ``截至6月完成值`` (never 截至本月)."""
    return f"截至{period.month}月完成值"


def reported_scope(reported: int, projects: int) -> str:
    """The projects a department total covers, in the words every output uses (汇总表, 报送版 监控表,
    情况说明): ``全部9个项目`` when every return counts, else ``已报送有效监控表的7个项目``."""
    return f"全部{projects}个项目" if reported == projects else f"已报送有效监控表的{reported}个项目"


# Where a project stands for a period (ledger status, 报送情况).
STATUS_LABELS: dict[str, str] = {"missing": "未报送", "invalid": "有错误", "valid": "已通过"}

# What the ledger concluded about one received file.
FILE_STATUS_LABELS: dict[str, str] = {
    "valid": "已通过",
    "invalid": "有错误",
    "rejected": "无法识别",
    "pending": "待处理",
}

# Budget and indicator lights.
LIGHT_LABELS: dict[str, str] = {"red": "红灯", "yellow": "黄灯", "green": "绿灯"}

# Issue severities (a warning never makes a return invalid).
SEVERITY_LABELS: dict[str, str] = {"error": "错误", "warning": "提示"}

# Levels of the 预警清单: a light, a return that does not count, or a file left out of the summary.
WARNING_LEVEL_LABELS: dict[str, str] = {
    **LIGHT_LABELS,
    "missing": STATUS_LABELS["missing"],
    "invalid": STATUS_LABELS["invalid"],
    "ignored": "未计入",
}


def status_label(status: str) -> str:
    """The label of a project status (unknown statuses read as 未报送: nothing counts for them)."""
    return STATUS_LABELS.get(status, STATUS_LABELS["missing"])


def light_label(light: str | None, status: str = "valid") -> str:
    """The label of a light; for a return that does not count, its status instead (未报送, 有错误)."""
    if status != "valid":
        return status_label(status)
    if light is None:
        return "—"
    return LIGHT_LABELS[light]
