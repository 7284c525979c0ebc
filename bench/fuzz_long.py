"""The long robustness run, for local use (CI runs the same tests on a short budget).

    python bench/fuzz_long.py                 # everything: about 20-30 minutes on 2 cores
    python bench/fuzz_long.py parser enrich   # some of: parser, enrich, interrupt, throughput

parser, enrich and interrupt run tests/test_fuzz_parser.py, tests/test_fuzz_enrich.py and
tests/test_interrupt.py with HYPOTHESIS_PROFILE=long (thousands of generated lists, 60 fault
seeds, 10 chains of 6 interrupts); throughput times the parser on real list text repeated to
1, 10 and 50 MB (too slow for CI, and the figure the list-size limit should be set from).
Prints one Markdown table; exits 1 if any part failed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEST_FILES = {
    "parser": "tests/test_fuzz_parser.py",
    "enrich": "tests/test_fuzz_enrich.py",
    "interrupt": "tests/test_interrupt.py",
}
PARTS = (*TEST_FILES, "throughput")


def run_tests(part: str) -> tuple[bool, str]:
    """One test file under the long profile: (passed, pytest's summary line)."""
    command = [
        sys.executable,
        "-m",
        "pytest",
        TEST_FILES[part],
        "-q",
        "-p",
        "no:cacheprovider",
        "-o",
        "timeout=3600",
        "--hypothesis-show-statistics",
    ]
    result = subprocess.run(
        command, cwd=ROOT, env={**os.environ, "HYPOTHESIS_PROFILE": "long"}, capture_output=True, text=True
    )
    lines = result.stdout.strip().splitlines()
    if result.returncode:
        print(result.stdout[-6000:], result.stderr[-2000:], sep="\n", file=sys.stderr)
    return result.returncode == 0, lines[-1] if lines else result.stderr.strip()[-200:]


def parse_throughput() -> tuple[bool, str]:
    """Seconds to parse real list text repeated to 1, 10 and 50 MB, and MB/s at 50 MB."""
    sys.path.insert(0, str(ROOT))
    from kg.listparse import parse_list_text

    real = (ROOT / "tests/data/lists/awesome-moe-inference/2025-10-20_f7ccad0.md").read_text(encoding="utf-8")
    figures = []
    for megabytes in (1, 10, 50):
        text = real * (megabytes * 2**20 // len(real.encode()) + 1)
        started = time.perf_counter()
        parsed = parse_list_text(text, "repeated.md")
        seconds = time.perf_counter() - started
        figures.append(f"{megabytes} MB: {seconds:.1f} s ({len(parsed.warnings)} warnings)")
    return True, "; ".join(figures) + f"; {50 / seconds:.2f} MB/s"


def main(parts: list[str]) -> int:
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        print(f"unknown part(s) {unknown}: expected some of {', '.join(PARTS)}", file=sys.stderr)
        return 2
    rows, failed = [], False
    for part in parts or PARTS:
        started = time.perf_counter()
        passed, summary = parse_throughput() if part == "throughput" else run_tests(part)
        rows.append(f"| {part} | {'ok' if passed else 'FAILED'} | {time.perf_counter() - started:.0f} s | {summary} |")
        failed = failed or not passed
    print("| part | result | time | summary |\n|---|---|---|---|\n" + "\n".join(rows))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
