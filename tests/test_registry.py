"""The goals registry: load/save round trip, validation messages with file:line, CLI exit codes."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from perfsheet.cli import main
from perfsheet.errors import RegistryError
from perfsheet.goals.registry import dump_goals, load_goals, load_goals_text, save_goals

GOOD = """\
schema: 1
department: 测试局
year: 2025
sections:
  - name: 办公室
projects:
  - code: P001
    name: 测试项目
    section: 办公室
    budget: 5.00
    fiscal: 5.00
    other: 0
    purpose: 保障工作
    goal: 1.保障工作
    plan: {3: 25, 6: 50, 10: 75, 12: 100}
    indicators:
      - level1: 产出指标
        level2: 数量指标
        name: 案件数量
        description: 办理案件数量
        target: ≥10件
        basis: 年初工作安排
      - level1: 效益指标
        level2: 社会效益指标
        name: 化解社会矛盾
        description: 化解社会矛盾
        target: 化解社会矛盾
        basis: 经验标准
"""


def test_good_file_loads_with_exact_money() -> None:
    dept = load_goals_text(GOOD, "good.yaml")
    project = dept.projects[0]
    assert project.budget == Decimal("5.00") and str(project.budget) == "5.00"
    assert [i.n for i in project.indicators] == [1, 2]
    assert project.plan_progress(6) == 50 and project.plan_progress(8) == Decimal("62.5")


def test_save_and_load_is_identity(tmp_path: Path) -> None:
    dept = load_goals_text(GOOD, "good.yaml")
    path = save_goals(dept, tmp_path / "goals.yaml")
    assert load_goals(path) == dept
    assert dump_goals(load_goals(path)) == path.read_text(encoding="utf-8")


def test_default_registry_round_trips(default_department, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    path = save_goals(default_department, tmp_path / "2025.yaml")
    again = load_goals(path)
    # Sections' chiefs/emails come from the roster, not the goals file.
    stripped = replace(default_department, sections=tuple(replace(s, chief="", email="") for s in default_department.sections))
    assert again.projects == stripped.projects
    assert again.sections == tuple(s for s in stripped.sections if s.duties or s in again.sections)


@pytest.mark.parametrize(
    ("edit", "line", "words"),
    [
        (("    fiscal: 5.00\n", "    fiscal: 4.00\n"), 10, "不等于财政资金"),
        (("plan: {3: 25, 6: 50, 10: 75, 12: 100}", "plan: {3: 25, 6: 50, 10: 75, 12: 90}"), 15, "100%"),
        (("    section: 办公室\n", "    section: 不存在科\n"), 9, "不在 sections"),
        (("target: ≥10件", "target: ≥十件"), 21, "没有可识别的数字"),
    ],
)
def test_bad_files_name_the_line(edit: tuple[str, str], line: int, words: str) -> None:
    text = GOOD.replace(*edit)
    assert text != GOOD
    with pytest.raises(RegistryError) as info:
        load_goals_text(text, "bad.yaml")
    assert words in str(info.value)
    assert f"bad.yaml:{line}" in str(info.value)


def test_duplicate_project_code_names_the_second_one() -> None:
    block = GOOD[GOOD.index("  - code: P001") :]
    text = GOOD + block
    line = GOOD.count("\n") + 1
    with pytest.raises(RegistryError) as info:
        load_goals_text(text, "dup.yaml")
    assert f"dup.yaml:{line}: 项目编码“P001”重复" in str(info.value)


def test_yaml_syntax_error_names_the_line() -> None:
    with pytest.raises(RegistryError) as info:
        load_goals_text(GOOD.replace("year: 2025", "year: [2025"), "bad.yaml")
    assert "bad.yaml:" in str(info.value) and "格式错误" in str(info.value)


def test_cli_bad_registry_exits_2_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("    fiscal: 5.00\n", "    fiscal: 4.00\n"), encoding="utf-8")
    result = CliRunner().invoke(main, ["goals", "show", "--goals", str(bad)])
    assert result.exit_code == 2
    assert "不等于财政资金" in result.output and f"{bad}:10" in result.output
    assert "Traceback" not in result.output


def test_gbk_goals_file_is_read_and_binary_is_one_clear_line(tmp_path: Path) -> None:
    # Windows Notepad saves "ANSI" (GBK) on Chinese Windows: read as GB18030, not refused.
    gbk = tmp_path / "gbk.yaml"
    gbk.write_bytes(GOOD.replace("\n", "\r\n").encode("gbk"))
    assert load_goals(gbk) == load_goals_text(GOOD)
    bad = tmp_path / "binary.yaml"
    bad.write_bytes(b"\xff\xfe\x00\x81\x30not text at all\x80")
    result = CliRunner().invoke(main, ["goals", "show", "--goals", str(bad)])
    assert result.exit_code == 2 and "不是文本文件" in result.output and "Traceback" not in result.output


def test_part_one_texts_are_checked_like_every_field() -> None:
    # A list where text belongs is a problem, reported with the others rather than loaded as "".
    text = GOOD.replace("year: 2025\n", "year: 2025\noverall_goal: [not, text]\nmeasures: {a: 1}\n")
    with pytest.raises(RegistryError) as info:
        load_goals_text(text, "bad.yaml")
    message = str(info.value)
    assert "发现 2 处问题" in message
    assert "bad.yaml:4: “overall_goal”应为文字" in message and "bad.yaml:5: “measures”应为文字" in message
