"""perfsheet.yaml and goals/<year>.yaml against their schema (perfsheet.goals.schema), and the bounded YAML
loader: a bad file is exit 2 with every problem as a Chinese file:line line, never a traceback."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from perfsheet.cli import main
from perfsheet.errors import RegistryError
from perfsheet.goals import registry
from perfsheet.goals.registry import MAX_DEPTH, load_goals_text
from perfsheet.workspace import Workspace, default_config, init_workspace


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return init_workspace(tmp_path / "ws")


def _show(ws: Workspace) -> Result:
    """A command that reads both files of the workspace: the config and the goals it names."""
    return CliRunner().invoke(main, ["goals", "show", "--workspace", str(ws.root)])


def _refused(result: Result, *places: str) -> str:
    """The message of a refused run: exit 2, no traceback, Chinese, naming every ``file:line`` given."""
    screen = result.output
    assert result.exit_code == 2, screen
    assert "Traceback" not in screen and not isinstance(result.exception, (RecursionError, MemoryError))
    assert re.search(r"[\u4e00-\u9fff]", screen)
    for place in places:
        assert place in screen, (place, screen)
    return screen


def _edit(path: Path, old: str, new: str) -> int:
    """Replace ``old`` (which must occur once) by ``new``; the line (1-based) where the edit starts."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def _line_of(path: Path, needle: str) -> int:
    text = path.read_text(encoding="utf-8")
    return text[: text.index(needle)].count("\n") + 1


_THRESHOLDS = "thresholds:\n  budget_red: 60\n  budget_yellow: 80\n"


# --- the shipped files --------------------------------------------------------------------------


def test_shipped_config_and_goals_load(ws: Workspace) -> None:
    config = default_config()
    assert config.year == 2025 and config.deadline_day == 10 and config.grace_days == 3
    assert (config.thresholds.budget_red, config.thresholds.budget_yellow) == (60, 80)
    assert config.office.contact == "王敏" and len(config.roster.sections) == 6
    assert len(registry.load_default().projects) == 9
    assert ws.config == config and ws.department.year == 2025
    result = _show(ws)
    assert result.exit_code == 0, result.output


# --- perfsheet.yaml: types ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("new", "words"),
    [
        ("thresholds: 60\n", "“thresholds”应为一个映射"),
        ("thresholds: [60, 80]\n", "“thresholds”应为一个映射"),
    ],
    ids=["number", "list"],
)
def test_thresholds_that_are_no_mapping(ws: Workspace, new: str, words: str) -> None:
    line = _edit(ws.config_path, _THRESHOLDS, new)
    screen = _refused(_show(ws), f"{ws.config_path}:{line}")
    assert words in screen


def test_office_as_a_string(ws: Workspace) -> None:
    old = "office:\n  name: 办公室\n  contact: 王敏\n  phone: 0315-0000000\n  email: bangongshi@lunan-sfj.example\n"
    line = _edit(ws.config_path, old, "office: 办公室\n")
    assert "“office”应为一个映射" in _refused(_show(ws), f"{ws.config_path}:{line}")


# --- perfsheet.yaml: ranges and rules -----------------------------------------------------------


def test_thresholds_out_of_range(ws: Workspace) -> None:
    line = _edit(ws.config_path, _THRESHOLDS, "thresholds:\n  budget_red: 150\n  budget_yellow: 200\n")
    screen = _refused(_show(ws), f"{ws.config_path}:{line + 1}", f"{ws.config_path}:{line + 2}")
    assert "“budget_red”应在 0–100 之间，现为 150" in screen
    assert "“budget_yellow”应在 0–100 之间，现为 200" in screen


@pytest.mark.parametrize(("red", "yellow"), [(80, 60), (70, 70)])
def test_thresholds_out_of_order(ws: Workspace, red: int, yellow: int) -> None:
    line = _edit(ws.config_path, _THRESHOLDS, f"thresholds:\n  budget_red: {red}\n  budget_yellow: {yellow}\n")
    screen = _refused(_show(ws), f"{ws.config_path}:{line + 1}")
    assert "0 ≤ budget_red < budget_yellow ≤ 100" in screen


@pytest.mark.parametrize("day", [0, 99])
def test_deadline_day_outside_1_to_28(ws: Workspace, day: int) -> None:
    line = _edit(ws.config_path, "deadline_day: 10\n", f"deadline_day: {day}\n")
    assert f"“deadline_day”应在 1–28 之间，现为 {day}" in _refused(_show(ws), f"{ws.config_path}:{line}")


def test_unknown_key_suggests_the_nearest(ws: Workspace) -> None:
    line = _edit(ws.config_path, "thresholds:\n", "threshold:\n")
    screen = _refused(_show(ws), f"{ws.config_path}:{line}")
    assert "未知的配置项“threshold”，是否应为“thresholds”？" in screen


def test_unknown_key_deeper_down(ws: Workspace) -> None:
    line = _edit(ws.config_path, "  budget_yellow: 80\n", "  budget_yelow: 80\n")
    assert "未知的配置项“budget_yelow”，是否应为“budget_yellow”？" in _refused(_show(ws), f"{ws.config_path}:{line}")


def test_duplicate_section_in_the_roster(ws: Workspace) -> None:
    line = _edit(ws.config_path, "  - name: 政治处\n", "  - name: 基层科\n")
    assert "科室“基层科”重复" in _refused(_show(ws), f"{ws.config_path}:{line}")


def test_duplicate_project_code_in_the_roster(ws: Workspace) -> None:
    first = _line_of(ws.config_path, "  13020225P008154100023:")
    line = _edit(ws.config_path, "  13020225P009079100015: 办公室", "  13020225P008154100023: 办公室")
    screen = _refused(_show(ws), f"{ws.config_path}:{line}")
    assert "键“13020225P008154100023”重复出现" in screen and f"第 {first} 行" in screen


def test_unknown_schema_version_of_the_config(ws: Workspace) -> None:
    line = _edit(ws.config_path, "schema: 1\n", "schema: 2\n")
    assert "不支持的文件格式版本 schema: 2（本程序支持的版本：1）" in _refused(_show(ws), f"{ws.config_path}:{line}")


def test_every_problem_of_the_config_at_once(ws: Workspace) -> None:
    lines = [
        _edit(ws.config_path, "schema: 1\n", "schema: 2\n"),
        _edit(ws.config_path, "deadline_day: 10\n", "deadline_day: 99\n"),
        _edit(ws.config_path, "thresholds:\n", "threshold:\n"),
        _edit(ws.config_path, "  - name: 政治处\n", "  - name: 基层科\n"),
    ]
    screen = _refused(_show(ws), *(f"{ws.config_path}:{line}:" for line in lines))
    assert "发现 4 处问题" in screen
    # One problem per line, in file order.
    found = [int(m) for m in re.findall(rf"{re.escape(str(ws.config_path))}:(\d+):", screen)]
    assert found == sorted(lines)


def test_missing_year_is_named(ws: Workspace) -> None:
    _edit(ws.config_path, "year: 2025\n", "")
    assert "缺少“year”" in _refused(_show(ws), f"{ws.config_path}:")


# --- goals/<year>.yaml ----------------------------------------------------------------------------


def test_goals_of_another_year_than_the_config(ws: Workspace) -> None:
    line = _edit(ws.goals_path, "year: 2025\n", "year: 2024\n")
    config_line = _line_of(ws.config_path, "year: 2025")
    screen = _refused(_show(ws), f"{ws.goals_path}:{line}", f"{ws.config_path}:{config_line}")
    assert "2024 年" in screen and "2025 年" in screen and "不一致" in screen


def test_unknown_schema_version_of_the_goals(ws: Workspace) -> None:
    line = _edit(ws.goals_path, "schema: 1\n", "schema: 2\n")
    assert "不支持的文件格式版本 schema: 2" in _refused(_show(ws), f"{ws.goals_path}:{line}")


def test_duplicate_project_codes_in_the_goals(ws: Workspace) -> None:
    line = _edit(ws.goals_path, "- code: 13020225P009080100019\n", "- code: 13020225P008925100021\n")
    assert "项目编码“13020225P008925100021”重复" in _refused(_show(ws), f"{ws.goals_path}:{line}")


def test_every_problem_of_the_goals_at_once(ws: Workspace) -> None:
    lines = [
        _edit(ws.goals_path, "schema: 1\n", "schema: 2\n"),
        _edit(ws.goals_path, "- name: 政治处\n", "- name: 基层科\n"),
        _edit(ws.goals_path, "  budget: 3.47\n", "  budgt: 3.47\n"),
        _edit(ws.goals_path, "- code: 13020225P009080100019\n", "- code: 13020225P008925100021\n"),
    ]
    screen = _refused(_show(ws), *(f"{ws.goals_path}:{line}:" for line in lines))
    assert "未知的配置项“budgt”，是否应为“budget”？" in screen and "缺少“budget”" in screen
    assert "发现 5 处问题" in screen  # the misspelt key, and so the missing budget, on one project


# --- the bounded loader ---------------------------------------------------------------------------

_BOMB = "\n".join(
    [
        'lol1: &lol1 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]',
        *(f"lol{n}: &lol{n} [{', '.join([f'*lol{n - 1}'] * 10)}]" for n in range(2, 10)),
    ]
) + "\n"


def _deep_list(depth: int) -> str:
    return "[" * depth + "]" * depth


def _deep_mapping(depth: int) -> str:
    return "{a: " * depth + "1" + "}" * depth


@pytest.mark.parametrize("which", ["config", "goals"])
@pytest.mark.parametrize(
    ("value", "words"),
    [(_deep_list(10_000), f"嵌套超过 {MAX_DEPTH} 层"), (_deep_mapping(10_000), f"嵌套超过 {MAX_DEPTH} 层")],
    ids=["list", "mapping"],
)
def test_deep_nesting_is_refused_without_recursion(ws: Workspace, which: str, value: str, words: str) -> None:
    path = ws.config_path if which == "config" else ws.goals_path
    text = path.read_text(encoding="utf-8")
    path.write_text(text + f"deep: {value}\n", encoding="utf-8")
    line = text.count("\n") + 1
    assert words in _refused(_show(ws), f"{path}:{line}")


@pytest.mark.parametrize("which", ["config", "goals"])
def test_alias_bomb_is_refused_before_it_expands(ws: Workspace, which: str) -> None:
    path = ws.config_path if which == "config" else ws.goals_path
    text = path.read_text(encoding="utf-8")
    path.write_text(text + _BOMB, encoding="utf-8")
    screen = _refused(_show(ws), f"{path}:")
    assert "别名炸弹" in screen


def test_many_aliases_are_refused() -> None:
    text = "a: &a 1\nb: [" + ", ".join(["*a"] * 101) + "]\n"
    with pytest.raises(RegistryError, match="别名（\\*）用了 100 次以上") as info:
        load_goals_text(text, "many.yaml")
    assert info.value.line == 2


def test_an_alias_inside_its_own_anchor_is_refused() -> None:
    with pytest.raises(RegistryError, match="指向了包含它自身的内容"):
        load_goals_text("a: &a [1, *a]\n", "self.yaml")


def test_the_bounds_leave_a_registry_alone() -> None:
    # A few aliases and a plausible depth are fine: only the schema speaks (here, about the missing keys).
    text = f"x: &x {_deep_list(MAX_DEPTH - 1)}\ny: [*x, *x]\n"
    with pytest.raises(RegistryError) as info:
        load_goals_text(text, "ok.yaml")
    assert "嵌套" not in str(info.value) and "别名" not in str(info.value) and "缺少“year”" in str(info.value)


def test_written_goals_hold_no_aliases(ws: Workspace) -> None:
    assert "&id" not in ws.goals_path.read_text(encoding="utf-8") and "*id" not in registry.dump_goals(ws.department)


# --- bytes that are no text -----------------------------------------------------------------------

_BINARIES = {
    # Every byte decodes as GB18030 (a PNG header, then GBK-shaped pairs): no decode error to catch.
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + b"\x81\x40\xfe\xfe" * 50,
    # Valid UTF-8 with controls: the start of a zip (an .xlsx saved under the wrong name).
    "zip": b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00[Content_Types].xml",
    # Neither UTF-8 nor GB18030.
    "undecodable": b"\xff\xfe\x00\x81\x30not text at all\x80",
}


@pytest.mark.parametrize("which", ["config", "goals"])
@pytest.mark.parametrize("kind", list(_BINARIES))
def test_binary_file_is_one_clear_line(ws: Workspace, which: str, kind: str) -> None:
    path = ws.config_path if which == "config" else ws.goals_path
    path.write_bytes(_BINARIES[kind])
    screen = _refused(_show(ws), str(path))
    assert "不是文本文件" in screen


def test_binary_names_the_line(ws: Workspace) -> None:
    ws.config_path.write_bytes(_BINARIES["png"])
    _refused(_show(ws), f"{ws.config_path}:2")  # the \x1a after the first line break


def test_gbk_config_is_still_text(ws: Workspace) -> None:
    text = ws.config_path.read_text(encoding="utf-8")
    ws.config_path.write_bytes(text.replace("\n", "\r\n").encode("gbk"))
    assert Workspace.open(ws.root).config == default_config()


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("  budget: 3.47\n", '  budget: "nan"\n', "“budget”应为数字（万元）"),
        ("  fiscal: 3.47\n", '  fiscal: "1e999999999"\n', "“fiscal”应为数字（万元）"),
        ("  fiscal: 3.47\n", "  fiscal: 1.0e+999999999\n", "过大或过小"),
        ("  fiscal: 3.47\n", f"  fiscal: {'9' * 5000}\n", "过长"),
        ("    3: 25\n", "    3: .nan\n", "无法识别的数字"),
        ("    3: 25\n", '    3: "nan%"\n', "“plan 中 3 的值”应为数字（%）"),
    ],
    ids=["nan", "huge-text", "huge-float", "long-int", "nan-float", "nan-percent"],
)
def test_numbers_that_are_no_amounts(ws: Workspace, old: str, new: str, words: str) -> None:
    text = ws.goals_path.read_text(encoding="utf-8")
    line = text[: text.index(old)].count("\n") + 1
    ws.goals_path.write_text(text.replace(old, new, 1), encoding="utf-8")
    assert words in _refused(_show(ws), f"{ws.goals_path}:{line}")


# --- monitoring rules and the report recipient ----------------------------------------------------


def test_monitoring_rules_are_read_from_the_config(ws: Workspace) -> None:
    config_path = ws.root / "perfsheet.yaml"
    _edit(config_path, "indicator_months: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]", "indicator_months: [6, 12]")
    _edit(config_path, "budget_explanation_lights: [红灯, 黄灯]", "budget_explanation_lights: [红灯]")
    _edit(config_path, "recipient: 区财政局", "recipient: 市财政局")
    rules = Workspace.open(ws.root).config.monitoring
    assert rules.indicator_months == frozenset({6, 12})
    assert rules.budget_explanation_lights == frozenset({"red"})
    assert Workspace.open(ws.root).config.report_recipient == "市财政局"
    from perfsheet.model import Period

    assert rules.asks_indicators(Period(2025, 6)) and not rules.asks_indicators(Period(2025, 5))


def test_bad_monitoring_rules_are_all_reported(ws: Workspace) -> None:
    config_path = ws.root / "perfsheet.yaml"
    months = _edit(config_path, "indicator_months: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]", "indicator_months: [6, 13]")
    lights = _edit(config_path, "budget_explanation_lights: [红灯, 黄灯]", "budget_explanation_lights: [紫灯]")
    deviation = _edit(config_path, "deviation_categories: [无偏差, 经费保障, 制度保障, 人员保障, 硬件条件保障, 其他]",
                      "deviation_categories: [经费保障, 其他]")
    screen = _refused(_show(ws), f"perfsheet.yaml:{months}", f"perfsheet.yaml:{lights}", f"perfsheet.yaml:{deviation}")
    assert "1–12" in screen and "红灯" in screen and "无偏差" in screen


def test_deviation_categories_must_fit_an_excel_drop_down(ws: Workspace) -> None:
    config_path = ws.root / "perfsheet.yaml"
    line = _edit(config_path, "deviation_categories: [无偏差, 经费保障, 制度保障, 人员保障, 硬件条件保障, 其他]",
                 'deviation_categories: [无偏差, "经费,保障", ' + ", ".join(f"类别{n:03d}" + "长" * 20 for n in range(12)) + "]")
    screen = _refused(_show(ws), f"perfsheet.yaml:{line}")
    assert "逗号或引号" in screen and "255" in screen


_SELFEVAL_SHARES = "  qualitative: {达成: 100%, 部分达成: 70%, 未达成: 30%}\n"


def test_selfeval_variant_weights_are_read(ws: Workspace) -> None:
    _edit(ws.config_path, "  weights: {预算执行率: 10, 产出指标: 50, 效益指标: 30, 满意度指标: 10}",
          "  weights: {预算执行率: 10, 成本指标: 10, 产出指标: 30, 效益指标: 25, 满意度指标: 5}")
    rules = Workspace.open(ws.root).config.selfeval
    assert rules.weights == {"预算执行率": 10, "成本指标": 10, "产出指标": 30, "效益指标": 25, "满意度指标": 5}


def test_selfeval_share_outside_its_band_is_refused(ws: Workspace) -> None:
    _edit(ws.config_path, _SELFEVAL_SHARES, "  qualitative: {达成: 50%, 部分达成: 70%, 未达成: 30%}\n")
    screen = _refused(_show(ws), str(ws.config_path))
    assert "定性“达成”的得分比例应在80%–100%之间" in screen


def test_selfeval_overrides_are_read(ws: Workspace) -> None:
    _edit(ws.config_path, "  excess_percent: 130%",
          "  overrides:\n    13020225P008925100021:\n      7: {score: 9.8, reason: 回访样本偏少}\n  excess_percent: 130%")
    config = Workspace.open(ws.root).config
    assert config.selfeval_overrides == {"13020225P008925100021": {7: (Decimal("9.8"), "回访样本偏少")}}
