"""Faults of the machine become one Chinese line: a full disk (a small tmpfs filled to several levels),
a read-only workspace (a read-only bind mount) and a ledger another process holds. Each command exits 2
(or succeeds when its writes still fitted), prints no traceback, leaves nothing half-written, and the
ledger still holds what it held before.

These tests mount file systems, so they need root; CI runs as root, and without it they fail (they
never skip: a skipped fault test would hide a regression).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from perfsheet.cli import main
from perfsheet.demo import run_demo
from perfsheet.errors import PerfsheetError
from perfsheet.ledger import store
from perfsheet.ledger.store import Ledger
from perfsheet.model import Period

JUNE = Period(2025, 6)
SEPTEMBER = Period(2025, 9)
MiB = 1024 * 1024
FREE_LEVELS = [0, 4 * 1024, 64 * 1024, 512 * 1024]


def _require_root() -> None:
    if os.geteuid() != 0:
        pytest.fail("这些故障测试需要 root 权限（挂载 tmpfs 与只读绑定挂载）；CI 以 root 运行，请以 root 运行 pytest")


def _mount(*args: str) -> None:
    done = subprocess.run(["mount", *args], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(f"mount {' '.join(args)} 失败：{done.stderr.strip()}（故障测试需要能挂载文件系统）")


def _umount(path: Path) -> None:
    # os.path.ismount cannot see a bind mount of the same file system: go by umount's own answer.
    if subprocess.run(["umount", str(path)], capture_output=True).returncode != 0:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


@pytest.fixture
def mounts() -> Iterator[list[Path]]:
    """Mount points to unmount when the test ends (in reverse order)."""
    points: list[Path] = []
    yield points
    for point in reversed(points):
        _umount(point)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the demo workspace of June, a mailbox of replies for September: new bytes for collect)."""
    _require_root()
    june = run_demo(tmp_path_factory.mktemp("june") / "out", JUNE)
    september = run_demo(tmp_path_factory.mktemp("september") / "out", SEPTEMBER)
    mailbox = tmp_path_factory.mktemp("mail") / "september.mbox"
    shutil.copy2(september.mailbox, mailbox)
    return june.workspace.root, mailbox


def _du(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _ledger_rows(root: Path) -> dict[str, tuple[str, str | None, str | None]]:
    with Ledger(root / "ledger.sqlite", root=root) as ledger:
        return {r.sha256: (r.status, r.project, str(r.period)) for r in ledger.rows()}


def _archive(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((root / "archive").rglob("*"))
        if p.is_file()
    }


def _fill(folder: Path, leave: int) -> Path:
    """A filler file that leaves ``leave`` bytes free on the file system of ``folder``."""
    filler = folder / "filler.bin"
    info = os.statvfs(folder)
    size = max(info.f_bavail * info.f_frsize - leave, 0)
    chunk = b"\0" * MiB
    with open(filler, "wb", buffering=0) as handle:  # unbuffered: a full disk fails the write, not close
        try:
            while size > 0:
                size -= handle.write(chunk[: min(size, MiB)]) or 0
            if leave == 0:
                while True:  # whatever rounding left over: really nothing free
                    handle.write(b"\0" * 4096)
        except OSError:
            pass
    return filler


def _assert_one_chinese_line(result: Result, *words: str) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output + result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("错误："), lines
    assert any("\u4e00" <= ch <= "\u9fff" for ch in lines[0].removeprefix("错误："))
    if words:
        assert any(w in lines[0] for w in words), lines[0]


def _assert_nothing_half_written(root: Path) -> None:
    leftovers = [p for p in root.rglob(".tmp-*")]
    assert not leftovers, leftovers
    for path in root.rglob("*"):
        if path.suffix in (".xlsx", ".docx") and path.is_file():
            with zipfile.ZipFile(path) as archive:
                assert archive.testzip() is None, path


def _commands(root: Path, mailbox: Path) -> dict[str, tuple[list[str], set[int]]]:
    """command → (arguments, the exit codes it has when everything fits)."""
    ws = ["--workspace", str(root)]
    return {
        # the demo month has a section that never answered and a return with errors: exit 1
        "run": (["run", "--period", str(SEPTEMBER), *ws, str(mailbox)], {1}),
        "collect": (["collect", "--period", str(SEPTEMBER), *ws, str(mailbox)], {0, 1}),
        "templates": (["templates", "--period", str(SEPTEMBER), *ws], {0}),
        "consolidate": (["consolidate", "--period", str(JUNE), *ws], {0, 1}),
    }


# -- a full disk


@pytest.mark.parametrize("free", FREE_LEVELS, ids=[f"free{n // 1024}k" for n in FREE_LEVELS])
@pytest.mark.parametrize("command", ["run", "collect", "templates", "consolidate"])
def test_a_full_disk_is_one_chinese_line_and_loses_nothing(
    command: str, free: int, demo: tuple[Path, Path], tmp_path: Path, mounts: list[Path]
) -> None:
    _require_root()
    workspace, mailbox = demo
    disk = tmp_path / "disk"
    disk.mkdir()
    size = _du(workspace) + 2 * MiB
    _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(disk))
    mounts.append(disk)
    root = disk / "workbooks"
    shutil.copytree(workspace, root)
    rows, archived = _ledger_rows(root), _archive(root)
    filler = _fill(disk, free)
    args, normal = _commands(root, mailbox)[command]

    result = CliRunner().invoke(main, args)

    assert "Traceback" not in result.output + result.stderr, result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    if result.exit_code == 2:
        _assert_one_chinese_line(result, "磁盘空间已满")
    else:
        assert result.exit_code in normal, (result.exit_code, result.output, result.stderr)
    filler.unlink()
    after = _ledger_rows(root)
    assert {sha: after.get(sha) for sha in rows} == rows, "the ledger lost or changed what it held"
    assert {k: v for k, v in _archive(root).items() if k in archived} == archived
    assert set(archived) <= set(_archive(root))
    _assert_nothing_half_written(root)


# -- a read-only workspace


def _read_only_commands(root: Path, mailbox: Path) -> dict[str, list[str]]:
    ws = ["--workspace", str(root)]
    returns = sorted((root / "inbox" / str(JUNE)).glob("*.xlsx"))
    assert returns
    return {
        "init": ["init", str(root / "新工作区")],
        "templates": ["templates", "--period", str(SEPTEMBER), *ws],
        "collect": ["collect", "--period", str(SEPTEMBER), *ws, str(mailbox)],
        "run": ["run", "--period", str(SEPTEMBER), *ws, str(mailbox)],
        "consolidate": ["consolidate", "--period", str(JUNE), *ws],
        "send": ["send", "--period", str(SEPTEMBER), *ws],
        "remind": ["remind", "--period", str(JUNE), *ws],
        "send --feedback": ["send", "--feedback", "--period", str(JUNE), *ws],
        "check --feedback": [
            "check", "--period", str(JUNE), *ws, "--feedback", str(root / "反馈"), *map(str, returns)
        ],
    }


def test_a_read_only_workspace_is_one_chinese_line_per_command(
    demo: tuple[Path, Path], tmp_path: Path, mounts: list[Path]
) -> None:
    _require_root()
    workspace, mailbox = demo
    source = tmp_path / "rw" / "workbooks"
    shutil.copytree(workspace, source)
    root = tmp_path / "ro"
    root.mkdir()
    _mount("--bind", str(source), str(root))
    mounts.append(root)
    _mount("-o", "remount,ro,bind", str(root))
    rows, archived = _ledger_rows(source), _archive(source)
    failures = []
    for name, args in _read_only_commands(root, mailbox).items():
        result = CliRunner().invoke(main, args)
        try:
            assert result.exit_code == 2, (result.exit_code, result.output[-500:])
            _assert_one_chinese_line(result, "只读", "权限")
        except AssertionError as exc:
            failures.append(f"{name}: {exc}")
    assert not failures, "\n".join(failures)
    assert _ledger_rows(source) == rows
    assert _archive(source) == archived


# -- a ledger another perfsheet holds


def test_a_locked_ledger_is_one_chinese_line(
    demo: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace, mailbox = demo
    root = tmp_path / "workbooks"
    shutil.copytree(workspace, root)
    rows = _ledger_rows(root)
    monkeypatch.setattr(store, "BUSY_TIMEOUT", 0.5)  # do not wait the full 30 s of a real run
    holder = sqlite3.connect(root / "ledger.sqlite", isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        result = CliRunner().invoke(
            main, ["collect", "--period", str(SEPTEMBER), "--workspace", str(root), str(mailbox)]
        )
        assert result.exit_code == 2, (result.exit_code, result.output, result.stderr)
        _assert_one_chinese_line(result, "另一个 perfsheet")
        # The Python API says the same, as a PerfsheetError.
        with (
            pytest.raises(PerfsheetError, match="另一个 perfsheet"),
            Ledger(root / "ledger.sqlite", root=root) as ledger,
            ledger._tx() as conn,
        ):
            conn.execute("UPDATE schema_version SET version = version")
    finally:
        holder.rollback()
        holder.close()
    assert {sha: row for sha, row in _ledger_rows(root).items() if sha in rows} == rows
    _assert_nothing_half_written(root)


def test_a_damaged_ledger_keeps_saying_so(demo: tuple[Path, Path], tmp_path: Path) -> None:
    """Not a fault of the disk: a ledger that is no database still says it may be damaged."""
    workspace, _mailbox = demo
    root = tmp_path / "workbooks"
    shutil.copytree(workspace, root)
    for side in root.glob("ledger.sqlite-*"):
        side.unlink()
    (root / "ledger.sqlite").write_bytes(b"this is not a database" * 200)
    result = CliRunner().invoke(main, ["consolidate", "--period", str(JUNE), "--workspace", str(root)])
    assert result.exit_code == 2, (result.exit_code, result.output, result.stderr)
    _assert_one_chinese_line(result, "损坏")
    assert "磁盘" not in result.stderr and "权限" not in result.stderr


# -- a workspace the user may read but not write (permission denied)


def test_permission_denied_is_one_chinese_line(demo: tuple[Path, Path]) -> None:
    """Root may write anywhere, so the commands run as ``nobody`` on a workspace root owns."""
    _require_root()
    workspace, mailbox = demo
    if shutil.which("setpriv") is None:
        pytest.fail("需要 setpriv（util-linux）以普通用户身份运行命令")
    base = Path(tempfile.mkdtemp(prefix="perfsheet-perm-"))
    try:
        base.chmod(0o755)
        root = base / "workbooks"
        shutil.copytree(workspace, root)
        shutil.copy2(mailbox, base / "mail.mbox")
        for path in [base, *base.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        rows = _ledger_rows(root)
        ws = ["--workspace", str(root)]
        commands = {
            "templates": ["templates", "--period", str(SEPTEMBER), *ws],
            "collect": ["collect", "--period", str(SEPTEMBER), *ws, str(base / "mail.mbox")],
            "run": ["run", "--period", str(SEPTEMBER), *ws, str(base / "mail.mbox")],
            "consolidate": ["consolidate", "--period", str(JUNE), *ws],
            "send": ["send", "--period", str(SEPTEMBER), *ws],
        }
        env = {**os.environ, "HOME": str(base), "NO_COLOR": "1", "COLUMNS": "200"}
        failures = []
        for name, args in commands.items():
            done = subprocess.run(
                ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                 sys.executable, "-m", "perfsheet", *args],
                capture_output=True, text=True, cwd=base, env=env,
            )
            lines = [line for line in done.stderr.splitlines() if line.strip()]
            if done.returncode != 2 or "Traceback" in done.stderr or len(lines) != 1 or "权限" not in lines[0]:
                failures.append(f"{name}: exit {done.returncode}: {done.stderr[-600:]}")
        assert not failures, "\n".join(failures)
        assert _ledger_rows(root) == rows
    finally:
        shutil.rmtree(base, ignore_errors=True)
