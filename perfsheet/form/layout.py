"""Where everything sits on a template's 监控表 sheet.

Only the template stage knows the layout (DESIGN.md §2); ingest finds cells through the ``_perfsheet``
field map written into each file. Keeping the geometry here, as a pure function of the project, lets
:func:`perfsheet.template.locked_values` answer "what should this locked cell say?" without building a
workbook, and keeps the builder free of row arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from perfsheet.a1 import a1_to_rc, rc_to_a1
from perfsheet.model import Indicator, Project

__all__ = [
    "COLUMN_WIDTHS",
    "Layout",
    "Span",
    "canonical_number",
    "compute_layout",
]

# 监控表 columns A–I (widths in Excel character units). The indicator table drives them; the blocks
# above reuse the same grid through merged cells, as the official forms do.
COL_LEVEL1, COL_LEVEL2, COL_NAME, COL_TARGET = 0, 1, 2, 3  # 一级 二级 三级 指标值
COL_ACTUAL, COL_PROJECTION, COL_LIKELIHOOD, COL_DEVIATION, COL_EXPLANATION = 4, 5, 6, 7, 8
COLUMN_WIDTHS: tuple[float, ...] = (11, 12, 25, 14, 12, 12, 11, 11, 30)
LAST_COL = len(COLUMN_WIDTHS) - 1

# Fixed rows (0-based) above the indicator table.
ROW_TITLE = 0
ROW_SUBTITLE = 1
ROW_CODE = 2  # 项目编码 | 项目名称
ROW_OWNER = 3  # 主管部门 | 责任科室
ROW_FUNDS = 4  # 资金用途 (the amounts are the money tree's 年初预算数 column)
ROW_GOAL = 5  # 年度绩效目标
ROW_MONEY_HEAD = 6
# The money tree of the 一体化 platform: 年初预算数 调整后预算数 执行数 执行率 (序时进度 计划进度) 全年预计执行数
ROW_MONEY = 7  # 年度资金总额: the chief types it
ROW_MONEY_FISCAL = 8  # 其中：财政资金: locked formulas, total less 其他资金
ROW_MONEY_OTHER = 9  # 其他资金: the chief types it (pre-filled from the registry)
ROW_PROGRESS = 10  # 目标完成情况
ROW_BUDGET_EXPLANATION = 11  # 预算执行偏差原因及改进措施: the one home of the budget explanation
ROW_IND_HEAD1 = 12
ROW_IND_HEAD2 = 13
ROW_FIRST_INDICATOR = 14

# The labels of those rows, as the form prints them.
PROGRESS_LABEL = "目标完成情况"
PROGRESS_LABEL_YEAR_END = "年度总体目标\n实际完成情况"  # the 自评表's 实际完成情况 of the 年度总体目标
MONEY_ROW_LABELS: tuple[tuple[int, str], ...] = (
    (ROW_MONEY, "年度资金总额"), (ROW_MONEY_FISCAL, "其中：财政资金"), (ROW_MONEY_OTHER, "其他资金"),
)
BUDGET_EXPLANATION_LABEL = "预算执行偏差\n原因及改进措施"
FOOTER_LABELS: tuple[tuple[int, str], ...] = ((0, "填报人"), (2, "联系电话"), (4, "填报日期"), (6, "科室负责人"))

# Columns of the money row.
COL_BUDGET_INITIAL, COL_BUDGET_ADJUSTED, COL_SPEND, COL_RATE = 1, 2, 3, 4
COL_TIME_PROGRESS, COL_PLAN_PROGRESS, COL_SPEND_PROJECTED = 5, 6, 7


@dataclass(frozen=True, slots=True)
class Span:
    """A rectangle of cells (0-based, inclusive); one cell when first == last."""

    first_row: int
    first_col: int
    last_row: int
    last_col: int

    @property
    def anchor(self) -> str:
        return str(rc_to_a1(self.first_row, self.first_col))

    @property
    def is_merged(self) -> bool:
        return (self.first_row, self.first_col) != (self.last_row, self.last_col)


def _cell(row: int, col: int, last_col: int | None = None) -> Span:
    return Span(row, col, row, col if last_col is None else last_col)


@dataclass(frozen=True, slots=True)
class Group:
    """Consecutive indicators sharing a 一级 (or 二级) label, merged vertically in column ``col``."""

    span: Span
    text: str


@dataclass(frozen=True, slots=True)
class Layout:
    """The geometry of one project's 监控表."""

    project: Project
    fields: dict[str, Span]  # field-map name → input cell(s); the anchor is the mapped cell
    locked: dict[str, str]  # A1 of a locked data cell → its expected text (canonical form)
    level1_groups: tuple[Group, ...]
    level2_groups: tuple[Group, ...]
    footer_row: int
    note_row: int
    # Fixed label cells of the rows whose inputs have no locked data beside them (A1 → text): ingest
    # checks them where the field map says those rows are, so a redirected name cannot go unnoticed.
    row_labels: dict[str, str]

    def indicator_row(self, n: int) -> int:
        return ROW_FIRST_INDICATOR + n - 1

def canonical_number(value: Decimal) -> str:
    """A number as the locked-cell text: plain decimal, no exponent, no trailing zeros ("3.47", "5")."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def _groups(indicators: tuple[Indicator, ...], col: int, level2: bool) -> tuple[Group, ...]:
    groups: list[Group] = []
    start = 0
    for i in range(1, len(indicators) + 1):
        prev = indicators[i - 1]
        if i < len(indicators):
            cur = indicators[i]
            # An empty label continues the group above, as in the goals document's merged cells.
            same_l1 = cur.level1 in ("", prev.level1)
            same = same_l1 and (not level2 or cur.level2 in ("", prev.level2))
            if same:
                continue
        first = indicators[start]
        text = first.level2 if level2 else first.level1
        groups.append(Group(Span(ROW_FIRST_INDICATOR + start, col, ROW_FIRST_INDICATOR + i - 1, col), text))
        start = i
    return tuple(groups)


def _money_fields(year_end: bool) -> dict[str, Span]:
    """The inputs of the money rows, the goal's progress and the budget explanation (the year-end
    form asks no projection)."""
    money: dict[str, Span] = {
        "budget.adjusted": _cell(ROW_MONEY, COL_BUDGET_ADJUSTED),
        "spend.to_date": _cell(ROW_MONEY, COL_SPEND),
        "spend.projected": _cell(ROW_MONEY, COL_SPEND_PROJECTED, LAST_COL),
        "budget.adjusted.other": _cell(ROW_MONEY_OTHER, COL_BUDGET_ADJUSTED),
        "spend.to_date.other": _cell(ROW_MONEY_OTHER, COL_SPEND),
        "spend.projected.other": _cell(ROW_MONEY_OTHER, COL_SPEND_PROJECTED, LAST_COL),
        "goal.progress": _cell(ROW_PROGRESS, 1, LAST_COL),
        "budget.explanation": _cell(ROW_BUDGET_EXPLANATION, 1, LAST_COL),
    }
    if year_end:
        money = {name: span for name, span in money.items() if not name.startswith("spend.projected")}
    return money


def _indicator_cells(
    indicators: tuple[Indicator, ...], year_end: bool, fields: dict[str, Span], locked: dict[str, str]
) -> None:
    """Add each indicator row's name and target to ``locked`` and its inputs to ``fields``."""
    for indicator in indicators:
        row = ROW_FIRST_INDICATOR + indicator.n - 1
        locked[rc_to_a1(row, COL_NAME)] = indicator.name
        locked[rc_to_a1(row, COL_TARGET)] = indicator.target.raw
        if year_end:
            fields[f"ind.{indicator.n}.actual"] = _cell(row, COL_ACTUAL)
            fields[f"ind.{indicator.n}.explanation"] = _cell(row, COL_PROJECTION, LAST_COL)
            continue
        for suffix, col in (
            ("actual", COL_ACTUAL),
            ("projection", COL_PROJECTION),
            ("likelihood", COL_LIKELIHOOD),
            ("deviation", COL_DEVIATION),
            ("explanation", COL_EXPLANATION),
        ):
            fields[f"ind.{indicator.n}.{suffix}"] = _cell(row, col)


def compute_layout(project: Project, *, year_end: bool = False) -> Layout:
    """Compute the cell geometry of ``project``'s 监控表 (depends on the project and the form only, not
    the month). The year-end form has the same locked content and rows; it asks no projection, and
    an indicator's 偏差原因分析及改进措施 takes the four columns the monthly form uses from 全年预计完成值 on."""
    money = _money_fields(year_end)
    locked: dict[str, str] = {rc_to_a1(ROW_CODE, 1): project.code, rc_to_a1(ROW_CODE, 5): project.name}
    if project.overall:
        # Same geometry, but the money rows hold a note: the projects' returns give the money.
        fields = {"goal.progress": money["goal.progress"]}
    else:
        fields = money
        locked |= {
            rc_to_a1(ROW_MONEY, COL_BUDGET_INITIAL): canonical_number(project.budget),
            rc_to_a1(ROW_MONEY_FISCAL, COL_BUDGET_INITIAL): canonical_number(project.fiscal),
            rc_to_a1(ROW_MONEY_OTHER, COL_BUDGET_INITIAL): canonical_number(project.other),
        }
    level1 = _groups(project.indicators, COL_LEVEL1, level2=False)
    level2 = _groups(project.indicators, COL_LEVEL2, level2=True)
    for group in (*level1, *level2):
        locked[group.span.anchor] = group.text
    _indicator_cells(project.indicators, year_end, fields, locked)
    footer = ROW_FIRST_INDICATOR + len(project.indicators)
    row_labels = {
        **{rc_to_a1(row, 0): text for row, text in MONEY_ROW_LABELS},
        rc_to_a1(ROW_PROGRESS, 0): PROGRESS_LABEL_YEAR_END if year_end else PROGRESS_LABEL,
        rc_to_a1(ROW_BUDGET_EXPLANATION, 0): BUDGET_EXPLANATION_LABEL,
        **{rc_to_a1(footer, col): text for col, text in FOOTER_LABELS},
    }
    fields["contact.name"] = _cell(footer, 1)
    fields["contact.phone"] = _cell(footer, 3)
    fields["contact.date"] = _cell(footer, 5)
    fields["contact.head"] = _cell(footer, 7, LAST_COL)
    # Sort the locked map by position (row, then column) so the _perfsheet rows read top to bottom.
    return Layout(
        project=project,
        fields=fields,
        locked=dict(sorted(locked.items(), key=lambda item: a1_to_rc(item[0]))),
        level1_groups=level1,
        level2_groups=level2,
        footer_row=footer,
        note_row=footer + 1,
        row_labels=row_labels,
    )
