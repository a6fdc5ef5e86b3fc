"""Build the embedded 2025 goals registry (perfsheet/data/goals-2025.yaml) from the seed goals document.

    python scripts/build_default_goals.py            # rewrite the committed file
    python scripts/build_default_goals.py --check    # exit 1 if the committed file is out of date

The seed is the text export of 路南区司法局's 2025 goals document, kept as the input it is in
tests/data/goals-document-2025.txt. The roster (sections → chiefs, projects → sections)
lives separately in perfsheet/data/perfsheet.yaml and is not touched here.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "tests" / "data" / "goals-document-2025.txt"
TARGET = REPO / "perfsheet" / "data" / "goals-2025.yaml"


def build(seed: Path) -> str:
    from perfsheet.goals.document import import_goals_document
    from perfsheet.goals.registry import dump_goals

    return dump_goals(import_goals_document(seed))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="由种子绩效目标文档生成内置的 2025 年目标文件。")
    parser.add_argument("--seed", type=Path, default=SEED, help="绩效目标文档（.txt 或 .docx）")
    parser.add_argument("--check", action="store_true", help="只检查已提交的文件是否最新")
    args = parser.parse_args(argv)
    text = build(args.seed)
    if args.check:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET} 已过期；请运行 python scripts/build_default_goals.py", file=sys.stderr)
            return 1
        return 0
    from perfsheet.fsutil import write_text_atomic

    write_text_atomic(TARGET, text)
    print(f"已写入 {TARGET.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
