"""Benchmark perfsheet.mail: parsing the mail corpus (scripts/make_mail_corpus.py) and sanitising names.

Run: /work/venv/bin/python benchmarks/bench_mail.py   (prints median per-item figures)
"""

from __future__ import annotations

import importlib.util
import statistics
import tempfile
import time
from pathlib import Path

from perfsheet.mail.compose import build_message, message_bytes
from perfsheet.mail.names import safe_filename
from perfsheet.mail.parse import message_to_item

REPO = Path(__file__).resolve().parents[1]


def corpus() -> list[bytes]:
    """The messages the tests use, written by the repository's own generator."""
    spec = importlib.util.spec_from_file_location("make_mail_corpus", REPO / "scripts" / "make_mail_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with tempfile.TemporaryDirectory() as tmp:
        module.build(Path(tmp))
        return [p.read_bytes() for p in sorted(Path(tmp).glob("*.eml"))]


def median_seconds(action, repeat: int) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    messages = corpus()
    per_message = median_seconds(lambda: [message_to_item(m, "bench") for m in messages], 50) / len(messages)
    print(f"parse message (fixtures, ~{sum(map(len, messages)) // len(messages) // 1024} KB each): "
          f"{per_message * 1e3:.3f} ms median per message")
    names = ["../../evil.xlsx", "2025年法律援助-6月.xlsx", "很长的文件名" * 40 + ".xlsx", "CON.xlsx"] * 250
    per_name = median_seconds(lambda: [safe_filename(n) for n in names], 20) / len(names)
    print(f"safe_filename: {per_name * 1e6:.2f} µs median per name")
    payload = [("2025年6月-法律援助-预算绩效运行监控表.xlsx", messages[0][:20000])] * 3
    per_build = median_seconds(lambda: message_bytes(build_message(
        sender="办公室 <office@example.cn>", to="科长 <chief@example.cn>", subject="请报送6月监控表",
        body="您好", attachments=payload, message_id="<b@x>")), 50)
    print(f"build_message + serialise (3 attachments of 20 KB): {per_build * 1e3:.3f} ms median per message")


if __name__ == "__main__":
    main()
