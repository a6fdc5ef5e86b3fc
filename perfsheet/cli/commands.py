"""The list of commands, one module per pipeline stage, loaded only when a command runs.

``perfsheet --help`` lists every command by its summary below, so it starts without importing the
library behind the commands (YAML, calamine, xlsxwriter, pandas). Each summary is the first paragraph
of the command's own help; ``tests/test_cli_startup.py`` fails when the two differ. Add one entry per
command (keep the pipeline order).
"""

from __future__ import annotations

from typing import NamedTuple


class LazyCommand(NamedTuple):
    """Where a command lives (``module``, ``attribute``) and its one-line summary for ``--help``."""

    module: str
    attribute: str
    summary: str


ALL: dict[str, LazyCommand] = {
    "init": LazyCommand(
        "perfsheet.cli.goals", "init_command", "创建工作区（缺省为 ./workbooks）：配置、年度目标、收发件与报表目录。"
    ),
    "goals": LazyCommand("perfsheet.cli.goals", "goals_group", "年度绩效目标：查看、导入（文档或目标工作簿）、导出为目标工作簿。"),
    "templates": LazyCommand(
        "perfsheet.cli.templates",
        "templates_command",
        "生成月度绩效运行监控表模板：每个项目一个受保护、带数据验证的 .xlsx 文件，另加一张部门整体监控表。",
    ),
    "send": LazyCommand(
        "perfsheet.cli.mailing",
        "send_command",
        "给各科室科长发送本期监控表模板（每个科室一封邮件，附该科室负责项目的模板）。",
    ),
    "remind": LazyCommand(
        "perfsheet.cli.mailing",
        "remind_command",
        "给尚未报送或报送有错误的科长发送催报邮件：列出哪些项目、什么原因；未报送的附空白模板，\n"
        "有错误的附问题反馈表；已过截止日时写明新的报送期限（perfsheet.yaml 的 grace_days）。",
    ),
    "collect": LazyCommand(
        "perfsheet.cli.collecting",
        "collect_command",
        "从邮箱或文件夹收集回报的表格：先按内容哈希原样归档，再登记台账、校验，并复制到 inbox/<期间>/。",
    ),
    "status": LazyCommand(
        "perfsheet.cli.collecting",
        "status_command",
        "查看本期各项目的报送情况：未报送、有错误、已通过，是否逾期，以及计入汇总的文件。",
    ),
    "check": LazyCommand("perfsheet.cli.check", "check_command", "校验回收的监控表：逐个单元格检查并列出问题。"),
    "consolidate": LazyCommand(
        "perfsheet.cli.consolidate",
        "consolidate_command",
        "汇总本期有效报送的监控表：生成汇总表（Excel）和《绩效运行监控情况说明》（Markdown、Word）。",
    ),
    "run": LazyCommand(
        "perfsheet.cli.run",
        "run_command",
        "每月运行：收集回执 → 校验 → 汇总 → 生成汇总表、情况说明、问题反馈表和催报邮件草稿。",
    ),
    "selfeval": LazyCommand(
        "perfsheet.cli.selfeval",
        "selfeval_command",
        "年度绩效自评：按各项目的年终报表（没有时按12月监控表）的全年执行数和实际完成值计分，生成《项目支出绩效自评表》\n"
        "和《绩效自评报告》（Markdown、Word），写入 reports/<年度>-自评/。",
    ),
    "demo": LazyCommand(
        "perfsheet.cli.demo",
        "demo_command",
        "演示完整流程：用内置 2025 年目标生成模板，模拟各科长填报并回复邮件，收集、校验、汇总并生成情况说明。",
    ),
}
