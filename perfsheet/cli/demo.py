"""``perfsheet demo``: the whole cycle on the 2025 default, in a folder of its own."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from perfsheet.demo import DEMO_PERIOD, demo_story, run_demo
from perfsheet.model import Period

from ._common import PERIOD, console
from .run import print_month, progress_bars


@click.command("demo")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("perfsheet-demo"), show_default=True, help="演示输出目录（其中的 workbooks 工作区会被重建）。")
@click.option("--period", "period", type=PERIOD, default=str(DEMO_PERIOD), show_default=True, metavar="年-月", help="演示的监控期间。")
@click.option("--year-end", "year_end", is_flag=True, help="演示到12月（覆盖 --period），并进行年度绩效自评。")
def demo_command(out_dir: Path, period: Period, year_end: bool) -> None:
    """演示完整流程：用内置 2025 年目标生成模板，模拟各科长填报并回复邮件，收集、校验、汇总并生成情况说明。"""
    if year_end:
        period = Period(period.year, 12)
    with progress_bars() as step:
        result = run_demo(out_dir, period, progress=step)
    console.print(f"[bold]perfsheet 演示：{result.workspace.department.name} {period.label}[/]")
    story = Table(title="本月模拟情景", show_header=False)
    story.add_column("")
    story.add_column("", overflow="fold")
    for key, text in demo_story(result.workspace.department).items():
        story.add_row(key, text)
    console.print(story)
    print_month(result.month, out_dir)
    console.print(f"工作区：{result.workspace.root}")
    console.print(f"模板：{result.workspace.templates_dir(period)}（{len(result.templates)} 个）")
    console.print(f"发送邮件草稿：{result.workspace.mail_dir(period)}")
    console.print(f"模拟收件箱（mbox）：{result.mailbox}")
    if year_end:
        from perfsheet.selfeval.run import write_year_selfeval

        evaluation, files = write_year_selfeval(result.workspace, period.year)
        total = evaluation.total
        console.print(f"年度绩效自评：部门得分 {'—' if total is None else f'{total:.2f}'}"
                      f"（{len(evaluation.scored)}/{len(evaluation.projects)} 个项目已评分）", highlight=False)
        console.print("\n".join(f"{label}：{path}" for label, path in files.labelled()), highlight=False)
    console.print(f"下一步：perfsheet status --period {period} --workspace {result.workspace.root}")


COMMANDS: list[click.Command] = [demo_command]
