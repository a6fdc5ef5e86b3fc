"""Command-line interface: a thin shell over the library.

Each command parses its options, calls one library function, renders the result (rich tables or
JSON) and exits with the DESIGN.md §4 code: 0 good, 1 some input invalid, 2 unusable input or usage
error. Commands live one module per pipeline stage in this package; this module only assembles them.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click
from rich.text import Text

from perfsheet._version import __version__
from perfsheet.errors import PerfsheetError

from ._common import console_err

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class PerfsheetGroup(click.Group):
    """A click group that turns expected errors into one Chinese line and exit code 2."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except PerfsheetError as exc:
            # Style only the label: the message may hold paths or names with [brackets] (not markup).
            console_err.print(Text("错误：", style="bold red") + Text(exc.message), highlight=False, soft_wrap=True)
            sys.exit(exc.exit_code)


@click.group(cls=PerfsheetGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(
    __version__, "-V", "--version", prog_name="perfsheet", message="%(prog)s %(version)s", help="显示版本号并退出。"
)
def main() -> None:
    """perfsheet：预算绩效运行监控（双监控）工具。

    从年度绩效目标出发，每月生成填报模板、邮件发送与收集、校验回收的表格、
    汇总为部门监控表并生成《绩效运行监控情况说明》。
    """


def _register() -> None:
    # Import command modules here so that each one stays independent of the others.
    from . import commands

    for command in commands.ALL:
        main.add_command(command)
    _chinese_help_option(main)


def _show_help(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(ctx.get_help(), color=ctx.color)
        ctx.exit()


def _chinese_help_option(command: click.Command) -> None:
    """Replace click's English help option with a Chinese one on every command (user text is Chinese)."""
    command.add_help_option = False
    command.params.append(
        click.Option(
            ["-h", "--help"], is_flag=True, expose_value=False, is_eager=True, callback=_show_help,
            help="显示本帮助并退出。",
        )
    )
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _chinese_help_option(sub)


_register()


def run(argv: Sequence[str] | None = None) -> None:
    main.main(args=list(argv) if argv is not None else None, prog_name="perfsheet")


__all__ = ["main", "run"]
