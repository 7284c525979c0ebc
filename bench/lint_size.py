"""How `kg lint`'s time grows with the size of the list (issue: a 9.5 MB list took 233 s).

Run: python bench/lint_size.py [MB ...]   (default: 0.5 1 2 4 9.5)

Each size is a synthetic list from bench/synthetic_list.py (arXiv-tagged entries, heavy-tailed
years) with a sub-heading every ten entries, the density of real awesome lists. The list is
parsed and mapped to RDF without enrichment (lint reads the list's own facts); only
`kg.curate.lint.lint` is timed. The last column divides the time by n log2 n (n = entries):
it stays flat when lint is at most n log n, and grows with n when it is quadratic.
"""

from __future__ import annotations

import math
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from kg.build import ListSource  # noqa: E402
from kg.curate.lint import lint  # noqa: E402
from kg.graphmap import graph_provenance_quads, list_quads  # noqa: E402
from kg.store import KnowledgeGraph  # noqa: E402
from synthetic_list import make_list  # noqa: E402

BYTES_PER_ENTRY = 112  # a synthetic entry, its blank line and its share of the headings
ENTRIES_PER_HEADING = 10


def with_sub_headings(markdown: str) -> str:
    """The list with a `####` heading before every tenth entry (50 headings would be too few)."""
    lines, entries = [], 0
    for line in markdown.splitlines():
        if line.startswith("[Arxiv"):
            if entries % ENTRIES_PER_HEADING == 0:
                lines += [f"#### Topic {entries // ENTRIES_PER_HEADING + 1}", ""]
            entries += 1
        lines.append(line)
    return "\n".join(lines) + "\n"


def measure(megabytes: float, folder: Path) -> tuple[float, int, int, float]:
    """(MB written, entries, findings, seconds of lint) for a list of about `megabytes`."""
    papers = int(megabytes * 1e6 / BYTES_PER_ENTRY)
    text = with_sub_headings(make_list(papers, mean_references=1).markdown)
    path = folder / f"list-{megabytes}MB.md"
    path.write_text(text, encoding="utf-8")
    source = ListSource.from_path(path, "synthetic")
    parsed = source.parse()
    graph = KnowledgeGraph(
        list(list_quads(parsed, source.slug)) + list(graph_provenance_quads(source.sha256, source.slug))
    )
    start = time.perf_counter()
    findings = lint(graph)
    return len(text.encode()) / 1e6, len(parsed.papers), len(findings), time.perf_counter() - start


def main() -> None:
    sizes = [float(a) for a in sys.argv[1:]] or [0.5, 1, 2, 4, 9.5]
    print("| list | entries | findings | lint s | µs / (n log2 n) |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        for megabytes in sizes:
            size, entries, findings, seconds = measure(megabytes, Path(folder))
            per = 1e6 * seconds / (entries * math.log2(entries))
            print(f"| {size:.1f} MB | {entries} | {findings} | {seconds:.2f} | {per:.2f} |", flush=True)


if __name__ == "__main__":
    main()
