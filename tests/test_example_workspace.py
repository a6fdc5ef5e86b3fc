"""The repository's workbooks/ is a ready workspace: what `perfsheet init` writes, and `perfsheet run`
from the repository root works on it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from perfsheet.workspace import Workspace, init_workspace

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "workbooks"
COMMITTED = ("perfsheet.yaml", "goals/2025.yaml")


def test_example_workspace_is_what_init_writes(tmp_path: Path) -> None:
    init_workspace(tmp_path / "workbooks")
    for name in COMMITTED:
        assert (EXAMPLE / name).read_bytes() == (tmp_path / "workbooks" / name).read_bytes(), (
            f"workbooks/{name} differs from what `perfsheet init` writes; refresh it with: "
            f"rm -r /tmp/ws && perfsheet init /tmp/ws && cp /tmp/ws/{name} workbooks/{name}"
        )


def test_run_from_the_repository_root(tmp_path: Path) -> None:
    # A copy of the repository root's workspace, so the test leaves the checkout untouched.
    for name in COMMITTED:
        (tmp_path / "workbooks" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(EXAMPLE / name, tmp_path / "workbooks" / name)

    def perfsheet(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "perfsheet", *args],
            capture_output=True, text=True, encoding="utf-8", cwd=tmp_path, check=False,
        )

    templates = perfsheet("templates", "--period", "2025-06")
    assert templates.returncode == 0, templates.stderr
    assert len(list((tmp_path / "workbooks" / "outbox" / "2025-06" / "templates").glob("*.xlsx"))) == 10  # nine projects and the 部门整体 form
    run = perfsheet("run", "--period", "2025-06")
    assert run.returncode == 1, run.stderr  # nothing received yet: every project is missing
    assert "Traceback" not in run.stderr and "未报送" in run.stdout
    reports = tmp_path / "workbooks" / "reports" / "2025-06"
    assert len(list(reports.glob("*汇总表.xlsx"))) == 1 and len(list(reports.glob("*情况说明.md"))) == 1


def test_commands_run_inside_a_workspace_folder_use_it(demo_ws: Workspace) -> None:
    """A clerk who has changed into the workspace folder (no ./workbooks below it) works on that
    folder: status reads its ledger, templates write into its outbox, not into ./templates-<期间>."""

    def perfsheet(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "perfsheet", *args], cwd=demo_ws.root, capture_output=True,
                              text=True, encoding="utf-8", check=False)

    status = perfsheet("status", "--period", "2025-06", "--json")
    assert status.returncode in (0, 1), status.stderr
    assert '"code"' in status.stdout and "不是 perfsheet 工作区" not in status.stderr
    shutil.rmtree(demo_ws.root / "outbox" / "2025-07", ignore_errors=True)
    templates = perfsheet("templates", "--period", "2025-07")
    assert templates.returncode == 0, templates.stderr
    assert len(list((demo_ws.root / "outbox" / "2025-07" / "templates").glob("*.xlsx"))) == 10
    assert not (demo_ws.root / "templates-2025-07").exists()
