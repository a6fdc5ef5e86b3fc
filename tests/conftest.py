"""Shared fixtures: the embedded default registry, the 2025 goals document and the mail corpus.

Everything a test reads is in this repository or made by its scripts: the goals document the
embedded default is built from lives in ``tests/data/`` as the input it is, and the mail corpus is
written by ``scripts/make_mail_corpus.py`` into a temporary folder when the tests start.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from perfsheet.model import Department

if TYPE_CHECKING:
    from perfsheet.workspace import Workspace

# Real SMTP (aiosmtpd) and IMAP (Dovecot) servers as fixtures: smtp_server, smtp_auth_server,
# imap_server, imap_plain_server (tests/servers.py).
pytest_plugins = ["servers"]

REPO = Path(__file__).resolve().parent.parent
# Commands the tests run as subprocesses (python -m perfsheet) import this checkout, not whatever
# perfsheet happens to be installed.
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
SEED_TEXT = REPO / "tests" / "data" / "goals-document-2025.txt"


def _make_mail_corpus() -> Path:
    spec = importlib.util.spec_from_file_location("make_mail_corpus", REPO / "scripts" / "make_mail_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    folder = Path(tempfile.mkdtemp(prefix="perfsheet-mail-corpus-"))
    # Every pytest process (each xdist worker too) makes its own copy: removed when that process ends.
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    module.build(folder)
    return folder


# Made at import: test modules parametrize over its manifest when they are collected.
MAIL_FIXTURES = _make_mail_corpus()


@pytest.fixture(scope="session")
def default_department() -> Department:
    from perfsheet.goals.registry import load_default

    return load_default()


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED_TEXT.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's workspace after its monthly run (DEMO_PERIOD), made once per session: not to be
    changed — a test that writes to it takes :func:`demo_ws`."""
    from perfsheet.demo import DEMO_PERIOD, run_demo

    return run_demo(tmp_path_factory.mktemp("demo-session") / "out", DEMO_PERIOD).workspace.root


@pytest.fixture
def demo_ws(demo_root: Path, tmp_path: Path) -> Workspace:
    """A private copy of the demo workspace after its monthly run."""
    from perfsheet.workspace import Workspace

    copy = tmp_path / "workbooks"
    shutil.copytree(demo_root, copy)
    return Workspace.open(copy)
