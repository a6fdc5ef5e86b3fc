"""The schemas of the two files a person edits: ``perfsheet.yaml`` (the workspace config) and
``goals/<year>.yaml`` (the goals registry), declared once here.

Each schema says, per mapping level, which keys are allowed, which are required, and the type and range
of every value; :func:`check` walks a loaded document against it and records every violation with the
line a person must edit, so a file is fixed in one pass. The loaders in :mod:`perfsheet.goals.registry`
and :mod:`perfsheet.workspace` run :func:`check` before they build anything from the data.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from perfsheet.errors import RegistryError
from perfsheet.labels import LIGHT_LABELS

__all__ = [
    "CONFIG",
    "GOALS",
    "KNOWN_SCHEMA_VERSIONS",
    "SCHEMA_VERSION",
    "WEIGHT",
    "WEIGHT_PLACES",
    "Field",
    "Integer",
    "LineMap",
    "ListOf",
    "MapOf",
    "Number",
    "Problems",
    "Record",
    "SchemaVersion",
    "Text",
    "check",
    "decimal_places",
    "line_of",
]

SCHEMA_VERSION = 1  # the version perfsheet writes
KNOWN_SCHEMA_VERSIONS = (1,)  # the versions it reads


# --- located data and collected problems --------------------------------------------------------


class LineMap(dict[str, Any]):
    """A mapping that remembers its own line and the line of each key (1-based) for error messages."""

    line: int = 0
    key_lines: dict[str, int]


def line_of(mapping: object, key: str | None = None) -> int | None:
    """The line of ``key`` in ``mapping`` (or of the mapping itself), when the loader recorded it."""
    if isinstance(mapping, LineMap):
        if key is not None and key in getattr(mapping, "key_lines", {}):
            return mapping.key_lines[key]
        return mapping.line or None
    return None


class Problems:
    """Collects every problem of a file so a person can fix them all in one pass.

    Problems the schema finds come first; a later (semantic) problem on a line that already has a schema
    problem is a consequence of it and is left out, so one slip gives one message.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.items: list[tuple[int | None, str]] = []
        self._schema_lines: set[int | None] = set()

    def add_schema(self, line: int | None, message: str) -> None:
        self.items.append((line, message))
        self._schema_lines.add(line)

    def add(self, line: int | None, message: str) -> None:
        if line is not None and line in self._schema_lines:
            return
        if (line, message) not in self.items:
            self.items.append((line, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if not self.items:
            return
        # File order: problems without a line (about the whole file) first, then line by line.
        items = sorted(self.items, key=lambda item: item[0] or 0)
        first_line = items[0][0]
        if len(items) == 1:
            raise RegistryError(items[0][1], self.path, first_line)
        lines = [f"{self.path}:{line}: {msg}" if line else f"{self.path}: {msg}" for line, msg in items]
        error = RegistryError(f"发现 {len(items)} 处问题：\n" + "\n".join(lines))
        error.path, error.line = self.path, first_line
        raise error


Report = Callable[[int | None, str], None]


# --- the schema vocabulary ----------------------------------------------------------------------


class Spec:
    """What a value must be. ``validate`` reports what is wrong with ``value`` (found under ``key``)."""

    def validate(self, value: Any, key: str, line: int | None, report: Report) -> None:
        raise NotImplementedError


def _shown(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 30 else text[:30] + "…"


def _is_collection(value: Any) -> bool:
    return isinstance(value, (dict, list))


@dataclass(frozen=True)
class Text(Spec):
    """Text (a number or code written without quotes is text too); never a list or a mapping."""

    def validate(self, value: Any, key: str, line: int | None, report: Report) -> None:
        if _is_collection(value):
            report(line, f"“{key}”应为文字，不能是列表或映射")


def as_int(value: Any) -> int | None:
    """``value`` as a whole number (``2025`` or ``"2025"``), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        if not value.is_finite() or abs(value.adjusted()) > 18:
            return None
        return int(value) if value == value.to_integral_value() else None
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit() and len(value) < 20:
        return int(value.strip())
    return None


def as_decimal(value: Any, *, percent: bool = False) -> Decimal | None:
    """``value`` as a finite Decimal (``5``, ``5.00``, ``"5.00"``; with ``percent`` also ``"25%"``), else None."""
    if isinstance(value, bool) or _is_collection(value) or value is None:
        return None
    text = str(value).strip()
    if percent:
        text = text.rstrip("%％").strip()
    if len(text) > 40:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    # An exponent like 1e999999999 is no amount, and printing it in full would take gigabytes.
    return number if number.is_finite() and abs(number.adjusted()) <= 30 else None


def decimal_places(number: Decimal) -> int:
    """How many decimals ``number`` is written with (``5.00`` → 2, ``5`` → 0)."""
    exponent = number.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


@dataclass(frozen=True)
class Integer(Spec):
    """A whole number in ``low``–``high``."""

    low: int | None = None
    high: int | None = None
    what: str = "整数"

    def validate(self, value: Any, key: str, line: int | None, report: Report) -> None:
        number = as_int(value)
        if number is None:
            report(line, f"“{key}”应为{self.what}，现为“{_shown(value)}”")
        elif (self.low is not None and number < self.low) or (self.high is not None and number > self.high):
            report(line, f"“{key}”应在 {self.low}–{self.high} 之间，现为 {number}")


@dataclass(frozen=True)
class Number(Spec):
    """A decimal number in ``low``–``high`` (both inclusive), in ``unit``."""

    low: Decimal | None = None
    high: Decimal | None = None
    unit: str = ""
    percent: bool = False  # "25%" is 25
    places: int | None = None  # at most this many decimals

    def validate(self, value: Any, key: str, line: int | None, report: Report) -> None:
        number = as_decimal(value, percent=self.percent)
        unit = f"（{self.unit}）" if self.unit else ""
        if number is None:
            report(line, f"“{key}”应为数字{unit}，现为“{_shown(value)}”")
        elif self.places is not None and decimal_places(number) > self.places:
            report(line, f"“{key}”最多{self.places}位小数，现为 {_shown(value)}")
        elif self.low is not None and self.high is None and number < self.low:
            report(line, f"“{key}”不能为负数" if self.low == 0 else f"“{key}”不能小于 {self.low}")
        elif (self.low is not None and number < self.low) or (self.high is not None and number > self.high):
            report(line, f"“{key}”应在 {self.low}–{self.high} 之间，现为 {_shown(value)}")


@dataclass(frozen=True)
class SchemaVersion(Spec):
    """The file format version: one of the versions this perfsheet reads."""

    known: tuple[int, ...] = KNOWN_SCHEMA_VERSIONS

    def validate(self, value: Any, key: str, line: int | None, report: Report) -> None:
        if as_int(value) not in self.known:
            versions = "、".join(str(v) for v in self.known)
            report(line, f"不支持的文件格式版本 {key}: {_shown(value)}（本程序支持的版本：{versions}）；请检查是否由更新版本的 perfsheet 生成")


@dataclass(frozen=True)
class Field:
    spec: Spec
    required: bool = False


Check = Callable[[Mapping[str, Any], Report], None]


@dataclass(frozen=True)
class Record(Spec):
    """A mapping with a fixed set of keys (a key not declared here is a problem, with a suggestion)."""

    fields: Mapping[str, Field]
    what: str = ""  # how to describe it when something else was written, e.g. "一个映射（budget_red、budget_yellow）"
    checks: tuple[Check, ...] = ()  # rules across keys, run when every key of the record is valid

    def validate(self, value: Any, key: str, line: int | None, report: Report) -> None:
        if not isinstance(value, Mapping):
            report(line, f"“{key}”应为{self.what or '一个映射（键: 值）'}，现为“{_shown(value)}”")
            return
        found: list[tuple[int | None, str]] = []

        def collect(at: int | None, message: str) -> None:
            found.append((at, message))

        for name in value:
            if name not in self.fields:
                collect(line_of(value, name), _unknown_key(name, list(self.fields)))
        for name, spec in self.fields.items():
            item = value.get(name)
            if item is None or (item == "" and isinstance(spec.spec, (Integer, Number))):  # "" is no number given
                if spec.required:
                    collect(line_of(value), f"缺少“{name}”")
                continue
            spec.spec.validate(item, name, line_of(value, name), collect)
        if not found:
            for rule in self.checks:
                rule(value, collect)
        for at, message in found:
            report(at, message)


def _unknown_key(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return f"未知的配置项“{key}”，是否应为“{close[0]}”？"
    return f"未知的配置项“{key}”；此处可用的有：{'、'.join(known)}"


@dataclass(frozen=True)
class ListOf(Spec):
    """A list of ``item``; with ``unique``, the items' ``unique`` values must differ (e.g. project codes)."""

    item: Spec
    what: str = "列表（每项以“- ”开头）"
    unique: str | None = None
    unique_label: str = ""
    non_empty: bool = False

    def validate(self, value: Any, key: str, line: int | None, report: Report) -> None:
        if not isinstance(value, list):
            report(line, f"“{key}”应为{self.what}，现为“{_shown(value)}”")
            return
        if self.non_empty and not value:
            report(line, f"“{key}”不能为空")
        seen: set[str] = set()
        for n, item in enumerate(value, start=1):
            at = line_of(item) or line
            self.item.validate(item, f"{key} 第 {n} 项", at, report)
            if self.unique is None or not isinstance(item, Mapping) or item.get(self.unique) is None:
                continue
            identity = str(item[self.unique])
            if identity in seen:
                report(line_of(item, self.unique) or at, f"{self.unique_label}“{identity}”重复")
            seen.add(identity)


@dataclass(frozen=True)
class OneOf(Spec):
    """One of a fixed set of words (``红灯`` / ``黄灯``)."""

    choices: tuple[str, ...]

    def validate(self, value: Any, key: str, line: int | None, report: Report) -> None:
        if _is_collection(value) or str(value).strip() not in self.choices:
            report(line, f"“{key}”应为 {'、'.join(self.choices)} 之一，现为“{_shown(value)}”")


@dataclass(frozen=True)
class MapOf(Spec):
    """A mapping whose keys are data (months of a plan, project codes of a roster)."""

    key: Spec
    value: Spec
    what: str = "一个映射（键: 值）"
    non_empty: bool = False
    key_label: str = "键"  # what a key is, e.g. "月份": "“plan 的月份”应在 1–12 之间"

    def validate(self, value: Any, key: str, line: int | None, report: Report) -> None:
        if not isinstance(value, Mapping):
            report(line, f"“{key}”应为{self.what}，现为“{_shown(value)}”")
            return
        if self.non_empty and not value:
            report(line, f"“{key}”不能为空，应为{self.what}")
        for name, item in value.items():
            at = line_of(value, name) or line
            self.key.validate(name, f"{key} 的{self.key_label}", at, report)
            self.value.validate(item, f"{key} 中 {name} 的值", at, report)


def check(data: Any, schema: Record, problems: Problems, *, what: str = "文件内容") -> None:
    """Record in ``problems`` every way ``data`` (a loaded document) breaks ``schema``."""
    if not isinstance(data, Mapping):
        problems.add_schema(1, f"{what}应为{schema.what or '一个映射'}")
        return
    schema.validate(data, "", line_of(data), problems.add_schema)


# --- the goals registry (goals/<year>.yaml) -----------------------------------------------------

_TEXT = Field(Text())
_REQUIRED_TEXT = Field(Text(), required=True)
_YEAR = Integer(2000, 2100, what="四位数字的年度")
# An indicator's own 分值 in the self-evaluation: score points out of 100, as the 自评表 prints them.
WEIGHT_PLACES = 2
WEIGHT = Number(Decimal(0), Decimal(100), unit="分", places=WEIGHT_PLACES)

INDICATOR = Record(
    {
        "level1": _REQUIRED_TEXT,  # 一级指标
        "level2": _REQUIRED_TEXT,  # 二级指标
        "name": _REQUIRED_TEXT,  # 三级指标
        "description": _TEXT,  # 指标解释
        "target": _REQUIRED_TEXT,  # 指标值, parsed by perfsheet.targets
        "basis": _TEXT,  # 指标值设定依据
        "weight": Field(WEIGHT),  # 自评分值; absent: the 一级指标's weight shared evenly
    },
    what="一个指标（level1、level2、name、target …）",
)

PROJECT = Record(
    {
        "code": _REQUIRED_TEXT,  # 项目编码
        "name": _REQUIRED_TEXT,
        "section": _TEXT,  # 责任科室
        "budget": Field(Number(Decimal(0), unit="万元"), required=True),  # 年初预算数
        "fiscal": Field(Number(Decimal(0), unit="万元")),  # 财政资金 (default: budget)
        "other": Field(Number(Decimal(0), unit="万元")),  # 其他资金 (default: 0)
        "purpose": _TEXT,
        "goal": _TEXT,
        "plan": Field(
            MapOf(Integer(1, 12, what="月份（1–12）"), Number(Decimal(0), Decimal(100), unit="%", percent=True),
                  what="资金支出计划“月份: 累计百分比”（例如 {3: 25, 6: 50, 10: 75, 12: 100}）", non_empty=True,
                  key_label="月份"),
            required=True,
        ),
        "indicators": Field(ListOf(INDICATOR, non_empty=True), required=True),
    },
    what="一个项目（code、name、budget、plan、indicators …）",
)

GOALS = Record(
    {
        "schema": Field(SchemaVersion()),
        "department": _REQUIRED_TEXT,
        "year": Field(_YEAR, required=True),
        "overall_goal": _TEXT,  # 部门整体绩效目标
        "section_goals": _TEXT,
        "measures": _TEXT,  # 保障措施
        "sections": Field(
            ListOf(Record({"name": _REQUIRED_TEXT, "duties": _TEXT}, what="一个科室（name、duties）"),
                   unique="name", unique_label="科室")
        ),
        "department_targets": Field(
            ListOf(Record({"name": _REQUIRED_TEXT, "target": _REQUIRED_TEXT}, what="一个部门整体指标（name、target）"))
        ),
        "projects": Field(ListOf(PROJECT, unique="code", unique_label="项目编码", non_empty=True), required=True),
    },
    what="一个映射（schema、department、year、projects …）",
)


# --- the workspace config (perfsheet.yaml) ------------------------------------------------------


def _thresholds_in_order(thresholds: Mapping[str, Any], report: Report) -> None:
    red = as_decimal(thresholds.get("budget_red", 60))
    yellow = as_decimal(thresholds.get("budget_yellow", 80))
    if red is not None and yellow is not None and not red < yellow:
        report(
            line_of(thresholds, "budget_red") or line_of(thresholds),
            f"预警阈值应满足 0 ≤ budget_red < budget_yellow ≤ 100，现为 budget_red {red}、budget_yellow {yellow}",
        )


# How perfsheet.yaml may name a light; the value is the rules' name.
# The lights that can ask for an explanation, by their Chinese label (perfsheet.labels) or rules' name.
LIGHT_BY_WORD = {**{LIGHT_LABELS[light]: light for light in ("red", "yellow")}, "red": "red", "yellow": "yellow"}
LIGHT_WORDS: tuple[str, ...] = tuple(LIGHT_BY_WORD)


@dataclass(frozen=True)
class DeviationCategories(Spec):
    """The 偏差原因 choices: texts, among them 无偏差 (what a chief picks when nothing deviates)."""

    def validate(self, value: Any, key: str, line: int | None, report: Report) -> None:
        ListOf(Text(), non_empty=True).validate(value, key, line, report)
        if not isinstance(value, list) or not value:
            return
        items = [str(c).strip() for c in value]
        if "无偏差" not in items:
            report(line, f"“{key}”须包含“无偏差”（没有偏差时的选项）")
        # They become an Excel drop-down list: no comma or quote inside an item, 255 characters in all.
        odd = [item for item in items if any(ch in item for ch in ",\"'")]
        if odd:
            report(line, f"“{key}”的选项不能含逗号或引号：{'、'.join(odd)}")
        if len(",".join(items)) > 255:
            report(line, f"“{key}”的选项合计超过 Excel 下拉列表的 255 个字符，请精简")


CONFIG = Record(
    {
        "schema": Field(SchemaVersion()),
        "department": _TEXT,
        "year": Field(_YEAR, required=True),
        "goals": _TEXT,  # the goals file, relative to the workspace
        "office": Field(
            Record({"name": _TEXT, "contact": _TEXT, "phone": _TEXT, "email": _TEXT},
                   what="一个映射（name、contact、phone、email 各占一行）")
        ),
        "deadline_day": Field(Integer(1, 28)),  # 每月报送期限：次月第几日
        "grace_days": Field(Integer(0, 60)),
        "thresholds": Field(
            Record(
                {"budget_red": Field(Number(Decimal(0), Decimal(100))),
                 "budget_yellow": Field(Number(Decimal(0), Decimal(100)))},
                what="一个映射（budget_red: 60 与 budget_yellow: 80 各占一行）",
                checks=(_thresholds_in_order,),
            )
        ),
        "sections": Field(
            ListOf(Record({"name": _REQUIRED_TEXT, "chief": _TEXT, "email": _TEXT}, what="一个科室（name、chief、email）"),
                   unique="name", unique_label="科室")
        ),
        "projects": Field(MapOf(Text(), Text(), what="“项目编码: 科室”的映射", key_label="项目编码")),
        # 部门整体目标 → 提供该目标数据的科室
        "overall_targets": Field(MapOf(Text(), Text(), what="“部门整体目标名称: 科室”的映射", key_label="部门整体目标")),
        "monitoring": Field(
            Record(
                {
                    # 填报指标完成情况的月份（其余月份只报预算执行）
                    "indicator_months": Field(ListOf(Integer(1, 12, what="月份（1–12）"), non_empty=True)),
                    # 偏差原因的可选项
                    "deviation_categories": Field(DeviationCategories()),
                    # 须填写预算执行偏差原因的预警灯
                    "budget_explanation_lights": Field(ListOf(OneOf(LIGHT_WORDS))),
                    "indicator_off_percent": Field(Number(Decimal(0), Decimal(1000), unit="%", percent=True)),
                    "zero_spend_after_month": Field(Integer(1, 12)),
                },
                what="一个映射（indicator_months、deviation_categories、budget_explanation_lights …）",
            )
        ),
        "report": Field(Record({"recipient": _TEXT}, what="一个映射（recipient: 区财政局）")),
        # 年终绩效自评：权重（预算执行率与各一级指标的分值）、定性得分比例、等级分数线、超目标须说明的比例
        "selfeval": Field(
            Record(
                {
                    "weights": Field(MapOf(Text(), Number(Decimal(0), Decimal(100)), what="“指标: 分值”的映射",
                                           key_label="指标", non_empty=True)),
                    "qualitative": Field(MapOf(OneOf(("达成", "部分达成", "未达成")),
                                               Number(Decimal(0), Decimal(100), unit="%", percent=True),
                                               what="“达成: 100%”的映射", key_label="定性结果")),
                    "grades": Field(MapOf(OneOf(("优", "良", "中", "差")), Number(Decimal(0), Decimal(100)),
                                          what="“优: 90”的映射", key_label="等级")),
                    "excess_percent": Field(Number(Decimal(100), Decimal(1000), unit="%", percent=True)),
                    # 办公室调整的得分：项目编码 → 指标序号 → {score: 得分, reason: 理由}
                    "overrides": Field(MapOf(Text(), MapOf(
                        Integer(1, 999, what="指标序号"),
                        Record({"score": Field(Number(Decimal(0), Decimal(100)), required=True), "reason": _TEXT},
                               what="一个映射（score: 得分, reason: 理由）"),
                        what="“指标序号: {score, reason}”的映射", key_label="指标序号"),
                        what="“项目编码: {指标序号: …}”的映射", key_label="项目编码")),
                },
                what="一个映射（weights、qualitative、grades、excess_percent、overrides）",
            )
        ),
    },
    what="一个映射（department、year、sections、projects …）",
)

