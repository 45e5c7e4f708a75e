"""Benchmark: `secretsops check` on hostile files, each ~1 MB, built to make a pattern backtrack.

    python benchmarks/bench_check_hostile.py [--size 1000000]

Each file is committed alone to a fresh git repo and `secretsops check --format json` is timed on
it (wall, one run each). Target (brief: hostile files are refused or scanned in seconds): every
file under 5 s. The shapes are those that made a detector's regex quadratic before it was fixed:
long runs of name characters on a line holding a credential word, `a:a:a:…` lines, runs of a
token prefix (`sk-sk-…`, `xoxb-1-…`), unclosed `{{` in a template, `://` without a host, PEM
BEGIN lines without an END.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def shapes(size: int) -> dict[str, str]:
    line = 4000
    lines = max(1, size // (line + 1))
    return {
        "letters.py": ("password" + "a" * (line - 8) + "\n") * lines,
        "colons.properties": ("password:" + "a:" * (line // 2 - 6) + " b\n") * lines,
        "colons.yaml": "data: |\n" + ("  " + "a:" * (line // 2 - 4) + " b password\n") * lines,
        "openai.txt": "sk-" * (size // 3) + "T3BlbkFJ\n",
        "slack.txt": "xoxb-1-" * (size // 7) + "\n",
        "template.yaml": "a: " + "{{" * (size // 2) + "\n",
        "urls.yaml": "u: " + "a://" * (size // 4) + "\n",
        # a PEM header with no END: built here, so no key-shaped text is committed
        "pem.txt": ("-----BEGIN " + "PRIVATE KEY-----" + "a" * 100 + "\n") * (size // 128),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=1_000_000)
    args = parser.parse_args()
    exe = str(Path(sys.executable).parent / "secretsops")
    print("| file (~1 MB) | wall s | exit |\n|---|---:|---:|")
    for name, text in shapes(args.size).items():
        with tempfile.TemporaryDirectory() as tmp:
            repo = Path(tmp)
            subprocess.run(["git", "init", "-q", str(repo)], check=True)
            (repo / name).write_text(text)
            start = time.perf_counter()
            proc = subprocess.run(
                [exe, "check", "--no-progress", "--format", "json", "."],
                cwd=repo,
                capture_output=True,
                check=False,
            )
            wall = time.perf_counter() - start
            print(f"| `{name}` ({len(text):,} B) | {wall:.2f} | {proc.returncode} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
