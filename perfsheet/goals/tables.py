"""Goals tables → registry: the interpreter of the goals import.

:mod:`perfsheet.goals.cells` has turned the document into paragraphs and tables of cells (merges
expanded). This module reads them as a person reads a 项目支出绩效目标表:

* a project starts at its 项目名称 row or at a title naming it (申报表 / 审批表 / 批复表 / 绩效目标表),
  or — in a flat table of every project of a unit — where the merged project cell changes;
* label cells (项目编码, 资金总额, 其中：财政拨款, 资金支出计划, 年度目标 …) give the value beside or
  below them; an indicator header (一级指标 / 二级指标 / 三级指标 / 指标值 …, 4 to 12 columns, found
  by :mod:`perfsheet.goals.vocabulary`) gives the meaning of each column of the rows below it;
* whatever a document leaves out becomes a visible placeholder and a warning (a generated 项目编码
  marked 自编, the default spending plan, 0 for a missing budget); every problem is collected, with
  the file and line or sheet!cell, so a clerk fixes all of them in one pass.

Part 1 of the seed's template (部门整体目标: 总体目标, 科室, department-wide targets) is read by
:mod:`perfsheet.goals.document` from the paragraphs before the tables.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from perfsheet.errors import GoalsDocumentError, RegistryError
from perfsheet.goals.cells import Block, Cell, TableBlock, TextBlock
from perfsheet.goals.vocabulary import LEVEL1_WORDS, LEVEL2_WORDS, column_role, key, label_role, label_unit
from perfsheet.model import Department, Indicator, Op, PlanPoint, Project, Target
from perfsheet.targets import TargetParseError, format_value, parse_target

__all__ = [
    "DEFAULT_PLAN",
    "GoalsImport",
    "ImportProblem",
    "TableReader",
    "check_as_registry",
    "generated_code",
    "tables_from_paragraphs",
]

# The spending plan a project gets when its table has none (the seed's: 25/50/75/100 % at the ends of
# March, June, October and December); callers may pass another.
DEFAULT_PLAN: tuple[PlanPoint, ...] = tuple(
    PlanPoint(month, Decimal(percent)) for month, percent in ((3, 25), (6, 50), (10, 75), (12, 100))
)
GENERATED_CODE_PREFIX = "自编-"


@dataclass(frozen=True, slots=True)
class ImportProblem:
    """One problem of an import: a stable ``code``, where (file:line or file:sheet!cell) and what to do."""

    code: str
    where: str
    message: str
    severity: str = "warning"  # "error": the part was left out; "warning": imported with a placeholder

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


@dataclass(frozen=True, slots=True)
class _V:
    """A value found in a cell, with where it was and the money unit in effect there."""

    text: str
    where: str
    unit: str | None = None


@dataclass
class _Draft:
    title: str = ""
    where: str = ""
    name: _V | None = None
    named_by_row: bool = False
    code: _V | None = None
    budget: _V | None = None
    fiscal: _V | None = None
    others: list[_V] = field(default_factory=list)
    purpose: list[str] = field(default_factory=list)
    goal: list[str] = field(default_factory=list)
    months: list[_V] = field(default_factory=list)
    percents: list[_V] = field(default_factory=list)
    indicators: list[Indicator] = field(default_factory=list)
    level1: str = ""
    level2: str = ""

    @property
    def has_content(self) -> bool:
        return bool(self.name or self.code or self.budget or self.indicators or self.goal)


@dataclass
class _Header:
    roles: dict[int, str]  # grid column → role
    deduped: list[str]  # role per cell of the header row with merges collapsed
    where: str


# A table's title: 项目支出绩效目标表, 绩效目标申报表, 批复表, 审批表 …
_TITLE_RE = re.compile(r"(绩效目标(?:申报|审批|审核|批复)?表|目标(?:申报|批复|审批)表|绩效(?:指标|目标)(?:申报)?表)")
_TITLE_TAIL_RE = re.compile(
    r"(?:的)?(?:项目)?(?:支出|资金)?(?:预算)?(?:绩效目标|绩效指标)(?:申报|审批|审核|批复)?表$|目标(?:申报|批复|审批)表$"
)
_TITLE_HEAD_RE = re.compile(r"^(?:附件\s*\d*\s*[：:]?\s*|附表\s*\d*\s*[：:]?\s*)?(?:[（(]?[一二三四五六七八九十\d]+[）)]?\s*[、.．]?\s*)?")
_YEAR_IN_BRACKETS_RE = re.compile(r"[（(]\s*(20\d{2})\s*年度?\s*[)）]")
_YEAR_RE = re.compile(r"(20\d{2})\s*年度?")
_GENERIC_TITLES = frozenset({
    "", "项目", "项目支出", "财政支出", "预算项目", "部门预算项目", "财政支出项目", "部门项目", "专项资金", "部门",
    "项目资金", "财政项目", "本级项目", "部门项目支出", "单位项目支出",
})
# A title that names its unit, not a project ("宁乡市坝塘镇2021年项目支出绩效目标表").
_UNIT_WORD_RE = re.compile(r"(局|院|委员会|委|政府|中心|办公室|办|所|站|镇|乡|街道|厅|馆|队|会|部|学校|医院|法院|检察院)$")
_DEPT_CODE_RE = re.compile(r"^[\[［【(（]?\d{3,}[\]］】)）]?[-－\s]*|[\[［【(（]\d{3,}[\]］】)）]$")

_MONTH_RE = re.compile(r"^(\d{1,2})月(?:底|末|份)?$")
_QUARTER_RE = re.compile(r"^(?:第)?([一二三四1-4])季度(?:末|底)?$")
_QUARTER_MONTH = {"一": 3, "二": 6, "三": 9, "四": 12, "1": 3, "2": 6, "3": 9, "4": 12}
_PERCENT_RE = re.compile(r"^(\d+(?:\.\d+)?)[%％]?$")
_INLINE_PLAN_RE = re.compile(r"(\d{1,2})\s*月(?:底|末|份)?[^\d%％]{0,4}?(\d+(?:\.\d+)?)\s*[%％]")

_MONEY_UNITS = {"万元": 0, "万": 0, "元": -4, "千元": -1, "亿元": 4, "亿": 4}
_AMOUNT_RE = re.compile(r"([+-]?\d+(?:\.\d+)?)\s*(万元|千元|亿元|元|万|亿)?")
# Operators as the 计算符号 column spells them → the symbol written before the value.
_OP_WORDS = {
    "≥": "≥", ">=": "≥", "大于等于": "≥", "≧": "≥", "不低于": "≥", "不少于": "≥",
    "≤": "≤", "<=": "≤", "小于等于": "≤", "≦": "≤", "不高于": "≤", "不超过": "≤",
    ">": ">", "大于": ">", "<": "<", "小于": "<", "=": "", "等于": "", "＝": "",
}
_QUALITATIVE_OPS = frozenset({"定性", "定性指标", "文字", "文本", "描述"})
_POSITIVE = frozenset({"正向", "正向指标", "越大越好", "正"})
_NEGATIVE = frozenset({"反向", "反向指标", "越小越好", "反"})
_PLACEHOLDER_RE = re.compile(r"^[.。…·\-—\s*]*$")
_TIME_INDICATOR_RE = re.compile(r"(时效|时间|时限|日期|期限|截止|完成时)")
_DATE_TEXT_RE = re.compile(r"20\d{2}\s*年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?|20\d{2}[-/.]\d{1,2}[-/.]\d{1,2}")
_TOTAL_ROW = frozenset({"合计", "总计", "小计", "总分", "合计分值"})


def generated_code(name: str) -> str:
    """A stable 项目编码 for a project whose table has none, marked as generated (自编-…)."""
    return GENERATED_CODE_PREFIX + hashlib.sha1(name.encode("utf-8")).hexdigest()[:10].upper()


def _dedupe(row: Sequence[Cell]) -> list[Cell]:
    """The row with horizontally merged positions collapsed to one cell each."""
    out: list[Cell] = []
    for cell in row:
        if out and out[-1].origin == cell.origin:
            continue
        out.append(cell)
    return out


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


class TableReader:
    """Reads the blocks of one document into projects, collecting every problem on the way."""

    def __init__(self, path: str, *, default_plan: Sequence[PlanPoint] = DEFAULT_PLAN) -> None:
        self.path = path
        self.default_plan = tuple(default_plan)
        self.problems: list[ImportProblem] = []
        self.projects: list[Project] = []
        self.draft: _Draft | None = None
        self.header: _Header | None = None
        self.unit: str | None = None  # money unit in effect ("单位：元")
        self.years: list[int] = []
        self.unit_names: list[str] = []  # 实施单位 / 填报单位 … as found
        self.departments: list[str] = []  # 主管部门 as found
        self.title_units: list[str] = []
        self.codes: set[str] = set()
        # label-row state
        self._prev_first: tuple[int, int] | None = None
        self._prev_role: str | None = None
        self._pending_cols: dict[int, str] = {}
        self._pending_cells: list[Cell] = []  # a text-export indicator row spilling onto the next
        self._flat = False

    # --- problems ------------------------------------------------------------------------------------

    def warn(self, code: str, where: str, message: str, severity: str = "warning") -> None:
        place = f"{self.path}:{where}" if where else self.path
        self.problems.append(ImportProblem(code, place, message, severity))

    # --- driving ---------------------------------------------------------------------------------

    def read(self, blocks: Sequence[Block]) -> list[Project]:
        for block in blocks:
            if isinstance(block, TextBlock):
                if block.text:
                    self._text(block.text, block.where)
            else:
                self._table(block)
        self._close()
        return self.projects

    # --- titles and loose text -------------------------------------------------------------------------

    def _text(self, text: str, where: str) -> bool:
        """A paragraph or a one-cell row: a title, a year, a money unit or "填报单位：…". True if used."""
        used = False
        for match in _YEAR_IN_BRACKETS_RE.finditer(text):
            self.years.append(int(match.group(1)))
            used = True
        folded = key(text)
        # A title ends with its 表 (a year in brackets after it aside); a note that mentions the table does not.
        if _TITLE_RE.search(folded) and len(folded) <= 80 and _YEAR_IN_BRACKETS_RE.sub("", folded).endswith("表"):
            self._title(text, where)
            return True
        role, inline = label_role(text)
        if role is not None and inline is not None:
            self._assign(role, _V(inline, where, self.unit), where)
            return True
        return used

    def _title(self, text: str, where: str) -> None:
        folded = key(text)
        year = _YEAR_RE.search(folded)
        if year:
            self.years.append(int(year.group(1)))
        name = _TITLE_HEAD_RE.sub("", folded)
        name = _YEAR_IN_BRACKETS_RE.sub("", name)
        name = _TITLE_TAIL_RE.sub("", name)
        bare = re.sub(r"20\d{2}年度?$", "", name)
        self._close()
        self.header = None
        self.draft = _Draft(where=where)
        if bare in _GENERIC_TITLES:
            return
        if _UNIT_WORD_RE.search(bare):
            self.title_units.append(bare)
            return
        self.draft.title = name

    # --- tables ----------------------------------------------------------------------------------

    def _table(self, block: TableBlock) -> None:
        self._prev_first, self._prev_role, self._pending_cols = None, None, {}
        if block.sheet:
            self._close()
            self.header = None
        rows = block.rows
        skip = 0
        for r, row in enumerate(rows):
            if skip:
                skip -= 1
                continue
            cells = _dedupe(row)
            if not any(c.text for c in cells):
                continue
            header, consumed = self._match_header(row, rows[r + 1] if r + 1 < len(rows) else None)
            if header is not None:
                self._flush_pending_indicator()
                self.header, skip = header, consumed - 1
                self._flat = "project" in header.roles.values()
                continue
            if self.header is not None and self._pending_cells:
                self._indicator_cells(cells, block.shape)
                continue
            filled = [c for c in cells if c.text]
            if len(filled) == 1 and filled[0] is cells[0] and self._text(filled[0].text, filled[0].where):
                continue  # a title, a year or "单位：万元" on a row of its own
            if self.header is not None and not self._is_label_row(cells) and self._indicator_row(row, cells, block.shape):
                continue
            self.header = None
            self._flat = False
            self._label_row(cells)
        self._flush_pending_indicator()

    def _is_label_row(self, cells: Sequence[Cell]) -> bool:
        first = next((c for c in cells if c.text), None)
        if first is None:
            return False
        role, _ = label_role(first.text)
        return role not in (None, "unit", "goal", "long_goal") or (
            role in ("goal", "long_goal") and not self._flat and len(_dedupe(cells)) <= 3
        )

    # --- indicator header ------------------------------------------------------------------------------

    def _match_header(self, row: Sequence[Cell], below: Sequence[Cell] | None) -> tuple[_Header | None, int]:
        roles: dict[int, str] = {}
        for c, cell in enumerate(row):
            role = column_role(cell.text) if cell.text else None
            if role is not None:
                roles[c] = role
        found = set(roles.values())
        if not (found & {"level1", "level2"} and found & {"name", "content", "target"} and len(roles) >= 3):
            return None, 0
        consumed = 1
        # A second header row under a merged "指标值": 计算符号 | 指标值 | 度量单位.
        if below is not None:
            sub = {
                c: column_role(cell.text)
                for c, cell in enumerate(below[: len(row)])
                if cell.text and cell.origin[0] != row[c].origin[0]
            }
            if sub and all(v is not None for v in sub.values()) and set(sub.values()) & {"op", "unit", "target", "direction"}:
                for c, role in sub.items():
                    if role is not None:
                        roles[c] = role
                consumed = 2
        for c, cell in enumerate(row):
            if c not in roles:
                # A leading label column ("年度绩效指标", merged down the block) says which set the rows are.
                roles[c] = "block" if c == 0 and cell.text else "ignore"
        values = set(roles.values())
        if "name" not in values and "content" in values:
            # 指标内容 names the indicator when there is no 三级指标 column.
            roles = {c: ("name3" if r == "content" else r) for c, r in roles.items()}
        if "op" in values or "unit" in values:
            roles = {c: ("value" if r == "target" else r) for c, r in roles.items()}
        deduped: list[str] = []
        last_origin: tuple[int, int] | None = None
        for c, cell in enumerate(row):
            if cell.origin == last_origin and consumed == 1:
                continue
            last_origin = cell.origin
            deduped.append(roles[c])
        return _Header(roles, deduped, row[0].where), consumed

    # --- indicator rows --------------------------------------------------------------------------------

    def _indicator_row(self, row: Sequence[Cell], cells: list[Cell], shape: str) -> bool:
        """Read one indicator row; False when the row is no indicator row (it ends the table part)."""
        assert self.header is not None
        if shape == "grid" and self._fits_grid(row):
            values: dict[str, _V] = {}
            for c, cell in enumerate(row):
                role = self.header.roles.get(c, "ignore")
                if role == "ignore":
                    continue
                if role not in values or (not values[role].text and cell.text):
                    values[role] = _V(cell.text, cell.where)
            return self._indicator(values)
        return self._indicator_cells(cells, shape)

    def _fits_grid(self, row: Sequence[Cell]) -> bool:
        """Whether no merge in ``row`` spans columns of different meaning."""
        assert self.header is not None
        for c in range(1, len(row)):
            if row[c].origin == row[c - 1].origin and row[c].origin[0] == row[c - 1].origin[0]:
                a, b = self.header.roles.get(c - 1, "ignore"), self.header.roles.get(c, "ignore")
                if a != b and "ignore" not in (a, b):
                    return False
        return True

    def _indicator_cells(self, cells: list[Cell], shape: str) -> bool:
        """Cells mapped by position: the text export may spill a row over two; a space-separated row
        omits its merged leading cells."""
        assert self.header is not None
        width = len(self.header.deduped)
        if shape == "grid" and not self._pending_cells and len(cells) == 1:
            return False  # one cell across the table: a note or a heading, not the start of a spilt row
        if shape == "ragged" and not self._pending_cells and len(cells) < width:
            if len(cells) < 2:
                return False
            cells = [Cell("", cells[0].where, (-1, -1))] * (width - len(cells)) + cells
        pending = self._pending_cells + cells
        if len(pending) < width and shape != "ragged":
            self._pending_cells = pending
            return True
        self._pending_cells = []
        if len(pending) > width:
            self.warn(
                "indicator-row-width",
                pending[0].where,
                f"指标行应有 {width} 个单元格（与表头一致），此处有 {len(pending)} 个；这一行未导入，请核对",
            )
            return True
        values = {}
        for role, cell in zip(self.header.deduped, pending, strict=False):
            if role != "ignore" and role not in values:
                values[role] = _V(cell.text, cell.where)
        return self._indicator(values)

    def _flush_pending_indicator(self) -> None:
        if self._pending_cells:
            cell = self._pending_cells[0]
            self.warn(
                "indicator-row-incomplete",
                cell.where,
                f"指标行不完整：只有 {len(self._pending_cells)} 个单元格；这一行未导入，请核对",
            )
            self._pending_cells = []

    def _indicator(self, values: dict[str, _V]) -> bool:
        def text(role: str) -> str:
            value = values.get(role)
            return value.text.strip() if value else ""

        block = text("block")
        if block and re.search(r"(中期|长期|实施期|总体)", block) and not re.search(r"年度", block):
            return True  # the multi-year set beside the year's: not monitored
        if self._flat:
            project = values.get("project")
            if project and project.text and (self.draft is None or self.draft.name is None or self.draft.name.text != project.text):
                self._close()
                self.draft = _Draft(where=project.where, name=_V(project.text, project.where), named_by_row=True)
            for role in ("code", "budget", "goal"):
                value = values.get(role)
                if value and value.text:
                    self._assign(role, _V(value.text, value.where, self.unit), value.where, once=True)
        draft = self._ensure_draft(next(iter(values.values())).where if values else "")
        level1, level2 = text("level1"), text("level2")
        name = text("name") or text("name3")
        if level1 in _TOTAL_ROW or name in _TOTAL_ROW or key(level1) in _TOTAL_ROW:
            return True
        target_cell = values.get("target") or values.get("value")
        raw_value = target_cell.text.strip() if target_cell else ""
        if (not name or _PLACEHOLDER_RE.match(name)) and (not raw_value or _PLACEHOLDER_RE.match(raw_value)):
            return True  # an empty placeholder row of the form
        if level1:
            if level1 != draft.level1:
                draft.level2 = ""
            draft.level1 = level1
        elif not draft.level1:
            where = values["level1"].where if "level1" in values else ""
            self.warn("indicator-no-level1", where, "第一个指标行缺少一级指标；已记为空，请在目标工作簿中补上")
        if level2:
            draft.level2 = level2
        first_where = next(iter(values.values())).where
        if not name:
            self.warn("indicator-no-name", first_where, "指标行缺少三级指标（指标名称）；已用二级指标代替，请核对")
            name = draft.level2 or "未命名指标"
        description = text("description") or (text("content") if "name" in values else "")
        if "name3" in values and not level2:
            draft.level2 = ""
        target = self._target(values, draft.level2, name)
        draft.indicators.append(
            Indicator(
                n=len(draft.indicators) + 1,
                level1=draft.level1,
                level2=draft.level2,
                name=name,
                description=description,
                target=target,
                basis=text("basis"),
            )
        )
        return True

    def _target(self, values: dict[str, _V], level2: str, name: str) -> Target:
        """The 指标值 as written, with split 计算符号 / 指标值 / 度量单位 columns joined and 指标方向
        applied; Excel date serials in time indicators read as dates; anything unreadable stays
        定性 with a warning."""
        cell = values.get("target") or values.get("value")
        where = cell.where if cell else next(iter(values.values())).where
        raw = cell.text.strip() if cell else ""
        op_text = key(values["op"].text) if "op" in values else ""
        unit = values["unit"].text.strip() if "unit" in values else ""
        direction = key(values["direction"].text) if "direction" in values else ""
        if not op_text and _fold(direction) in _OP_WORDS:  # 指标性质 holding the operator (≥ ≤ ＝)
            op_text, direction = direction, ""
        serial = raw.replace(",", "")
        if serial.isdigit() and 36526 <= int(serial) <= 55153 and _TIME_INDICATOR_RE.search(level2 + name):
            day = dt.date(1899, 12, 30) + dt.timedelta(days=int(serial))
            converted = f"{day.year}年{day.month}月{day.day}日"
            self.warn("target-excel-date", where, f"指标值“{raw}”是 Excel 的日期序号，已读作“{converted}”；请核对")
            raw = converted
        if _DATE_TEXT_RE.fullmatch(key(raw)) and op_text:
            # A deadline: "≤ 2024年12月31日" is "2024年12月31日前", judged 达成/未达成 (定性).
            deadline = _OP_WORDS.get(_fold(op_text), "")
            raw += {"≤": "前", "<": "前", "≥": "后", ">": "后"}.get(deadline, "")
            op_text = ""
        if op_text in _QUALITATIVE_OPS or direction in _QUALITATIVE_OPS:
            op_text = ""
        elif op_text:
            symbol = _OP_WORDS.get(_fold(op_text))
            if symbol is None and op_text in _POSITIVE | _NEGATIVE:
                direction, op_text = op_text, ""
            elif symbol is None:
                self.warn("target-unknown-operator", values["op"].where, f"计算符号“{values['op'].text}”无法识别；已忽略，请核对")
            elif raw and not re.match(r"^[≥≤<>=＞＜＝≧≦]", _fold(raw)):
                raw = symbol + raw
        if unit and key(unit) not in ("/", "无", "-", "—", "") and raw and not raw.endswith(unit) and re.search(r"\d\s*$", raw):
            raw += unit
        if not raw:
            self.warn("target-empty", where, f"指标“{name}”的指标值为空；已按定性指标记录，请补上")
            return Target(raw="", op=Op.QUALITATIVE)
        try:
            target = parse_target(raw)
        except TargetParseError as exc:
            marked = f"【请核对】{raw}"
            self.warn("target-unreadable", where, f"{exc}；已按定性指标记为“{marked}”，请改为“≥95%”“≤10天”这样的写法")
            return parse_target(marked)
        if target.op is Op.EQ and direction in _POSITIVE | _NEGATIVE:
            raw = ("≥" if direction in _POSITIVE else "≤") + raw
            target = parse_target(raw)
        if target.is_qualitative and re.search(r"\d", raw) and not _DATE_TEXT_RE.search(raw):
            self.warn("target-qualitative-number", where, f"指标值“{raw}”含有数字但无法读出比较符号和单位；已按定性指标记录，请核对")
        return target

    # --- label rows ----------------------------------------------------------------------------------

    def _ensure_draft(self, where: str) -> _Draft:
        if self.draft is None:
            self.draft = _Draft(where=where)
        return self.draft

    def _label_row(self, cells: list[Cell]) -> None:
        first = cells[0]
        continued = not first.text or first.origin == self._prev_first
        if self._pending_cols and not any(label_role(c.text)[0] for c in cells[1 if continued else 0 :]):
            self._pending_values(cells, continued)
            self._prev_first = first.origin
            return
        self._pending_cols = {}
        if continued and self._prev_role:
            rest = cells[1:]
            self._prev_first = first.origin
            if self._continue_role(self._prev_role, rest) or not rest:
                return
            cells = rest
        else:
            self._prev_first = first.origin
            self._prev_role = label_role(first.text)[0]
        self._label_cells(cells, 1 if continued else 0)

    def _pending_values(self, cells: list[Cell], continued: bool) -> None:
        """The values under a row of labels only (项目名称 | 项目编码 | … above, their values here)."""
        for index, role in self._pending_cols.items():
            if index < len(cells) and cells[index].text and not (index == 0 and continued):
                self._assign(role, _V(cells[index].text, cells[index].where, self.unit), cells[index].where)
        self._pending_cols = {}

    def _continue_role(self, role: str, rest: list[Cell]) -> bool:
        """A row under a label merged down its rows (the cells after the merge): whether the label's
        role took the row; if not, the cells are read as a label row of their own."""
        if role == "plan":
            self._plan_cells(rest)
            return True
        if role in ("purpose", "goal", "money_group", "long_goal") and rest and label_role(rest[0].text)[0] is None:
            if role != "long_goal":
                self._assign("purpose" if role == "money_group" else role, _V("\n".join(c.text for c in rest if c.text), rest[0].where), rest[0].where)
            return True
        return False

    def _label_cells(self, cells: list[Cell], offset: int) -> None:
        """Label cells, each with its value inline (资金总额：100万元) or in the cell after it; a row of
        labels only is kept, to read its values from the next row. ``offset``: the columns before
        ``cells`` in the row."""
        labels_only: dict[int, str] = {}
        assigned = False
        i = 0
        while i < len(cells):
            cell = cells[i]
            found, inline = label_role(cell.text)
            if found is None:
                if i == 0 and cell.text:
                    self._unknown_row(cells)
                    return
                i += 1
                continue
            role = found
            if role in ("budget", "fiscal", "other", "money_group") and (stated := label_unit(cell.text)):
                self.unit = stated
            if inline is not None:
                self._assign(role, _V(inline, cell.where, label_unit(cell.text) or self.unit), cell.where)
                assigned = True
                i += 1
                continue
            following = cells[i + 1] if i + 1 < len(cells) else None
            if following is not None and label_role(following.text)[0] is None:
                if role == "plan":
                    self._plan_cells(cells[i + 1 :])
                    return
                value = _V(following.text, following.where, label_unit(cell.text) or self.unit)
                if role == "money_group":
                    role = "budget" if self._amount(value, quiet=True) is not None else "purpose"
                self._assign(role, value, following.where)
                assigned = True
                i += 2
            else:
                labels_only[i + offset] = role
                i += 1
        if labels_only and not assigned and len(labels_only) >= 2:
            self._pending_cols = labels_only
            for index, kind in labels_only.items():
                if kind in ("budget", "fiscal", "other", "money_group"):
                    unit = label_unit(cells[index - offset].text)
                    if unit:
                        self.unit = unit

    def _unknown_row(self, cells: Sequence[Cell]) -> None:
        text = "／".join(c.text for c in cells if c.text)
        if self.draft is None or not self.draft.has_content:
            return  # before any project: cover pages, notes, department tables — nothing to keep
        if len(text) > 40:
            text = text[:40] + "…"
        self.warn("unknown-row", cells[0].where, f"无法识别的表格行“{text}”，已忽略；如其中有需要监控的内容，请在目标工作簿中补充")

    def _assign(self, role: str, value: _V, where: str, *, once: bool = False) -> None:
        if role in ("ignore", "long_goal", "money_group"):
            return
        if role == "unit":
            unit = key(value.text)
            if unit in _MONEY_UNITS:
                self.unit = unit
            return
        if role == "year":
            match = _YEAR_RE.search(value.text)
            if match:
                self.years.append(int(match.group(1)))
            return
        if role == "unit_name":
            if value.text:
                self.unit_names.append(value.text)
            return
        if role == "department":
            if value.text:
                self.departments.append(value.text)
            return
        if role == "name":
            draft = self.draft
            if draft is not None and (draft.named_by_row or draft.indicators):
                self._close()
                draft = None
            draft = draft or self._ensure_draft(where)
            draft.name, draft.named_by_row = value, True
            return
        if role == "code" and not once and self.draft is not None and self.draft.indicators:
            self._close()  # a 项目编码 after a complete project begins the next one
        draft = self._ensure_draft(where)
        if role in ("code", "budget", "fiscal"):
            if once and getattr(draft, role) is not None:
                return
            setattr(draft, role, value)
        elif role == "other":
            draft.others.append(value)
        elif role == "purpose":
            if value.text:
                draft.purpose.append(value.text)
        elif role == "goal":
            if value.text and (not once or not draft.goal):
                draft.goal.append(value.text)
        elif role == "plan":
            self._plan_cells([Cell(value.text, value.where, (-1, -1))])

    def _plan_cells(self, cells: Sequence[Cell]) -> None:
        draft = self._ensure_draft(cells[0].where if cells else "")
        for cell in cells:
            text = key(_fold(cell.text))
            if not text:
                continue
            month = _MONTH_RE.match(text)
            quarter = _QUARTER_RE.match(text)
            if month:
                draft.months.append(_V(month.group(1), cell.where))
            elif quarter:
                draft.months.append(_V(str(_QUARTER_MONTH[quarter.group(1)]), cell.where))
            elif _PERCENT_RE.match(text):
                draft.percents.append(_V(_PERCENT_RE.match(text).group(1), cell.where))  # type: ignore[union-attr]
            elif pairs := _INLINE_PLAN_RE.findall(text):
                for m, p in pairs:
                    draft.months.append(_V(m, cell.where))
                    draft.percents.append(_V(p, cell.where))
            else:
                self.warn("plan-unreadable", cell.where, f"资金支出计划“{cell.text}”无法识别（应为“3月底”“25%”这样的写法），已忽略")

    # --- a project is complete ----------------------------------------------------------------------

    def _close(self) -> None:
        self._flush_pending_indicator()
        draft, self.draft = self.draft, None
        if draft is None or not draft.has_content:
            return
        project = self._project(draft)
        if project is not None:
            self.projects.append(project)

    def _amount(self, value: _V, *, quiet: bool = False, what: str = "金额") -> Decimal | None:
        """An amount in 万元: "3,309,840.00" under 单位：元, "250万", "2279.048 万元" … exactly."""
        text = re.sub(r"[\s,，]", "", _fold(value.text))
        if not text:
            return None
        match = _AMOUNT_RE.fullmatch(text)
        if match is None:
            found = [m for m in _AMOUNT_RE.finditer(text) if m.group(1)]
            match = found[0] if len(found) == 1 else None
        if match is None:
            if not quiet:
                self.warn("money-unreadable", value.where, f"{what}“{value.text}”不是数字；请核对（单位：万元）")
            return None
        try:
            number = Decimal(match.group(1))
        except InvalidOperation:  # pragma: no cover - the pattern only lets decimals through
            return None
        unit = match.group(2) or value.unit or "万元"
        shift = _MONEY_UNITS.get(unit, 0)
        if shift == 0:
            return number
        converted = number.scaleb(shift).normalize()
        if converted.as_tuple().exponent > -2:  # type: ignore[operator]
            converted = converted.quantize(Decimal("0.01"))
        return converted

    def _project(self, draft: _Draft) -> Project | None:
        where = draft.where or (draft.name.where if draft.name else "")
        name = draft.name.text.strip() if draft.name and draft.name.text.strip() else draft.title
        if not name:
            name = f"未命名项目{len(self.projects) + 1}"
            self.warn("project-no-name", where, f"项目表没有项目名称；已记为“{name}”，请在目标工作簿中改正")
        if not draft.indicators:
            self.warn("project-no-indicators", where, f"项目“{name}”没有找到绩效指标（一级/二级/三级指标表），未导入", "error")
            return None
        code = draft.code.text.strip() if draft.code and draft.code.text.strip() else ""
        if not code:
            code = generated_code(name)
            self.warn(
                "project-code-generated", where,
                f"项目“{name}”没有项目编码，已生成临时编码 {code}；请在目标工作簿中改为一体化平台的项目编码",
            )
        if code in self.codes:
            base, n = code, 2
            while f"{base}-{n}" in self.codes:
                n += 1
            code = f"{base}-{n}"
            self.warn("project-code-duplicate", where, f"项目编码“{base}”重复；“{name}”暂记为 {code}，请核对")
        self.codes.add(code)
        budget, fiscal, other = self._money(draft, name, where)
        return Project(
            code=code,
            name=name,
            budget=budget,
            fiscal=fiscal,
            other=other,
            purpose="\n".join(draft.purpose),
            goal="\n".join(draft.goal),
            plan=self._plan(draft, name, where),
            indicators=tuple(draft.indicators),
        )

    def _money(self, draft: _Draft, name: str, where: str) -> tuple[Decimal, Decimal, Decimal]:
        budget = self._amount(draft.budget, what="预算数") if draft.budget else None
        fiscal = self._amount(draft.fiscal, what="财政资金") if draft.fiscal else None
        parts = [a for v in draft.others if (a := self._amount(v, what="其他资金")) is not None]
        others = sum(parts, Decimal(0)) if parts else None
        if budget is None:
            if fiscal is not None or others is not None:
                budget = (fiscal or Decimal(0)) + (others or Decimal(0))
            else:
                self.warn("project-no-budget", draft.budget.where if draft.budget else where, f"项目“{name}”没有找到预算数（资金总额）；暂记为 0 万元，请补上")
                return Decimal(0), Decimal(0), Decimal(0)
        if budget < 0:
            self.warn("money-negative", draft.budget.where if draft.budget else where, f"项目“{name}”的预算数为负数；暂记为 0，请核对")
            return Decimal(0), Decimal(0), Decimal(0)
        if fiscal is None:
            fiscal = budget - (others or Decimal(0))
            other = others or Decimal(0)
            if fiscal < 0:
                fiscal, other = budget, Decimal(0)
            return budget, fiscal, other
        other = others if others is not None else Decimal(0)
        if not draft.others and fiscal <= budget:
            # No 其他资金 line at all: the rest of the total is other money (上年结转, 自有资金 …), as the form means.
            return budget, fiscal, budget - fiscal if fiscal != budget else Decimal(0)
        if fiscal + other != budget:
            place = draft.budget.where if draft.budget else where
            rest = budget - fiscal
            if rest < 0:
                self.warn("money-mismatch", place, f"项目“{name}”财政资金 {format_value(fiscal)} 万元大于预算数 {format_value(budget)} 万元；已按财政资金等于预算数记录，请核对")
                return budget, budget, Decimal(0)
            self.warn(
                "money-mismatch", place,
                f"项目“{name}”预算数 {format_value(budget)} 万元不等于财政资金 {format_value(fiscal)} + 其他资金 "
                f"{format_value(other)}；其他资金已记为 {format_value(rest)} 万元，请核对",
            )
            other = rest
        return budget, fiscal, other

    def _plan(self, draft: _Draft, name: str, where: str) -> tuple[PlanPoint, ...]:
        if not draft.months and not draft.percents:
            self.warn("plan-default", where, f"项目“{name}”没有资金支出计划；已按默认计划（{_plan_text(self.default_plan)}）记录，请核对")
            return self.default_plan
        months = [(int(m.text), m.where) for m in draft.months]
        percents = [(Decimal(p.text), p.where) for p in draft.percents]
        problem = ""
        if len(months) != len(percents):
            problem = f"有 {len(months)} 个月份但有 {len(percents)} 个比例"
        points: list[PlanPoint] = []
        if not problem:
            for (month, _), (percent, _) in zip(months, percents, strict=True):
                if not 1 <= month <= 12 or percent > 100:
                    problem = f"{month}月 {format_value(percent)}% 不在范围内"
                    break
                if points and (month <= points[-1].month or percent < points[-1].percent):
                    problem = "应按月份递增、累计比例不减少"
                    break
                points.append(PlanPoint(month, percent))
        if not problem and points and points[-1].percent != 100:
            problem = f"最后应达到 100%，文档为 {format_value(points[-1].percent)}%"
        if not problem and points and points[-1].month != 12:
            points.append(PlanPoint(12, Decimal(100)))
        if problem:
            place = (percents or months)[-1][1] if (percents or months) else where
            self.warn("plan-invalid", place, f"项目“{name}”的资金支出计划{problem}；已按默认计划（{_plan_text(self.default_plan)}）记录，请核对")
            return self.default_plan
        return tuple(points)

    # --- what the tables say about the department -----------------------------------------------------

    def department_name(self) -> str | None:
        for candidates in (self.unit_names, self.departments, self.title_units):
            for text in candidates:
                name = _DEPT_CODE_RE.sub("", key(text))
                if name:
                    return name
        return None

    def year(self) -> int | None:
        return self.years[0] if self.years else None


@dataclass(frozen=True, slots=True)
class GoalsImport:
    """What an import found: the registry and every problem met on the way (empty when clean)."""

    department: Department
    problems: tuple[ImportProblem, ...] = ()

    @property
    def exit_code(self) -> int:
        """0 when nothing needs a look, 1 when the registry was made with warnings (DESIGN.md §4)."""
        return 1 if self.problems else 0


def check_as_registry(department: Department, path: str) -> None:
    """The import must give a registry the goals-file loader accepts; anything else is a bug to report."""
    from perfsheet.goals.registry import check_department

    try:
        rebuilt = check_department(department, path)
    except RegistryError as exc:  # pragma: no cover - a bug in the importer, shown without a traceback
        raise GoalsDocumentError(f"导入结果未通过目标文件校验（请报告此问题）：{exc.message}", path) from None
    if rebuilt != department:  # pragma: no cover - the same
        raise GoalsDocumentError("导入结果与目标文件的读法不一致（请报告此问题）", path)


def tables_from_paragraphs(blocks: Sequence[Block]) -> list[Block]:
    """Rebuild the tables of a document that holds them one cell per paragraph (a table pasted as text).

    Only for a document with no table of its own whose paragraphs hold an indicator header (一级指标,
    二级指标 … one per paragraph). From the first label or header on, a label paragraph (项目名称,
    资金总额 …) starts a row and the paragraphs after it are its values; after the header, a row starts
    at a 一级 or 二级 category word (the merged cells above it written once) or when it is full.
    """
    if any(isinstance(b, TableBlock) for b in blocks):
        return list(blocks)
    texts = [b for b in blocks if isinstance(b, TextBlock)]
    keys = [key(b.text) for b in texts]
    if not any(a == "一级指标" and b == "二级指标" for a, b in itertools.pairwise(keys)):
        return list(blocks)
    out: list[Block] = []
    rows: list[list[Cell]] = []
    width = 0  # the header's width once one is read
    i = 0
    started = False

    def cell(block: TextBlock) -> Cell:
        return Cell(block.text, block.where, (len(rows), len(rows[-1]) if rows else 0))

    def flush() -> None:
        nonlocal rows
        if rows:
            out.append(TableBlock(tuple(tuple(r) for r in rows), "ragged", rows[0][0].where))
        rows = []

    while i < len(texts):
        block = texts[i]
        k = keys[i]
        role, _ = label_role(block.text)
        if k == "一级指标":
            header = []
            while i < len(texts) and keys[i] and column_role(texts[i].text) is not None:
                header.append(texts[i])
                i += 1
            rows.append([])
            for h in header:
                rows[-1].append(cell(h))
            width, started = len(header), True
            continue
        if role not in (None, "ignore") and not (width and k in LEVEL1_WORDS + LEVEL2_WORDS):
            if width and role in ("name", "code"):
                width = 0
            rows.append([cell(block)])
            started = True
            i += 1
            continue
        if _TITLE_RE.search(k) and len(k) <= 80:
            flush()
            out.append(block)
            started, width = False, 0
            i += 1
            continue
        if not started:
            out.append(block)
            i += 1
            continue
        if width:
            _start_indicator_row(rows, block, k, width)
        rows[-1].append(cell(block))
        i += 1
    flush()
    return out


def _start_indicator_row(rows: list[list[Cell]], block: TextBlock, k: str, width: int) -> None:
    """Start the row an indicator table's paragraph ``block`` (its key ``k``) begins, if it begins
    one: after the header or a label row, at a 一级 or 二级 category word (the merged cells before it
    as blanks), or when the current row holds ``width`` cells."""
    current = rows[-1] if rows else []
    label_row = bool(current) and label_role(current[0].text)[0] not in (None, "ignore")
    after_level1 = len(current) == 1 and key(current[0].text) in LEVEL1_WORDS
    if not current or _is_header_row(current) or label_row:
        rows.append([] if k in LEVEL1_WORDS else _blanks(block, len(rows), 1 if k in LEVEL2_WORDS else 2))
    elif after_level1:
        pass  # the 二级指标 of the row the 一级指标 started ("成本指标" is both)
    elif k in LEVEL1_WORDS:
        rows.append([])
    elif k in LEVEL2_WORDS:
        rows.append(_blanks(block, len(rows), 1))
    elif len(current) >= width:
        rows.append(_blanks(block, len(rows), 2))


def _blanks(block: TextBlock, row: int, count: int) -> list[Cell]:
    """The cells a merge above covers, written once in the pasted text (read as empty: inherited)."""
    return [Cell("", block.where, (row, -1 - k)) for k in range(count)]


def _is_header_row(row: Sequence[Cell]) -> bool:
    return bool(row) and key(row[0].text) == "一级指标"


def _plan_text(plan: Sequence[PlanPoint]) -> str:
    return "，".join(f"{p.month}月底 {format_value(p.percent)}%" for p in plan)


def fatal(path: str | Path, problems: Sequence[ImportProblem], message: str) -> GoalsDocumentError:
    """The error for a document nothing usable was found in, listing every problem found on the way."""
    if not problems:
        return GoalsDocumentError(message, path)
    lines = "\n".join(str(p) for p in problems)
    error = GoalsDocumentError(f"{message}\n另发现 {len(problems)} 处问题：\n{lines}", path)
    return error
