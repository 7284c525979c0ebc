"""The parser against an independent count, on every fixture list and every version of the shipped list.

For each list: the distinct papers tests/count_paper_links.py counts (regexes, no kg code), the
listed papers the parser gives, titles that read as a label, date or venue tag, titles carried by
two papers, the lines it skipped by kind and its warnings by code. Prints a Markdown table; exits 1
when any list's papers differ from the count or any title is wrong.

    python bench/list_formats.py            # every list
    python bench/list_formats.py --fixtures # the fixture lists only
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from count_paper_links import count  # noqa: E402
from kg.listparse import parse_list_file  # noqa: E402

LISTS = ROOT / "tests" / "data" / "lists"
NOT_A_TITLE = re.compile(
    r"^\[?\s*(?:(?:\d{1,2}\s+)?[A-Z][a-z]{2,8}\.?\s+\d{4}|[A-Za-z]+\s?['’]?\d{2,4}(?:\.\d{1,2})?"
    r"|\d{4}(?:[-./]\d{1,2}){0,2}|pdf|paper|code|github|repo|link|arxiv|tech report)\s*\]?$",
    re.I,
)


def targets(fixtures_only: bool) -> list[Path]:
    fixtures = sorted(p for p in LISTS.iterdir() if (p / "README.md").is_file())
    versions = [] if fixtures_only else sorted((LISTS / "awesome-moe-inference").glob("*.md"))
    return fixtures + versions


def row(target: Path) -> tuple[str, int, int, int, int, str, str]:
    parsed = parse_list_file(target)
    titles = [re.sub(r"[^0-9a-z]+", " ", t.lower()).strip() for p in parsed.papers for t in p.titles]
    wrong = sum(1 for p in parsed.papers for t in p.titles if NOT_A_TITLE.match(t))
    shared = sum(1 for n in Counter(titles).values() if n > 1)
    skipped = ", ".join(f"{kind} {n}" for kind, n in parsed.skipped_by_kind().items()) or "-"
    warnings = ", ".join(f"{code} {n}" for code, n in sorted(Counter(w.code for w in parsed.warnings).items())) or "-"
    return str(target.relative_to(LISTS)), count(target), len(parsed.papers), wrong, shared, skipped, warnings


def main() -> int:
    rows = [row(target) for target in targets("--fixtures" in sys.argv)]
    print(
        "| list | expected | got | label/date/tag titles | titles on two papers | skipped by kind | warnings by code |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, expected, got, labels, shared, skipped, warnings in rows:
        print(f"| {name} | {expected} | {got} | {labels} | {shared} | {skipped} | {warnings} |")
    wrong = [r for r in rows if r[1] != r[2] or r[3] or r[4]]
    print(
        f"\n{len(rows) - len(wrong)} of {len(rows)} lists: listed papers equal the independent count, "
        f"no title is a label, date or venue tag, no title is on two papers"
    )
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
