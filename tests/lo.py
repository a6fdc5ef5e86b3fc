"""LibreOffice headless as a second, real client for the tests: one conversion helper for every area.

A private user profile per run lets parallel test workers use LibreOffice side by side; one run converts
many files at once because startup costs seconds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path


def soffice() -> str | None:
    """The LibreOffice binary on PATH, or None when it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(files: list[Path], fmt: str, out_dir: Path, *, timeout: float = 300) -> list[Path]:
    """Convert ``files`` to ``fmt`` (pdf, ods, xls, "docx:MS Word 2007 XML" …) in ONE soffice run.

    Returns the outputs in the order of ``files``; raises when LibreOffice is missing or wrote nothing.
    """
    binary = soffice()
    if binary is None:
        raise RuntimeError("LibreOffice (soffice) is not installed")
    out_dir.mkdir(parents=True, exist_ok=True)
    profile = Path(os.environ.get("TMPDIR", "/tmp")) / f"perfsheet-lo-{uuid.uuid4().hex}"
    try:
        result = subprocess.run(
            [
                binary,
                f"-env:UserInstallation={profile.as_uri()}",
                "--headless",
                "--norestore",
                "--convert-to",
                fmt,
                "--outdir",
                str(out_dir),
                *[str(f) for f in files],
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    ext = fmt.split(":", 1)[0]
    outputs = [out_dir / f"{f.stem}.{ext}" for f in files]
    missing = [p for p in outputs if not p.exists()]
    if missing:
        raise RuntimeError(f"soffice did not write {missing}: {result.stdout}\n{result.stderr}")
    return outputs


def convert_one(source: Path, fmt: str, out_dir: Path, *, timeout: float = 180) -> Path:
    """Convert one file (see ``convert``); returns the new file."""
    return convert([source], fmt, out_dir, timeout=timeout)[0]
