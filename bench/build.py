"""Benchmarks for the skeleton and enrichment issues: build time, parse time, requests.

Run: python bench/build.py   (prints a Markdown table; uses the test API server on 127.0.0.1)
"""

from __future__ import annotations

import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from conftest import LATEST_LIST, list_versions  # noqa: E402
from kg.build import ListSource, build  # noqa: E402
from kg.enrich import enrich  # noqa: E402
from kg.enrich.client import RetryPolicy, S2Client  # noqa: E402
from kg.listparse import parse_list_file  # noqa: E402
from kg.progress import Silent  # noqa: E402
from s2_fixtures import build_records  # noqa: E402
from s2_server import Faults, S2TestServer  # noqa: E402


def best_of(runs: int, action) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    rows = []
    tmp = Path(tempfile.mkdtemp())
    latest = ListSource.from_path(LATEST_LIST, "awesome-moe-inference")
    seconds = best_of(3, lambda: build(latest, tmp / "offline", offline=True, cache_dir=tmp / "empty"))
    rows.append(("`kg build --offline`, latest list (in-process, no interpreter start)", f"{seconds:.2f} s", "< 2 s"))
    startup = best_of(5, lambda: subprocess.run([sys.executable, "-c", "pass"]))
    help_time = best_of(5, lambda: subprocess.run([sys.executable, "-m", "kg", "--help"], capture_output=True))
    rows.append(
        (
            "`kg --help` (whole process)",
            f"{help_time:.2f} s ({help_time - startup:.2f} s past interpreter start)",
            "< 0.3 s",
        )
    )
    versions = list_versions()
    parse = best_of(3, lambda: [parse_list_file(p) for p in versions])
    rows.append((f"parse all {len(versions)} versions", f"{parse:.2f} s", "< 5 s"))

    records = build_records()
    fast = RetryPolicy(base_delay=0.05, max_delay=0.5, seed=1)
    with S2TestServer(records) as server:
        client = S2Client(server.url, policy=fast)
        cold = build(latest, tmp / "cold", cache_dir=tmp / "cache", client=client)
        papers = cold.manifest["counts"]["listed_papers"]
        counts = dict(server.counts)
        rows.append(
            (
                "cold-cache requests, latest list",
                f"{len(server.requests)} ({counts.get('batch', 0)} batch, "
                f"{counts.get('match', 0)} title match, {counts.get('references', 0) + counts.get('citations', 0)}"
                f" edge pages)",
                f"≤ ceil({papers}/500) batch + matches + cut-off pages; one request per paper "
                f"and per edge list would be {3 * papers}",
            )
        )
        server.clear()
        warm = build(latest, tmp / "warm", cache_dir=tmp / "cache", client=client)
        parsed = latest.parse()
        enrich_time = best_of(
            3, lambda: enrich(parsed.papers, offline=False, cache_dir=tmp / "cache", progress=Silent(), client=client)
        )
        rows.append(("warm-cache requests", str(len(server.requests)), "0"))
        rows.append(("warm-cache enrich step", f"{enrich_time:.3f} s", "< 0.5 s"))
        server.clear()
        build(latest, tmp / "ctx", cache_dir=tmp / "cache", client=client, contexts=True)
        enriched = warm.manifest["enrichment"]["enriched"]
        rows.append(
            (
                "`--contexts` extra requests",
                f"{len(server.requests)} for {enriched} enriched papers",
                "one per listed paper",
            )
        )
        client.close()
    with S2TestServer(records, faults=Faults(rate=0.2, seed=3, retry_after=1)) as server:
        client = S2Client(server.url, policy=fast)
        faulty = build(latest, tmp / "faulty", cache_dir=tmp / "faulty-cache", client=client)
        client.close()
        failed = sum(1 for r in server.requests if r.fault)
        rows.append(
            (
                "20% failing requests (429/5xx)",
                f"{faulty.manifest['enrichment']['enriched']} of {enriched} "
                f"enriched; {failed} of {len(server.requests)} requests failed",
                "every paper enriched",
            )
        )
    print("| measure | result | target |\n|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    assert math.isfinite(seconds)


if __name__ == "__main__":
    main()
