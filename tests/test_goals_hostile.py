"""No input makes ``perfsheet goals import`` show a traceback: the hostile corpus of returns (zip bombs,
entity bombs, encrypted, truncated and renamed files) and hostile goals documents of every type."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import REPO

from perfsheet.cli import main

HOSTILE = REPO / "tests" / "data" / "hostile"


def _import(path: Path) -> Result:
    return CliRunner().invoke(main, ["goals", "import", str(path)])


def _one_chinese_failure(result: Result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert result.exit_code in (1, 2)
    assert re.search(r"[\u4e00-\u9fff]", result.output)


@pytest.mark.parametrize("name", sorted(p.name for p in HOSTILE.iterdir()))
def test_hostile_corpus(name: str) -> None:
    result = _import(HOSTILE / name)
    _one_chinese_failure(result)
    assert result.exit_code == 2  # none of them holds a goals table


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


HOSTILE_DOCUMENTS: dict[str, bytes] = {
    "binary.txt": b"\x00\x01\x02PK\x03\x04" * 100,
    "not-utf8.md": "项目名称|资金".encode("utf-16"),
    "huge-span.html": b'<table><tr><td rowspan="999999999" colspan="999999999">x</td></tr></table>',
    "deep.html": b"<table><tr><td>" * 3000,
    "unclosed.html": "<table><tr><td>一级指标<td>二级指标<td>三级指标<td>指标值<tr><td>产出指标".encode(),
    "script.html": b"<script>alert(1)</script><table><tr><td>&#0;&#xffffffff;</td></tr></table>",
    "header-only.txt": "\t一级指标\n\t二级指标\n\t三级指标\n\t指标值\n".encode(),
    "no-header.md": "| 项目名称 | X |\n| --- | --- |\n| 资金总额 | 五十 |\n".encode(),
    "fake.docx": b"PK\x03\x04" + b"\x00" * 200,
    "fake.xls": b"\xd0\xcf\x11\xe0" + b"\x00" * 600,
    "empty.xlsx": b"",
    "empty.txt": b"",
}


@pytest.mark.parametrize("name", sorted(HOSTILE_DOCUMENTS))
def test_hostile_goals_documents(name: str, tmp_path: Path) -> None:
    _one_chinese_failure(_import(_write(tmp_path, name, HOSTILE_DOCUMENTS[name])))


def test_a_project_with_only_placeholders_is_said_not_crashed(tmp_path: Path) -> None:
    text = "| 项目名称 | 空表 |\n| --- | --- |\n| 一级指标 | 二级指标 | 三级指标 | 指标值 |\n| 产出指标 | 数量指标 | …… | |\n"
    result = _import(_write(tmp_path, "空表.md", text.encode()))
    _one_chinese_failure(result)
    assert result.exit_code == 2 and "空表" in result.output and "没有找到绩效指标" in result.output


# --- mangled documents: any damage gives a registry with problems or one Chinese error -------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from perfsheet.errors import GoalsDocumentError  # noqa: E402
from perfsheet.goals.cells import text_blocks  # noqa: E402
from perfsheet.goals.document import interpret  # noqa: E402

CORPUS_TEXTS = [
    (REPO / "tests" / "data" / "goals-document-2025.txt").read_text(encoding="utf-8"),
    (REPO / "tests" / "data" / "goals" / "henan-health-2022.md").read_text(encoding="utf-8"),
    (REPO / "tests" / "data" / "goals" / "zhejiang-transport-2020.txt").read_text(encoding="utf-8"),
]
_damage = st.lists(
    st.tuples(
        st.sampled_from(["delete", "duplicate", "swap", "blank", "replace"]),
        st.integers(0, 10_000),
        st.sampled_from(["", "\t", "| 项目名称 |", "一级指标", "\t≥", "资金总额  abc", "| | |", "\t12月底", "项目编码"]),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(which=st.integers(0, len(CORPUS_TEXTS) - 1), damage=_damage)
def test_damaged_documents_never_crash(which: int, damage: list[tuple[str, int, str]]) -> None:
    lines = CORPUS_TEXTS[which].split("\n")
    for action, at, text in damage:
        i = at % len(lines)
        if action == "delete" and len(lines) > 1:
            del lines[i]
        elif action == "duplicate":
            lines.insert(i, lines[i])
        elif action == "swap":
            j = (i * 7 + 3) % len(lines)
            lines[i], lines[j] = lines[j], lines[i]
        elif action == "blank":
            lines[i] = ""
        else:
            lines[i] = text
    try:
        result = interpret(text_blocks("\n".join(lines)), "损坏.txt", department=None, year=None)
    except GoalsDocumentError as error:
        assert error.message and "Traceback" not in error.message
    else:
        assert result.department.projects and all(str(p).startswith("损坏.txt") for p in result.problems)


_WORDS = [
    "", "项目名称", "项目编码", "资金总额", "其中：财政拨款", "其他资金", "资金支出计划", "3月底", "25%", "年度目标",
    "一级指标", "二级指标", "三级指标", "指标值", "计算符号", "度量单位", "指标方向", "正向", "反向", "≥", "定性",
    "产出指标", "数量指标", "效益指标", "满意度指标", "≥95%", "100", "元", "3,309,840.00", "单位：元", "（2024年度）",
    "项目支出绩效目标表", "长期绩效指标", "年度绩效指标", "中期指标值", "合计", "……", "45657", "时效指标", "甲", "乙",
]


@st.composite
def _tables(draw: st.DrawFn) -> list[object]:
    from perfsheet.goals.cells import Cell, TableBlock, TextBlock

    blocks: list[object] = []
    for t in range(draw(st.integers(1, 3))):
        if draw(st.booleans()):
            blocks.append(TextBlock(draw(st.sampled_from(_WORDS)), f"第 {t} 段"))
        height, width = draw(st.integers(1, 12)), draw(st.integers(1, 9))
        grid: list[list[Cell]] = []
        for r in range(height):
            row: list[Cell] = []
            for c in range(width):
                merge = draw(st.sampled_from(["none", "none", "left", "up"]))
                if merge == "left" and c > 0:
                    row.append(row[-1])
                elif merge == "up" and r > 0:
                    row.append(grid[-1][c])
                else:
                    row.append(Cell(draw(st.sampled_from(_WORDS)), f"T{t}!{r}:{c}", (r, c)))
            grid.append(row)
        shape = draw(st.sampled_from(["grid", "tab", "ragged"]))
        if shape != "grid":  # text tables have rows of any length and no merges
            grid = [row[: draw(st.integers(1, width))] for row in grid]
        blocks.append(TableBlock(tuple(tuple(r) for r in grid), shape, f"T{t}", sheet=draw(st.booleans())))
    return blocks


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(blocks=_tables())
def test_any_table_structure_never_crashes(blocks: list[object]) -> None:
    try:
        result = interpret(blocks, "表.xlsx", department="某局", year=2024)  # type: ignore[arg-type]
    except GoalsDocumentError as error:
        assert error.message
    else:
        assert result.department.projects


def test_entity_bomb_in_a_word_document(tmp_path: Path) -> None:
    import zipfile

    import docx

    base = tmp_path / "base.docx"
    document = docx.Document()
    document.add_paragraph("x")
    document.save(str(base))
    entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)
    )
    bomb = tmp_path / "炸弹.docx"
    with zipfile.ZipFile(base) as source, zipfile.ZipFile(bomb, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/document.xml":
                body = data.decode()
                body = body[body.index("<w:document") :].replace("<w:t>x</w:t>", "<w:t>&j;</w:t>")
                data = f'<?xml version="1.0"?><!DOCTYPE w:document [{entities}]>{body}'.encode()
            target.writestr(item, data)
    result = _import(bomb)
    _one_chinese_failure(result)
    assert result.exit_code == 2
