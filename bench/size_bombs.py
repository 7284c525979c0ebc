"""Size bombs (issue 15, item 14): how long `kg build` takes on oversized fields and lists.

    python bench/size_bombs.py                      # every case, 300 s limit each
    python bench/size_bombs.py --cases api-title-1mb list-title-1mb --limit 60
    PYTHONPATH=OLD_CHECKOUT python bench/size_bombs.py   # the same cases against another version of kg

Each case is one fresh `python -m kg build` process, timed from start to exit, with its exit
code and the last line it printed (refused cases say why). List cases build offline from a
generated list; API cases serve the latest test list's records from the test API server
(tests/s2_server.py) with one field blown up, the way a hostile or broken API would answer.
API cases build only the list's entries whose paper link is an arXiv page (fetched by batch): a title match
would make the test server itself compare every query with the megabyte title, and its
time would be counted as ours. A case that does not finish within the limit is reported.
"""

from __future__ import annotations

import argparse
import copy
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests")]

LATEST_LIST = ROOT / "tests" / "data" / "lists" / "awesome-moe-inference" / "2025-10-20_f7ccad0.md"
MB = 1_000_000
ARXIV_ENTRY = re.compile(r"\[[^\]]*\] \[[^\]]*\]\(https://arxiv\.org/abs/\d{4}\.\d{4,5}\)")  # the paper's own link


def list_with_title(chars: int) -> str:
    return f"# Bomb\n\n## Papers\n\n- [{'A' * chars}](https://arxiv.org/abs/2401.04088)\n"


def list_of_papers(count: int) -> str:
    """A plain list of `count` distinct arXiv papers under ten headings (scaling, not a bomb)."""
    lines = ["# Many", ""]
    for index in range(count):
        if index % (count // 10 or 1) == 0:
            lines += ["", f"## Heading {index // (count // 10 or 1)}", ""]
        lines.append(f"- [Sparse expert routing study number {index}](https://arxiv.org/abs/2401.{index:05d})")
    return "\n".join(lines) + "\n"


def records_with(field: str | None, chars: int) -> list[dict]:
    """The test records with one outside work's `field` (in every list that cites it) `chars` long,
    or with `listed:field` that field of one listed paper's own record."""
    from s2_fixtures import build_records

    records = copy.deepcopy(build_records())
    if field is None:
        return records
    text = LATEST_LIST.read_text(encoding="utf-8")
    if field.startswith("listed:"):
        listed = next(
            record for record in records if f"arxiv.org/abs/{(record.get('externalIds') or {}).get('ArXiv')})" in text
        )
        listed[field.removeprefix("listed:")] = "B" * chars
        return records
    target = next(
        item
        for record in records
        for item in record.get("references") or []
        if item.get("paperId") and item.get("title") and item["title"] not in text
    )
    for item in (item for record in records for item in record.get("references") or []):
        if item.get("paperId") == target["paperId"]:
            item[field] = "B" * chars
    return records


LIST_CASES = {
    "list-title-9k": lambda: list_with_title(9_000),
    "list-title-1mb": lambda: list_with_title(MB),
    "list-title-10mb": lambda: list_with_title(10 * MB),
    "list-1000-papers": lambda: list_of_papers(1_000),
    "list-4000-papers": lambda: list_of_papers(4_000),
    "list-16000-papers": lambda: list_of_papers(16_000),
}
API_CASES = {
    "api-no-bomb": (None, 0),  # the same build with honest records, for comparison
    "api-title-100k": ("title", 100_000),
    "api-title-1mb": ("title", MB),
    "api-title-10mb": ("title", 10 * MB),
    "api-abstract-10mb": ("abstract", 10 * MB),
    "api-listed-title-1mb": ("listed:title", MB),  # the record of a listed paper, not an outside work
    "api-listed-title-10mb": ("listed:title", 10 * MB),
}


def run_build(args: list[str], limit: float, env: dict | None = None) -> dict:
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "kg", "build", "--quiet", *args],
            capture_output=True,
            text=True,
            timeout=limit,
            env={**os.environ, **(env or {})},
        )
    except subprocess.TimeoutExpired:
        return {"seconds": None, "exit": None, "said": f"did not finish in {limit:.0f} s"}
    lines = (done.stderr.strip() or done.stdout.strip() or "").splitlines() or [""]
    return {"seconds": round(time.perf_counter() - started, 2), "exit": done.returncode, "said": lines[-1][:160]}


def run_case(name: str, limit: float, work: Path) -> dict:
    out, cache = work / f"out-{name}", work / f"cache-{name}"
    if name in LIST_CASES:
        listfile = work / f"{name}.md"
        listfile.write_text(LIST_CASES[name](), encoding="utf-8")
        return run_build([str(listfile), "--offline", "--out", str(out), "--cache", str(cache)], limit)
    from s2_server import S2TestServer

    field, chars = API_CASES[name]
    listfile = work / f"{name}.md"
    listfile.write_text(arxiv_entries(), encoding="utf-8")
    with S2TestServer(records_with(field, chars)) as server:
        return run_build(
            [str(listfile), "--name", "bomb", "--out", str(out), "--cache", str(cache)],
            limit,
            env={"S2_API_URL": server.url},
        )


def arxiv_entries() -> str:
    """The latest test list cut to its headings and its arXiv entries."""
    lines = LATEST_LIST.read_text(encoding="utf-8").splitlines()
    return "\n\n".join(line for line in lines if line.startswith("#") or ARXIV_ENTRY.match(line)) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="*", default=[*LIST_CASES, *API_CASES], choices=[*LIST_CASES, *API_CASES])
    parser.add_argument("--limit", type=float, default=300.0, help="Seconds a case may take.")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kg-size-bombs-") as folder:
        print(f"{'case':<20} {'seconds':>9} {'exit':>5}  last line")
        for name in options.cases:
            result = run_case(name, options.limit, Path(folder))
            seconds = "-" if result["seconds"] is None else f"{result['seconds']:.2f}"
            print(f"{name:<20} {seconds:>9} {str(result['exit']):>5}  {result['said']}", flush=True)


if __name__ == "__main__":
    main()
