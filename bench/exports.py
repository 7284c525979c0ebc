"""Are the related-work exports of the latest list ready for a paper? Figures for issue 14.

    python bench/exports.py

Builds the latest version of the awesome-moe-inference list (tests/data) against the
Semantic Scholar test server (tests/s2_server.py, which serves the nested fields and
enforces the API's 10 MB answer limit), then counts in references.bib: entries with an
`author` field out of all entries; entries whose year disagrees with the version they cite
(a venue naming another year; a paper the list tags with a venue and year, `[ICLR'25]`,
cited with another year; an arXiv preprint cited with another year than its id's); and the
requests the enrichment sent, by endpoint.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests")]
LATEST_LIST = ROOT / "tests" / "data" / "lists" / "awesome-moe-inference" / "2025-10-20_f7ccad0.md"

import bibtexparser  # noqa: E402

from kg.build import ListSource, build  # noqa: E402
from kg.enrich.client import RetryPolicy, S2Client  # noqa: E402
from kg.exports import is_preprint, related_work  # noqa: E402
from s2_fixtures import build_records  # noqa: E402
from s2_server import S2TestServer  # noqa: E402

VENUE_YEAR = re.compile(r"(?<!\d)(19|20)\d{2}(?!\d)")


def main() -> None:
    records = build_records()
    with tempfile.TemporaryDirectory() as work, S2TestServer(records) as server:
        client = S2Client(server.url, policy=RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05, seed=1))
        started = time.perf_counter()
        try:
            result = build(
                ListSource.from_path(LATEST_LIST, "awesome-moe-inference"),
                Path(work) / "out",
                cache_dir=Path(work) / "cache",
                client=client,
            )
        finally:
            client.close()
        seconds = time.perf_counter() - started
        bib = (result.out / "references.bib").read_text()
    entries = bibtexparser.parse_string(bib).entries
    with_authors = [e for e in entries if "author" in e.fields_dict]
    tagged = tag_years(result.graph)
    disagree = []
    for entry in entries:
        fields = entry.fields_dict
        venue = fields.get("booktitle") or fields.get("journal")
        year = fields["year"].value if "year" in fields else None
        named = VENUE_YEAR.search(venue.value) if venue else None
        if named and year and named.group(0) != year:
            disagree.append(f"{entry.key}: {venue.value} / year {year}")
        elif venue and entry.key in tagged and tagged[entry.key] != year:
            disagree.append(f"{entry.key}: the list tags it {tagged[entry.key]}, venue {venue.value} / year {year}")
        elif (
            not venue
            and "eprint" in fields
            and re.fullmatch(r"\d{4}\.\d{4,5}", fields["eprint"].value)
            and year != "20" + fields["eprint"].value[:2]
        ):
            disagree.append(f"{entry.key}: arXiv {fields['eprint'].value} / year {year}")
    answered = {name: n for name, n in sorted(server.counts.items())}
    print(
        f"list: {LATEST_LIST.name} ({result.manifest['counts']['listed_papers']} listed papers), "
        f"built in {seconds:.1f} s"
    )
    print(f"BibTeX entries with authors: {len(with_authors)} / {len(entries)}")
    print(f"entries whose year is not the year of the version cited: {len(disagree)}")
    for line in disagree:
        print("  " + line)
    print(f"requests: {sum(answered.values())} ({', '.join(f'{k} {v}' for k, v in answered.items())})")
    largest = max((r for r in server.sizes), default=0)
    print(f"largest answer: {largest / 1e6:.2f} MB (limit {server.answer_limit / 1e6:.0f} MB)")


def tag_years(graph) -> dict[str, str]:
    """Citation key -> the year of the list's venue tag, for papers tagged with a venue (not arXiv)."""
    works = related_work(graph).works
    rows = graph.query("SELECT ?w ?v ?y WHERE { ?w akg:listedVenue ?v ; akg:listedYear ?y }")
    return {
        works[r["w"].value].key: r["y"].value[:4]
        for r in rows
        if r["w"].value in works and not is_preprint(r["v"].value)
    }


if __name__ == "__main__":
    main()
