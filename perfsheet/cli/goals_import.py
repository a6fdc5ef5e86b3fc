"""``perfsheet goals import DOC -o goals.yaml``: a goals document (.txt export or .docx) → registry YAML.

Attached to the ``goals`` group by :mod:`perfsheet.cli.goals` (``goals.add_command(import_command)``).
"""

from __future__ import annotations

from pathlib import Path

import click

from perfsheet.errors import UsageError
from perfsheet.goals.registry import dump_goals, save_goals
from perfsheet.targets import format_value

from ._common import console_err

__all__ = ["import_command"]


@click.command("import")
@click.argument("document", metavar="目标文件", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="写入的目标文件（YAML）；缺省时输出到屏幕。",
)
@click.option("--department", default=None, help="部门名称（缺省从文档中识别，例如“路南区司法局”）。")
@click.option("--force", is_flag=True, help="目标文件已存在时覆盖它。")
def import_command(document: Path, output: Path | None, department: str | None, force: bool) -> None:
    """导入绩效目标文档（文本导出 .txt 或 Word .docx），生成年度目标文件（YAML）。

    读取第一部分（部门名称、年度、职能机构、部门整体目标）和第二部分的项目支出绩效目标表
    （项目编码、名称、预算数、资金用途、支出计划、绩效目标和全部指标），原文照录。
    """
    if output is not None and output.exists() and not force:
        # The goals file is edited by hand; never overwrite it silently.
        raise UsageError(f"{output} 已存在；如需覆盖请加 --force")
    # The document reader (~25 ms to import) only for this command, not for every `perfsheet goals …`.
    from perfsheet.goals.document import import_goals_document

    result = import_goals_document(document, department=department)
    if output is None:
        click.echo(dump_goals(result), nl=False)
    else:
        save_goals(result, output)
    console_err.print(
        f"已导入 {result.year}年 {result.name}：{len(result.projects)} 个项目，{result.indicator_count} 个指标，"
        f"预算合计 {format_value(result.total_budget)} 万元" + (f" → {output}" if output else "")
    )
