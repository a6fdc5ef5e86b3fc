"""One confinement rule for every write and lock: a symlink planted anywhere in a workspace (pointing
outside it, or dangling) is refused with one Chinese line and exit code 2, and nothing is ever written
outside the workspace, whichever command runs (templates, send, run)."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from perfsheet.cli import main
from perfsheet.demo import run_demo
from perfsheet.errors import PerfsheetError
from perfsheet.fsutil import confined, open_no_follow, safe_dir, write_bytes_atomic, write_new_bytes
from perfsheet.model import Period
from perfsheet.workspace import init_workspace

PERIOD = Period(2025, 6)
P = str(PERIOD)
Plant = Callable[[Path, Path], None]


@pytest.fixture(scope="module")
def mailbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's mailbox of the section chiefs' replies (three months, one with mistakes)."""
    return run_demo(tmp_path_factory.mktemp("demo") / "out", PERIOD).mailbox


def _link_dir(rel: str) -> Plant:
    """Replace the folder ``rel`` of the workspace by a link to the outside folder."""

    def plant(root: Path, outside: Path) -> None:
        target = root / rel
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(outside, target_is_directory=True)

    return plant


def _dangling(rel: str) -> Plant:
    """A link at ``rel`` to a file that does not exist (yet) outside."""

    def plant(root: Path, outside: Path) -> None:
        (root / rel).unlink(missing_ok=True)
        (root / rel).symlink_to(outside / "planted")

    return plant


def _every_archive_prefix(root: Path, outside: Path) -> None:
    """archive/00 … archive/ff all links: whatever the digest, its folder is a link."""
    for n in range(256):
        (root / "archive" / f"{n:02x}").symlink_to(outside, target_is_directory=True)


def _goals(root: Path, outside: Path) -> None:
    """The goals folder moved outside and linked back: reading it is refused as well."""
    for path in (root / "goals").iterdir():
        shutil.copy2(path, outside / path.name)
    shutil.rmtree(root / "goals")
    (root / "goals").symlink_to(outside, target_is_directory=True)


# place → (how to plant it, the commands that need the place and must refuse it)
PLACES: dict[str, tuple[Plant, set[str]]] = {
    "reports/<period>": (_link_dir(f"reports/{P}"), {"run"}),
    "workbooks/reports": (_link_dir("reports"), {"run"}),
    "archive": (_link_dir("archive"), {"run"}),
    "archive/<xx>": (_every_archive_prefix, {"run"}),
    "outbox/<period>/templates": (_link_dir(f"outbox/{P}/templates"), {"templates", "send", "run"}),
    "outbox": (_link_dir("outbox"), {"templates", "send", "run"}),
    "ledger.sqlite (dangling)": (_dangling("ledger.sqlite"), {"run"}),
    "ledger.sqlite-wal (dangling)": (_dangling("ledger.sqlite-wal"), {"run"}),
    ".collect.lock (dangling)": (_dangling(".collect.lock"), {"run"}),
    "feedback": (_link_dir("feedback"), {"run"}),
    "inbox": (_link_dir("inbox"), {"run"}),
    "mail": (_link_dir(f"outbox/{P}/mail"), {"send", "run"}),
    "goals": (_goals, {"templates", "send", "run"}),
}


def _snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
        for p in sorted(folder.rglob("*"))
    }


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.mark.parametrize("place", list(PLACES))
def test_a_planted_link_is_refused_and_nothing_is_written_outside(
    place: str, tmp_path: Path, mailbox: Path
) -> None:
    plant, refusing = PLACES[place]
    root = init_workspace(tmp_path / "workbooks").root
    outside = tmp_path / "outside"
    outside.mkdir()
    plant(root, outside)
    before = _snapshot(outside)
    commands = {
        "templates": ["templates", "--period", P, "--workspace", str(root)],
        "send": ["send", "--period", P, "--workspace", str(root)],
        "run": ["run", "--period", P, "--workspace", str(root), str(mailbox)],
    }
    for name, args in commands.items():
        result = CliRunner().invoke(main, args)
        assert result.exception is None or isinstance(result.exception, SystemExit), (name, result.exception)
        assert "Traceback" not in result.output + result.stderr, (name, result.stderr)
        assert _snapshot(outside) == before, f"{name} wrote outside the workspace through {place}"
        if name in refusing:
            assert result.exit_code == 2, (name, result.exit_code, result.output, result.stderr)
            lines = [line for line in result.stderr.splitlines() if line.strip()]
            assert len(lines) == 1 and _has_chinese(lines[0]), (name, result.stderr)
            assert lines[0].startswith("错误："), (name, result.stderr)
        else:
            # run exits 1 because the demo month has a section that never answered.
            assert result.exit_code in (0, 1), (name, result.exit_code, result.output, result.stderr)


# -- the rule itself, on the Python side


def test_confined_refuses_links_dotdot_and_outside(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "a").mkdir(parents=True)
    (root / "link").symlink_to(tmp_path)
    (root / "dangling").symlink_to(tmp_path / "nowhere")
    assert confined(root, root / "a" / "b" / "c.txt") == root / "a" / "b" / "c.txt"
    assert confined(root, "a/x") == root / "a" / "x"
    for bad in (root / "link", root / "link" / "x.txt", root / "dangling", root / "a" / ".." / "a", tmp_path / "x"):
        with pytest.raises(PerfsheetError):
            confined(root, bad)


def test_safe_dir_and_writers_never_follow_a_link(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    outside = tmp_path / "outside"
    outside.mkdir()
    assert safe_dir(root, root / "x" / "y").is_dir()
    (root / "x" / "y" / "z").symlink_to(outside, target_is_directory=True)
    (root / "file").symlink_to(outside / "target")
    with pytest.raises(PerfsheetError):
        safe_dir(root, root / "x" / "y" / "z" / "deeper")
    with pytest.raises(PerfsheetError):
        write_bytes_atomic(root / "x" / "y" / "z" / "f.bin", b"data", root=root)
    with pytest.raises(PerfsheetError):
        write_bytes_atomic(root / "file", b"data", root=root)
    with pytest.raises(PerfsheetError):
        write_new_bytes(root / "file", b"data", root=root)
    with pytest.raises(PerfsheetError):
        os.close(open_no_follow(root, root / "file"))
    assert list(outside.iterdir()) == []
    (root / "plain").write_bytes(b"")
    with pytest.raises(PerfsheetError):
        safe_dir(root, root / "plain" / "sub")
    assert write_bytes_atomic(root / "x" / "ok.bin", b"ok", root=root).read_bytes() == b"ok"
