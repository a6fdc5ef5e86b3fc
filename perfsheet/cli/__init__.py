"""Command-line interface: a thin shell over the library.

Each command parses its options, calls one library function, renders the result (rich tables or
JSON) and exits with the DESIGN.md §4 code: 0 good, 1 some input invalid, 2 unusable input or usage
error. Commands live one module per pipeline stage in this package; this module only assembles them,
and imports a command's module only when that command runs, so ``perfsheet --help`` and a single
command start without loading the rest of the library (``tests/test_cli_startup.py``).
"""

from __future__ import annotations

import importlib
import re
import sys
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, NoReturn

import click

from perfsheet._version import __version__
from perfsheet.errors import PerfsheetError

from .commands import ALL as LAZY_COMMANDS
from .commands import LazyCommand

if TYPE_CHECKING:
    from rich.console import Console

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def cells(text: str) -> int:
    """Display width: a Chinese character (East Asian wide or fullwidth) takes two columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


# Punctuation that may not begin a line (it stays with the character before it).
_NO_LINE_START = frozenset("，。、；：！？）】》」』”’,.;:!?)]%")
# Punctuation that may not end a line (it moves on with the character after it).
_NO_LINE_END = frozenset("（【《「『“‘")


def wrap_cells(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` columns: ASCII words stay whole (unless longer than a
    line), Chinese breaks between any two characters, but not before closing punctuation nor after
    opening punctuation."""
    tokens = re.findall(r"\s+|[!-~]+|.", " ".join(text.split()))
    lines: list[list[str]] = [[]]
    used = 0
    for token in tokens:
        size = cells(token)
        if token.isspace():
            if lines[-1]:
                lines[-1].append(" ")
                used += 1
            continue
        if used + size > width and lines[-1]:
            carried: list[str] = []
            if lines[-1][-1] == " ":  # a break at a space needs no care
                lines[-1].pop()
            else:
                while len(lines[-1]) > 1 and (carried or [token])[0][0] in _NO_LINE_START:
                    carried.insert(0, lines[-1].pop())
                while len(lines[-1]) > 1 and lines[-1][-1][-1] in _NO_LINE_END:
                    carried.insert(0, lines[-1].pop())
            while lines[-1] and lines[-1][-1] == " ":
                lines[-1].pop()
            lines.append(carried)
            used = sum(cells(t) for t in carried)
        while used + size > width:  # a word longer than a line: cut it
            cut = max(1, next((i for i in range(len(token), 0, -1) if used + cells(token[:i]) <= width), 0))
            lines[-1].append(token[:cut])
            lines.append([])
            token, size, used = token[cut:], cells(token[cut:]), 0
        lines[-1].append(token)
        used += size
    return ["".join(line).rstrip() for line in lines if line]


def _join_lines(lines: list[str]) -> str:
    """A paragraph's source lines as one: a space between ASCII words, none inside Chinese text."""
    text = ""
    for line in lines:
        line = line.strip()
        wide_seam = text and (cells(text[-1]) == 2 or cells(line[:1]) == 2)
        text += line if not text or wide_seam else f" {line}"
    return text


# click's English notes after an option's help, as a clerk reads them.
_EXTRA_ITEMS: tuple[tuple[str, str], ...] = (
    (r"required", "必填"),
    (r"default: (.*)", "默认：{0}"),
    (r"env var: (.*)", "环境变量：{0}"),
)


def chinese_help_extra(text: str) -> str:
    """``帮助。  [default: x; required]`` → ``帮助。（默认：x；必填）``; other brackets are left alone."""
    match = re.fullmatch(r"(.*?)\s*\[([^\[\]]*)\]", text, flags=re.S)
    if match is None:
        return text
    translated = []
    for item in match.group(2).split("; "):
        for pattern, chinese in _EXTRA_ITEMS:
            found = re.fullmatch(pattern, item)
            if found:
                translated.append(chinese.format(*found.groups()))
                break
        else:
            if not re.fullmatch(r"[\dx<>=.\s-]+", item):  # a range such as 1<=x<=12 reads in any language
                return text
            translated.append(item)
    return f"{match.group(1)}（{'；'.join(translated)}）"


class ChineseHelpFormatter(click.HelpFormatter):
    """click's help in Chinese: the usage line, the section headings, the notes after an option's help
    (必填, 默认), and columns measured in display width — click counts characters, so a Chinese
    metavar or sentence would push the text out of line and past the terminal's edge."""

    _HEADINGS: ClassVar[dict[str, str]] = {"Options": "选项", "Commands": "命令", "Arguments": "参数"}

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, chinese_usage(args), prefix="用法：")

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{self._HEADINGS.get(heading, heading)}：\n")

    def write_text(self, text: str) -> None:
        indent = " " * self.current_indent
        width = max(self.width - self.current_indent, 20)
        paragraphs = [block.splitlines() for block in re.split(r"\n\s*\n", text.strip("\n"))]
        out = []
        for lines in paragraphs:
            if lines and lines[0].strip() == "\b":  # click's mark: keep this block's lines as written
                out.append("\n".join(indent + line for line in lines[1:]))
            else:
                out.append("\n".join(indent + line for line in wrap_cells(_join_lines(lines), width)))
        self.write("\n\n".join(out) + "\n")

    def write_dl(self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2) -> None:
        rows = [(first, chinese_help_extra(second)) for first, second in rows]
        first_col = min(max((cells(first) for first, _ in rows), default=0), col_max) + col_spacing
        text_width = max(self.width - first_col - 2, 10)
        for first, second in rows:
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if cells(first) <= first_col - col_spacing:
                self.write(" " * (first_col - cells(first)))
            else:
                self.write("\n" + " " * (first_col + self.current_indent))
            lines = wrap_cells(second, text_width) or [""]
            self.write(lines[0] + "\n")
            for line in lines[1:]:
                self.write(f"{'':>{first_col + self.current_indent}}{line}\n")


click.Context.formatter_class = ChineseHelpFormatter


def chinese_usage(args: str) -> str:
    return args.replace("[OPTIONS]", "[选项]").replace("COMMAND [ARGS]...", "命令 [参数]...")


def _param_name(error: click.ClickException) -> str:
    param = getattr(error, "param", None)
    if isinstance(param, click.Option):
        return "/".join(param.opts)
    if isinstance(param, click.Parameter):
        return (param.human_readable_name or param.name or "").upper()
    hint = getattr(error, "param_hint", None)
    return str(hint) if hint else ""


# click's English errors, as a clerk should read them; anything else keeps click's words.
_VALUE_PROBLEMS: tuple[tuple[str, str], ...] = (
    (r"(?:File|Path|Directory) '(.*)' does not exist\.?", "“{0}”不存在"),
    (r"(?:File|Path) '(.*)' is a directory\.?", "“{0}”是文件夹，这里需要一个文件"),
    (r"(?:Directory|Path) '(.*)' is a file\.?", "“{0}”是文件，这里需要一个文件夹"),
    (r"(?:File|Path|Directory) '(.*)' is not readable\.?", "没有权限读取“{0}”"),
    (r"(?:File|Path|Directory) '(.*)' is not writable\.?", "没有权限写入“{0}”"),
    (r"'(.*)' is not a valid integer(?: range)?\.?", "“{0}”不是整数"),
    (r"'(.*)' is not a valid float(?: range)?\.?", "“{0}”不是数字"),
    (r"(.*) is not in the range (-?\d+(?:\.\d+)?)<=x<=(-?\d+(?:\.\d+)?)\.?", "“{0}”应在 {1} 到 {2} 之间"),
    (r"(.*) is not in the range x>=(-?\d+(?:\.\d+)?)\.?", "“{0}”应不小于 {1}"),
    (r"(.*) is not in the range x<=(-?\d+(?:\.\d+)?)\.?", "“{0}”应不大于 {1}"),
    (r"'(.*)' is not one of (.*?)\.?$", "“{0}”不是可选的值，可选：{1}"),
    (r"'(.*)' is not ('.*')\.?$", "“{0}”不是可选的值，可选：{1}"),
)


def chinese_click_error(error: click.ClickException, group: click.Group) -> str:
    """One Chinese sentence for a usage error click raised (the command's own errors are Chinese)."""
    message = error.format_message()
    if isinstance(error, click.MissingParameter):
        name = _param_name(error)
        example = "（例如 --period 2025-06）" if "--period" in name else ""
        return f"缺少必需的选项 {name}{example}" if isinstance(error.param, click.Option) else f"缺少参数 {name}"
    if isinstance(error, click.NoSuchOption):
        close = "、".join(error.possibilities or ())
        return f"没有选项 {error.option_name}" + (f"；您是否想用 {close}？" if close else "")
    if isinstance(error, click.BadOptionUsage):
        return f"选项 {error.option_name} 的用法不对：需要一个值" if "requires an argument" in message else message
    if isinstance(error, click.BadParameter):
        detail = message.split(": ", 1)[-1]
        for pattern, chinese in _VALUE_PROBLEMS:
            match = re.search(pattern, detail)
            if match:
                detail = chinese.format(*match.groups())
                break
        return f"{_param_name(error)} 的值无效：{detail}"
    command = re.match(r"No such command '([^']*)'", message)
    if command:
        wanted = command.group(1)
        import difflib

        # The group the name was looked up in: `perfsheet goals shwo` suggests among goals' commands.
        ctx = error.ctx if isinstance(error, click.UsageError) else None
        if ctx is None or not isinstance(ctx.command, click.Group):
            ctx = click.Context(group, info_name="perfsheet")
        assert isinstance(ctx.command, click.Group)
        nearest = difflib.get_close_matches(wanted, ctx.command.list_commands(ctx), n=1)
        return f"没有命令“{wanted}”" + (f"；您是否想用 {ctx.command_path} {nearest[0]}？" if nearest else "")
    extra = re.match(r"Got unexpected extra arguments? \((.*)\)", message)
    if extra:
        return f"多余的参数：{extra.group(1)}"
    return message


def _console_err() -> Console:
    # rich costs ~40 ms to import; only a message to print needs it.
    from ._common import console_err

    return console_err


class PerfsheetGroup(click.Group):
    """A click group that turns expected errors into one Chinese line and exit code 2, and loads each
    command's module only when the command is used (its summary for ``--help`` is in
    :data:`perfsheet.cli.commands.ALL`)."""

    def __init__(self, *args: Any, lazy: Mapping[str, LazyCommand] | None = None, **kwargs: Any) -> None:
        self._lazy: Mapping[str, LazyCommand] = lazy or {}
        super().__init__(*args, **kwargs)

    @property  # type: ignore[override]
    def commands(self) -> dict[str, click.Command]:
        # Whoever asks for the whole dict (the docs generator, tests) gets every command, loaded.
        for name in self._lazy:
            self._load(name)
        return self._commands

    @commands.setter
    def commands(self, value: dict[str, click.Command]) -> None:
        self._commands = value

    def _load(self, name: str) -> click.Command | None:
        command = self._commands.get(name)
        if command is None and name in self._lazy:
            where = self._lazy[name]
            command = getattr(importlib.import_module(where.module), where.attribute)
            assert isinstance(command, click.Command) and command.name == name, where
            _chinese_params(command)
            self._commands[name] = command
        return command

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self._lazy, *self._commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._load(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # click's own version would import every command to ask for its short help.
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            loaded = self._commands.get(name)
            if loaded is not None:
                if loaded.hidden:
                    continue
                rows.append((name, loaded.get_short_help_str(limit)))
            else:
                # A stand-in command shortens the summary exactly as click shortens a loaded one's help.
                stand_in = click.Command(name, help=self._lazy[name].summary)
                rows.append((name, stand_in.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except PerfsheetError as exc:
            self._fail(exc.message, exc.exit_code)
        except OSError as exc:
            from perfsheet.fsutil import fault_message

            # A full or read-only disk, missing permissions: what happened and what to do, no traceback.
            # Writes are atomic (temp file + rename), so nothing is left half-written.
            self._fail(fault_message(exc), 2)
        except Exception as exc:
            # A ledger error can only come from a command that imported sqlite3 (--help never does).
            sqlite3 = sys.modules.get("sqlite3")
            if sqlite3 is None or not isinstance(exc, sqlite3.DatabaseError):
                raise
            from perfsheet.ledger.store import ledger_fault

            fault = ledger_fault(exc)
            if fault is None:
                raise
            self._fail(fault.message, fault.exit_code)

    @staticmethod
    def _fail(message: str, exit_code: int) -> NoReturn:
        from rich.text import Text

        # Style only the label: the message may hold paths or names with [brackets] (not markup).
        _console_err().print(Text("错误：", style="bold red") + Text(message), highlight=False, soft_wrap=True)
        sys.exit(exit_code)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        # click prints its usage errors in English itself; take them over and say them in Chinese.
        kwargs["standalone_mode"] = False
        try:
            return super().main(*args, **kwargs)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            _console_err().print("已取消。", highlight=False)
            sys.exit(1)
        except click.exceptions.NoArgsIsHelpError as exc:
            # A group typed without a command: its help, once, as click itself does (stderr, exit 2).
            click.echo(exc.ctx.get_help(), err=True, color=exc.ctx.color)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            from rich.text import Text

            console_err = _console_err()
            ctx = exc.ctx if isinstance(exc, click.UsageError) else None
            if ctx is not None:
                usage = f"用法：{ctx.command_path} {chinese_usage(' '.join(ctx.command.collect_usage_pieces(ctx)))}"
                console_err.print(usage, highlight=False, soft_wrap=True)
            console_err.print(Text("错误：", style="bold red") + Text(chinese_click_error(exc, self)), highlight=False)
            if ctx is not None:
                console_err.print(f"运行 {ctx.command_path} --help 查看说明。", highlight=False)
            sys.exit(exc.exit_code)


@click.group(cls=PerfsheetGroup, context_settings=CONTEXT_SETTINGS, lazy=LAZY_COMMANDS)
@click.version_option(
    __version__, "-V", "--version", prog_name="perfsheet", message="%(prog)s %(version)s", help="显示版本号并退出。"
)
def main() -> None:
    """perfsheet：预算绩效运行监控（双监控）工具。

    从年度绩效目标出发，每月生成填报模板、邮件发送与收集、校验回收的表格、
    汇总为部门监控表并生成《绩效运行监控情况说明》。
    """


def _show_help(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(ctx.get_help(), color=ctx.color)
        ctx.exit()


# Metavars click would print in English (INTEGER, DIRECTORY, TEXT …): by the option's name, else by type.
_METAVAR_BY_NAME = {"year": "年度", "user": "账号", "department": "部门名称"}
_METAVAR_BY_TYPE = {"integer": "整数", "float": "数字", "text": "文本", "boolean": "是/否"}


def _chinese_metavar(param: click.Parameter) -> str | None:
    if param.name in _METAVAR_BY_NAME:
        return _METAVAR_BY_NAME[param.name]
    kind = param.type
    if isinstance(kind, click.Path):
        return "目录" if not kind.file_okay else "文件" if not kind.dir_okay else "路径"
    if isinstance(kind, click.File):
        return "文件"
    return _METAVAR_BY_TYPE.get(kind.name)


def _chinese_params(command: click.Command) -> None:
    """Replace click's English help option with a Chinese one on every command (user text is Chinese),
    and give every value a Chinese metavar where the command left click to name it.
    Once: a command module imported before (a test that imports perfsheet.cli afresh) keeps its option."""
    command.add_help_option = False
    if not any(isinstance(p, click.Option) and "--help" in p.opts for p in command.params):
        command.params.append(
            click.Option(
                ["-h", "--help"], is_flag=True, expose_value=False, is_eager=True, callback=_show_help,
                help="显示本帮助并退出。",
            )
        )
    for param in command.params:
        # Arguments all name their metavar; click's own would drop their [optional] and ... marks.
        # A choice shows its values ([a|b]) and a flag takes none.
        named = param.metavar is not None or isinstance(param.type, click.Choice)
        if isinstance(param, click.Option) and not named and not param.is_flag:
            param.metavar = _chinese_metavar(param)
    # The top-level group's commands get theirs as they load (PerfsheetGroup._load).
    if isinstance(command, click.Group) and not isinstance(command, PerfsheetGroup):
        for sub in command.commands.values():
            _chinese_params(sub)


_chinese_params(main)


def run(argv: Sequence[str] | None = None) -> None:
    main.main(args=list(argv) if argv is not None else None, prog_name="perfsheet")


__all__ = ["main", "run"]
