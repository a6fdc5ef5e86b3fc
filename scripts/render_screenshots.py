"""Re-render the README's screenshots from the demo's own outputs (LibreOffice → PDF → PNG).

    python scripts/render_screenshots.py          # writes docs/template-example.png, docs/summary-example.png

Needs LibreOffice (``soffice``) and poppler (``pdftoppm``, ``pdftotext``). The pictures are the printed
pages as an office prints them, cropped to the part the README talks about; run it after any change to
the template or the summary workbook so the README never shows an older layout.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from perfsheet.demo import DEMO_PERIOD, run_demo

DOCS = Path(__file__).resolve().parent.parent / "docs"
A4_LANDSCAPE_PT = (842, 595)
TEMPLATE_PROJECT = "招商引资专项工作经费"


def _pdf(source: Path, out_dir: Path) -> Path:
    profile = out_dir / "lo-profile"
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(out_dir), str(source)],
        check=True, capture_output=True, timeout=300,
    )
    return out_dir / f"{source.stem}.pdf"


def _page_with(pdf: Path, word: str) -> int:
    """The first page (from 1) whose text holds ``word``."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for number, page in enumerate(text.split("\f"), start=1):
        if word in re.sub(r"\s+", "", page):
            return number
    raise SystemExit(f"{pdf.name}：找不到含“{word}”的页面")


def _png(pdf: Path, page: int, target: Path, *, dpi: int, top_fraction: float) -> None:
    """Page ``page`` at ``dpi``, the top ``top_fraction`` of its height kept."""
    width = round(A4_LANDSCAPE_PT[0] / 72 * dpi)
    height = round(A4_LANDSCAPE_PT[1] / 72 * dpi * top_fraction)
    stem = target.with_suffix("")
    subprocess.run(
        ["pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page), "-singlefile",
         "-x", "0", "-y", "0", "-W", str(width), "-H", str(height), str(pdf), str(stem)],
        check=True,
    )


def main() -> int:
    if not (shutil.which("soffice") and shutil.which("pdftoppm")):
        print("需要 LibreOffice（soffice）和 poppler（pdftoppm）", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        demo = run_demo(root / "demo", DEMO_PERIOD)
        summary_pdf = _pdf(demo.month.reports.workbook, root)
        # 项目执行 with its chart: the sheet a reader looks at first.
        _png(summary_pdf, _page_with(summary_pdf, "预计执行率"), DOCS / "summary-example.png",
             dpi=150, top_fraction=0.85)
        # A project with several kinds of indicator (数量/质量/时效/成本, 效益, 满意度).
        template = next(iter(sorted((root / "demo").rglob(f"outbox/*/templates/*{TEMPLATE_PROJECT}*.xlsx"))))
        _png(_pdf(template, root), 1, DOCS / "template-example.png", dpi=100, top_fraction=1.0)
    print(f"已更新 {DOCS / 'summary-example.png'} 和 {DOCS / 'template-example.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
