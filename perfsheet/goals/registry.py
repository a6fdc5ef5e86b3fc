"""The goals registry: one human-editable YAML file per year, and the embedded 2025 default.

The registry is the first stage of the pipeline: everything downstream (templates, checks,
consolidation, narrative) reads the year's projects and indicators from a :class:`Department` loaded
here. The loader validates the file against :data:`perfsheet.goals.schema.GOALS` (then the rules
across fields) and reports every problem with the file and line a person must edit; it never shows a
traceback for a bad file. The YAML reader is bounded (nesting, aliases, size), so a hostile or broken
file is refused before it is built.

Money is read as Decimal exactly as written ("5.00" stays ``Decimal("5.00")``): YAML floats are
constructed from their source text, never through binary floats.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from perfsheet.errors import RegistryError
from perfsheet.fsutil import os_error_text, read_text_file, write_text_atomic
from perfsheet.goals.schema import (
    CONFIG,
    GOALS,
    SCHEMA_VERSION,
    LineMap,
    Problems,
    as_decimal,
    as_int,
    check,
    line_of,
)
from perfsheet.model import (
    OVERALL_CODE,
    Department,
    DepartmentTarget,
    Indicator,
    PlanPoint,
    Project,
    Section,
    Target,
)
from perfsheet.targets import TargetParseError, format_value, parse_target

__all__ = [
    "SCHEMA_VERSION",
    "Roster",
    "apply_roster",
    "build_roster",
    "check_department",
    "default_roster",
    "dump_goals",
    "goals_to_dict",
    "key_line",
    "load_default",
    "load_goals",
    "load_goals_text",
    "parse_roster",
    "read_edited_text",
    "save_goals",
    "unknown_targets",
]

DEFAULT_GOALS = "goals-2025.yaml"
DEFAULT_CONFIG = "perfsheet.yaml"


# --- YAML with line numbers and exact decimals -------------------------------------------------


# A file a person edits is small; these bounds refuse hostile or broken YAML before it is built (an
# alias bomb would expand to gigabytes, a 10,000-deep "[[[[…" would exhaust Python's recursion limit).
MAX_YAML_BYTES = 10 * 1024 * 1024
MAX_DEPTH = 50  # nesting of lists and mappings; the registry needs 5
MAX_ALIASES = 100  # uses of "*anchor"; perfsheet itself never writes one
MAX_NODES = 1_000_000  # values in the document with every alias expanded

_Map = LineMap


class _Bounds(yaml.composer.Composer):
    """Bounds on nesting and aliases, checked while the document is composed (before any Python object
    exists), and duplicate keys collected rather than kept silently; mixed into both loaders below."""

    def _start_bounds(self) -> None:
        self.depth = 0
        self.alias_uses = 0
        self.nodes = 0  # values so far, aliases expanded
        self.anchor_sizes: dict[str, int] = {}
        self.open_anchors: set[str] = set()
        self.duplicates: list[tuple[int, str]] = []

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[attr-defined]  # the parser half of each loader
        line = event.start_mark.line + 1 if event.start_mark else 0
        if isinstance(event, yaml.AliasEvent):
            self.alias_uses += 1
            if self.alias_uses > MAX_ALIASES:
                raise _LoadProblem(f"别名（*）用了 {MAX_ALIASES} 次以上；请把内容直接写出来，不要用锚点和别名", line)
            if event.anchor in self.open_anchors:
                raise _LoadProblem(f"别名“*{event.anchor}”指向了包含它自身的内容", line)
            node = super().compose_node(parent, index)
            self._count(self.anchor_sizes.get(str(event.anchor), 1), line)
            return node
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _LoadProblem(f"嵌套超过 {MAX_DEPTH} 层；请检查括号“[”“{{”是否成对、缩进是否正确", line)
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            self.open_anchors.add(anchor)
        before = self.nodes
        try:
            node = super().compose_node(parent, index)
        finally:
            self.depth -= 1
            if anchor is not None:
                self.open_anchors.discard(anchor)
        self._count(1, line)
        if anchor is not None:
            self.anchor_sizes[anchor] = self.nodes - before
        return node

    def _count(self, size: int, line: int) -> None:
        self.nodes += size
        if self.nodes > MAX_NODES:
            raise _LoadProblem(f"展开别名（*）后内容超过 {MAX_NODES} 项，文件过大或含有“别名炸弹”；请把内容直接写出来", line)


class _Loader(_Bounds, yaml.SafeLoader):
    """PyYAML's safe loader, pure Python, with the bounds: its messages are the ones a person gets."""

    def __init__(self, stream: str) -> None:
        yaml.SafeLoader.__init__(self, stream)
        self._start_bounds()


_CParser: Any
try:
    from yaml._yaml import CParser as _CParser  # libyaml's scanner and parser, ~6× faster on the registry
except ImportError:  # PyYAML built without libyaml
    _CParser = None


if _CParser is not None:

    class _FastLoader(_Bounds, _CParser, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):  # type: ignore[misc]
        """libyaml's events composed by the same bounded Python composer (_Bounds comes first, so
        CParser's own C composer is never used): the same document, the same limits."""

        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            self._start_bounds()


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> _Map:
    loader.flatten_mapping(node)
    result = _Map()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, (dict, list)):
            raise _LoadProblem("键不能是列表或映射；请检查这一行的冒号和括号", key_node.start_mark.line + 1)
        key = str(key)
        line = key_node.start_mark.line + 1
        if key in result:
            loader.duplicates.append((line, f"键“{key}”重复出现（第一次在第 {result.key_lines[key]} 行）"))
            continue
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = line
    return result


MAX_NUMBER_DIGITS = 30  # no amount, year or percentage is longer; a longer one only costs time to convert


def _construct_float(loader: _Loader, node: yaml.ScalarNode) -> Decimal:
    text = str(loader.construct_scalar(node)).replace("_", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise _LoadProblem(f"无法识别的数字“{text[:30]}”", node.start_mark.line + 1) from None
    if number.is_finite() and abs(number.adjusted()) > MAX_NUMBER_DIGITS:
        raise _LoadProblem(f"数字“{text[:30]}”过大或过小", node.start_mark.line + 1)
    return number


def _construct_int(loader: _Loader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    if len(text.replace("_", "")) > MAX_NUMBER_DIGITS + 2:
        raise _LoadProblem(f"数字“{text[:30]}…”过长", node.start_mark.line + 1)
    return int(yaml.SafeLoader.construct_yaml_int(loader, node))


_LOADERS: list[Any] = [_Loader] + ([_FastLoader] if _CParser is not None else [])
for _loader_class in _LOADERS:
    _loader_class.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    _loader_class.add_constructor("tag:yaml.org,2002:float", _construct_float)
    _loader_class.add_constructor("tag:yaml.org,2002:int", _construct_int)
    # Dates and timestamps stay strings: nothing in a registry is a date, and "2025-06" must not change.
    _loader_class.yaml_implicit_resolvers = {
        k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
        for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


class _LoadProblem(Exception):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message, self.line = message, line


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True  # never write "&id001"/"*id001": a person edits this file, and the reader limits aliases


def _represent_decimal(dumper: _Dumper, value: Decimal) -> yaml.ScalarNode:
    text = format_value(value)
    if "." not in text:
        return dumper.represent_scalar("tag:yaml.org,2002:int", text)
    return dumper.represent_scalar("tag:yaml.org,2002:float", text)


def _represent_str(dumper: _Dumper, value: str) -> yaml.ScalarNode:
    # Long or multi-line text as a literal block, so the file stays readable and diffable.
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(Decimal, _represent_decimal)
_Dumper.add_representer(str, _represent_str)


def _read_yaml(text: str, path: str, problems: Problems | None = None) -> Any:
    """The document in ``text``, bounded (see :class:`_Loader`). Duplicate keys go to ``problems`` when
    given (so they are reported with the schema's findings), else are raised at once.

    libyaml reads it when PyYAML has it; a document libyaml refuses is read again by the pure-Python
    loader, so every problem is worded the one way a person learns (and bounds hit either way are
    the same bounds)."""
    if _CParser is not None:
        fast = _FastLoader(text)
        try:
            data = fast.get_single_data()
        except (yaml.YAMLError, _LoadProblem):
            pass  # read again below for the messages
        else:
            return _finish_read(fast, data, path, problems)
        finally:
            fast.dispose()
    loader = _Loader(text)
    try:
        data = loader.get_single_data()
    except _LoadProblem as exc:
        raise RegistryError(exc.message, path, exc.line) from None
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise RegistryError(f"格式错误：{_yaml_problem(exc.problem or str(exc))}", path, line) from None
    except yaml.YAMLError:
        raise RegistryError("格式错误：文件不是有效的 YAML；请检查缩进、冒号和引号", path) from None
    finally:
        loader.dispose()
    return _finish_read(loader, data, path, problems)


def _finish_read(loader: _Bounds, data: Any, path: str, problems: Problems | None) -> Any:
    if loader.duplicates:
        collected = problems if problems is not None else Problems(path)
        for line, message in loader.duplicates:
            collected.add_schema(line, message)
        if problems is None:
            collected.raise_if_any()
    return data


# What YAML's English problems mean for a person who edits the file in Notepad.
_YAML_PROBLEMS: tuple[tuple[str, str], ...] = (
    ("found character '\\t'", "含有制表符（Tab）；YAML 只能用空格缩进，请把 Tab 换成空格"),
    ("mapping values are not allowed", "冒号用错了：“键: 值”的冒号后要有空格，值里含冒号时请用引号括起来"),
    ("could not find expected ':'", "缺少冒号：每一行应写成“键: 值”"),
    ("found unexpected end of stream", "引号或括号没有闭合"),
    ("did not find expected key", "缩进不一致：同一层的各行应对齐"),
    ("found undefined alias", "使用了未定义的别名（*）"),
    ("expected <block end>", "缩进不一致：同一层的各行应对齐"),
    ("found duplicate anchor", "重复的锚点（&）"),
)


def _yaml_problem(problem: str) -> str:
    for english, chinese in _YAML_PROBLEMS:
        if english in problem:
            return chinese
    return "不是有效的 YAML；请检查缩进（只用空格）、冒号（后面加空格）和引号是否成对"


# --- validation ---------------------------------------------------------------------------------


_Problems = Problems
_line = line_of


def _items(m: Mapping[str, Any], key: str) -> list[Any]:
    """The list under ``key``, or [] when it is absent or not a list (the schema reports that)."""
    value = m.get(key)
    return value if isinstance(value, list) else []


def _text(m: Mapping[str, Any], key: str, problems: _Problems, *, required: bool = True) -> str:
    value = m.get(key)
    if value is None:
        if required:
            problems.add(_line(m), f"缺少“{key}”")
        return ""
    if isinstance(value, (dict, list)):
        problems.add(_line(m, key), f"“{key}”应为文字")
        return ""
    return str(value) if not isinstance(value, Decimal) else format_value(value)


def _money(m: Mapping[str, Any], key: str, problems: _Problems, *, default: Decimal | None = None) -> Decimal:
    value = m.get(key)
    if value is None or value == "":
        if default is not None:
            return default
        problems.add(_line(m), f"缺少金额“{key}”（单位：万元）")
        return Decimal(0)
    amount = as_decimal(value)  # None for text, NaN, infinity and absurd exponents alike
    if amount is None:
        problems.add(_line(m, key), f"“{key}”应为数字（万元），现为“{value}”")
        return Decimal(0)
    if amount < 0:
        problems.add(_line(m, key), f"“{key}”不能为负数")
    return amount


def _target(m: Mapping[str, Any], key: str, problems: _Problems) -> Target:
    raw = _text(m, key, problems)
    try:
        return parse_target(raw)
    except TargetParseError as exc:
        problems.add(_line(m, key), str(exc))
        return Target(raw=raw, op=parse_target("定性").op)


def _plan(m: Mapping[str, Any], problems: _Problems, where: str) -> tuple[PlanPoint, ...]:
    raw = m.get("plan")
    if not isinstance(raw, Mapping) or not raw:
        problems.add(_line(m, "plan"), f"{where}缺少资金支出计划“plan”（例如 {{3: 25, 6: 50, 10: 75, 12: 100}}）")
        return ()
    points: list[PlanPoint] = []
    for month_text, pct in raw.items():
        month, percent = as_int(month_text), as_decimal(pct, percent=True)
        if month is None or percent is None:
            problems.add(_line(raw, str(month_text)), f"{where}支出计划“{month_text}: {pct}”应为“月份: 百分比”")
            continue
        if not 1 <= month <= 12:
            problems.add(_line(raw, str(month_text)), f"{where}支出计划的月份 {month} 不在 1–12 之间")
        points.append(PlanPoint(month, percent))
    points.sort(key=lambda p: p.month)
    for before, after in itertools.pairwise(points):
        if after.percent < before.percent:
            problems.add(_line(raw), f"{where}支出计划应逐月递增：{after.month}月 {after.percent}% 小于 {before.month}月 {before.percent}%")
    if points and (points[-1].percent != 100 or points[-1].month != 12):
        problems.add(_line(raw), f"{where}支出计划应在 12 月底达到 100%，现为 {points[-1].month}月 {format_value(points[-1].percent)}%")
    return tuple(points)


def _department_from_data(data: Any, path: str) -> Department:
    return _department(data, _Problems(path))


def _department(data: Any, problems: Problems) -> Department:
    if not isinstance(data, Mapping):
        raise RegistryError("文件内容应为一个映射（department、year、projects …）", problems.path, 1)
    check(data, GOALS, problems)
    name = _text(data, "department", problems)
    year_value = data.get("year")
    try:
        year = int(str(year_value))
    except ValueError:
        problems.add(_line(data, "year"), f"年度“year”应为四位数字，现为“{year_value}”")
        year = 0
    sections = _sections(data, problems)
    dept_targets = tuple(
        DepartmentTarget(_text(item, "name", problems), _target(item, "target", problems))
        for item in _items(data, "department_targets")
        if isinstance(item, Mapping)
    )
    projects = _projects(data, {s.name for s in sections}, problems)
    # Every field is read before the problems are raised, so none found after the first is lost.
    overall_goal = _text(data, "overall_goal", problems, required=False)
    section_goals = _text(data, "section_goals", problems, required=False)
    measures = _text(data, "measures", problems, required=False)
    problems.raise_if_any()
    return Department(
        name=name,
        year=year,
        sections=sections,
        projects=projects,
        overall_goal=overall_goal,
        section_goals=section_goals,
        measures=measures,
        department_targets=dept_targets,
    )


def _sections(data: Mapping[str, Any], problems: _Problems) -> tuple[Section, ...]:
    sections: list[Section] = []
    for item in _items(data, "sections"):
        if not isinstance(item, Mapping):
            problems.add(_line(data, "sections"), "sections 的每一项应包含 name")
            continue
        # A duplicate name is the schema's to report (GOALS: sections are unique by name).
        sections.append(Section(name=_text(item, "name", problems), duties=_text(item, "duties", problems, required=False)))
    return tuple(sections)


def _projects(data: Mapping[str, Any], section_names: set[str], problems: _Problems) -> tuple[Project, ...]:
    projects: list[Project] = []
    raw_projects = data.get("projects")
    if not isinstance(raw_projects, list) or not raw_projects:
        problems.add(_line(data, "projects"), "缺少项目列表“projects”")
        raw_projects = []
    for item in raw_projects:
        if not isinstance(item, Mapping):
            problems.add(_line(data, "projects"), "projects 的每一项应为一个项目")
            continue
        projects.append(_project(item, section_names, problems))  # duplicate codes: the schema reports them
    return tuple(projects)


def _project(item: Mapping[str, Any], section_names: set[str], problems: _Problems) -> Project:
    code = _text(item, "code", problems)
    where = f"项目 {code} " if code else "项目"
    budget = _money(item, "budget", problems)
    fiscal = _money(item, "fiscal", problems, default=budget)
    other = _money(item, "other", problems, default=Decimal(0))
    if fiscal + other != budget:
        problems.add(
            _line(item, "budget"),
            f"{where}预算数 {format_value(budget)} 万元不等于财政资金 {format_value(fiscal)} + 其他资金 {format_value(other)}",
        )
    section = item.get("section")
    if section is not None and section_names and str(section) not in section_names:
        problems.add(_line(item, "section"), f"{where}的责任科室“{section}”不在 sections 中")
    indicators = _indicators(item, problems, where)  # problems stay in file order: indicators, then the rest
    return Project(
        code=code,
        name=_text(item, "name", problems),
        budget=budget,
        fiscal=fiscal,
        other=other,
        purpose=_text(item, "purpose", problems, required=False),
        goal=_text(item, "goal", problems, required=False),
        plan=_plan(item, problems, where),
        indicators=indicators,
        section=str(section) if section is not None else None,
    )


def _indicators(item: Mapping[str, Any], problems: _Problems, where: str) -> tuple[Indicator, ...]:
    indicators: list[Indicator] = []
    raw_indicators = item.get("indicators")
    if not isinstance(raw_indicators, list) or not raw_indicators:
        problems.add(_line(item), f"{where}缺少绩效指标“indicators”")
        raw_indicators = []
    for n, ind in enumerate(raw_indicators, start=1):
        if not isinstance(ind, Mapping):
            problems.add(_line(item, "indicators"), f"{where}第 {n} 个指标格式不对")
            continue
        indicators.append(
            Indicator(
                n=n,
                level1=_text(ind, "level1", problems),
                level2=_text(ind, "level2", problems),
                name=_text(ind, "name", problems),
                description=_text(ind, "description", problems, required=False),
                target=_target(ind, "target", problems),
                basis=_text(ind, "basis", problems, required=False),
                weight=as_decimal(ind.get("weight")),  # range and decimals checked by the schema
            )
        )
    return tuple(indicators)


# --- public API ---------------------------------------------------------------------------------


def load_goals_text(text: str, path: str = "<goals>") -> Department:
    """Load a registry from YAML text; raises :class:`RegistryError` naming the line."""
    problems = Problems(path)
    return _department(_read_yaml(text, path, problems), problems)


def check_department(department: Department, path: str = "<goals>") -> Department:
    """Check a Department built elsewhere (an import) by the rules of the goals file, without writing YAML;
    returns the Department the loader would build from it. Raises :class:`RegistryError` as the loader does."""
    return _department_from_data(goals_to_dict(department), path)


def load_goals(path: str | Path) -> Department:
    """Load and validate a goals registry file (UTF-8 YAML)."""
    p = Path(path)
    return load_goals_text(read_edited_text(p, "目标文件"), str(p))


def read_edited_text(path: Path, what: str) -> str:
    """A YAML file a person edits (UTF-8, or GB18030 as Windows Notepad saves it); one Chinese line when
    it cannot be read."""
    try:
        if path.is_file() and path.stat().st_size > MAX_YAML_BYTES:
            raise RegistryError(f"{what}过大（超过 {MAX_YAML_BYTES // (1024 * 1024)} MB），不像是手工编辑的 YAML 文件", path)
        text = read_text_file(path)
    except UnicodeDecodeError:
        raise RegistryError(f"{what}不是文本文件（既不是 UTF-8 也不是 GBK 编码）；请用记事本另存为 UTF-8", path) from None
    except FileNotFoundError:
        raise RegistryError(f"找不到{what}", path) from None
    except OSError as exc:
        raise RegistryError(f"无法读取{what}：{os_error_text(exc)}", path) from None
    binary = _first_binary_line(text)
    if binary is not None:
        raise RegistryError(
            f"{what}不是文本文件（含有控制字符或乱码，可能是二进制文件或已损坏）；请用记事本打开检查，并另存为 UTF-8",
            path,
            binary,
        )
    return text


# Characters no hand-edited YAML holds: C0/C1 controls other than tab and line breaks, DEL, and the
# private-use area (where GB18030 puts the byte pairs binary data decodes to).
_BINARY = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ue000-\uf8ff\ufffd\ufffe\uffff]")


def _first_binary_line(text: str) -> int | None:
    """The line (1-based) of the first character that shows ``text`` is no text file, or None."""
    found = _BINARY.search(text)
    return text.count("\n", 0, found.start()) + 1 if found else None


def key_line(path: str | Path, key: str) -> int | None:
    """The line of a top-level ``key`` in a YAML file (for a message about a file already loaded)."""
    try:
        data = _read_yaml(read_edited_text(Path(path), "文件"), str(path))
    except RegistryError:
        return None
    return _line(data, key) if isinstance(data, Mapping) else None


def goals_to_dict(department: Department) -> dict[str, Any]:
    """The registry as plain data in file order (Decimals kept)."""
    data: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "department": department.name,
        "year": department.year,
    }
    if department.overall_goal:
        data["overall_goal"] = department.overall_goal
    if department.section_goals:
        data["section_goals"] = department.section_goals
    if department.measures:
        data["measures"] = department.measures
    data["sections"] = [
        {"name": s.name, **({"duties": s.duties} if s.duties else {})} for s in department.sections
    ]
    if department.department_targets:
        data["department_targets"] = [{"name": t.name, "target": t.target.raw} for t in department.department_targets]
    data["projects"] = [
        {
            "code": p.code,
            "name": p.name,
            **({"section": p.section} if p.section else {}),
            "budget": p.budget,
            "fiscal": p.fiscal,
            "other": p.other,
            "purpose": p.purpose,
            "goal": p.goal,
            "plan": {pt.month: pt.percent for pt in p.plan},
            "indicators": [
                {
                    "level1": i.level1,
                    "level2": i.level2,
                    "name": i.name,
                    "description": i.description,
                    "target": i.target.raw,
                    "basis": i.basis,
                    **({"weight": i.weight} if i.weight is not None else {}),
                }
                for i in p.indicators
            ],
        }
        for p in department.projects
    ]
    return data


def dump_goals(department: Department) -> str:
    """The registry as YAML text (deterministic, human-editable)."""
    header = (
        f"# {department.year}年 {department.name} 预算绩效目标（perfsheet 目标登记表）\n"
        "# 金额单位：万元；plan 为各月底累计支出计划（%）；target 为指标值原文。\n"
    )
    body = yaml.dump(goals_to_dict(department), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
    return header + body


def save_goals(department: Department, path: str | Path) -> Path:
    """Write the registry atomically."""
    return write_text_atomic(Path(path), dump_goals(department))


# --- roster: who owns which project ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Roster:
    """Section chiefs and the project → section assignment (from ``perfsheet.yaml``)."""

    sections: tuple[Section, ...]
    project_sections: Mapping[str, str]
    target_sections: Mapping[str, str] = field(default_factory=dict)  # 部门整体目标 → 科室


def parse_roster(data: Mapping[str, Any], path: str) -> Roster:
    """The roster of a workspace config, after checking the whole config against its schema."""
    problems = Problems(path)
    check(data, CONFIG, problems, what="配置文件内容")
    roster = build_roster(data, problems)
    problems.raise_if_any()
    return roster


def build_roster(data: Mapping[str, Any], problems: Problems) -> Roster:
    """The roster part of a config whose schema problems are already in ``problems``; adds what the
    schema cannot see (a project assigned to a section the roster lacks)."""
    sections: list[Section] = []
    for item in _items(data, "sections"):
        if not isinstance(item, Mapping):
            problems.add(_line(data, "sections"), "sections 的每一项应包含 name、chief、email")
            continue
        sections.append(
            Section(
                name=_text(item, "name", problems),
                chief=_text(item, "chief", problems, required=False),
                email=_text(item, "email", problems, required=False),
            )
        )
    names = {s.name for s in sections}
    assignment: dict[str, str] = {}
    raw = data.get("projects") or {}
    if not isinstance(raw, Mapping):
        problems.add(_line(data, "projects"), "projects 应为“项目编码: 科室”的映射")
        raw = {}
    for code, section in raw.items():
        if names and str(section) not in names:
            problems.add(_line(raw, str(code)), f"项目 {code} 的科室“{section}”不在 sections 中")
        assignment[str(code)] = str(section)
    providers: dict[str, str] = {}
    raw_targets = data.get("overall_targets") or {}
    for target, section in (raw_targets.items() if isinstance(raw_targets, Mapping) else ()):
        if names and str(section) not in names:
            problems.add(_line(raw_targets, str(target)), f"部门整体目标“{target}”的科室“{section}”不在 sections 中")
        providers[str(target)] = str(section)
    return Roster(tuple(sections), assignment, providers)


def apply_roster(department: Department, roster: Roster) -> Department:
    """Merge chiefs/emails into the sections and assign each project its section."""
    by_name = {s.name: s for s in roster.sections}
    sections = [
        replace(s, chief=by_name[s.name].chief, email=by_name[s.name].email) if s.name in by_name else s
        for s in department.sections
    ]
    known = {s.name for s in sections}
    sections.extend(s for s in roster.sections if s.name not in known)
    projects = tuple(replace(p, section=roster.project_sections.get(p.code, p.section)) for p in department.projects)
    # "部门整体: 科室" in the same mapping says who fills the 部门整体 form (default 办公室).
    overall = roster.project_sections.get(OVERALL_CODE, department.overall_section)
    providers = tuple((t.name, roster.target_sections[t.name]) for t in department.department_targets
                      if t.name in roster.target_sections)
    return replace(department, sections=tuple(sections), projects=projects, overall_section=overall,
                   target_sections=providers)


def unknown_targets(department: Department, roster: Roster) -> list[str]:
    """Names in the roster's ``overall_targets`` that are no department-wide target of the goals."""
    known = {t.name for t in department.department_targets}
    return [name for name in roster.target_sections if name not in known]


def _data_text(name: str) -> str:
    return resources.files("perfsheet").joinpath("data", name).read_text(encoding="utf-8")


def default_roster() -> Roster:
    data = _read_yaml(_data_text(DEFAULT_CONFIG), f"perfsheet/data/{DEFAULT_CONFIG}")
    return parse_roster(data, f"perfsheet/data/{DEFAULT_CONFIG}")


def default_config_text() -> str:
    return _data_text(DEFAULT_CONFIG)


def default_goals_text() -> str:
    return _data_text(DEFAULT_GOALS)


def load_default() -> Department:
    """The embedded 2025 registry of 路南区司法局 with its default roster."""
    department = load_goals_text(default_goals_text(), f"perfsheet/data/{DEFAULT_GOALS}")
    return apply_roster(department, default_roster())
