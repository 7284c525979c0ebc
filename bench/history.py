"""`kg history` over the whole real list: 88 versions, with a warm enrichment cache (target < 60 s).

Run: python bench/history.py   (prints a Markdown table; uses the test API server on 127.0.0.1)

The cache is warmed by a first run against the test server; the timed runs then go through
the same server and must send no request. Both sources are timed: the shared folder of
versions (index.tsv) and a git repository holding the same 88 versions as 88 commits.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from conftest import LISTS  # noqa: E402
from kg.curate.history import add_arxiv_dates, enrich_papers, read_versions, run_history, walk, write_history  # noqa: E402
from kg.enrich.client import RetryPolicy, S2Client  # noqa: E402
from s2_fixtures import build_records  # noqa: E402
from s2_server import S2TestServer  # noqa: E402

SLUG = "awesome-moe-inference"


def git_repository(path: Path) -> Path:
    """The shared versions as the commits of a git repository (dates from index.tsv)."""
    rows = list(csv.DictReader((LISTS / "index.tsv").read_text(encoding="utf-8").splitlines(), delimiter="\t"))
    git = ["git", "-C", str(path), "-c", "user.name=bench", "-c", "user.email=bench@example.org"]
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    for row in rows:
        (path / "README.md").write_bytes((LISTS / row["file"]).read_bytes())
        when = f"{row['date']}T12:00:00+00:00"
        subprocess.run(git + ["add", "README.md"], check=True)
        subprocess.run(
            git + ["commit", "-q", "--allow-empty", "-m", row["subject"]],
            check=True,
            env=os.environ | {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when},
        )
    return path


def timed(action):
    """(result, wall seconds); the CPU seconds of the last call are kept in CPU[0]."""
    start, cpu = time.perf_counter(), time.process_time()
    result = action()
    CPU[0] = time.process_time() - cpu
    return result, time.perf_counter() - start


CPU = [0.0]


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    cache = tmp / "cache"
    rows = []
    with S2TestServer(build_records()) as server:
        client = S2Client(server.url, policy=RetryPolicy(base_delay=0.05, max_delay=0.5, seed=1))
        (history, _), cold = timed(lambda: run_history(LISTS, tmp / "cold", slug=SLUG, cache_dir=cache, client=client))
        rows.append(("cold cache, folder of versions", f"{cold:.1f} s, {len(server.requests)} requests", ""))
        server.clear()
        (history, files), warm = timed(
            lambda: run_history(LISTS, tmp / "warm", slug=SLUG, cache_dir=cache, client=client)
        )
        rows.append(
            (
                f"warm cache, folder of {len(history.versions)} versions",
                f"{warm:.1f} s ({CPU[0]:.1f} s CPU), {len(server.requests)} requests",
                "< 60 s, 0 requests",
            )
        )
        versions, read = timed(lambda: read_versions(LISTS))
        walked, walk_time = timed(lambda: walk(versions, SLUG))
        records, enrich_time = timed(lambda: enrich_papers(walked, offline=False, cache_dir=cache, client=client))
        add_arxiv_dates(walked, records)
        _, write_time = timed(lambda: write_history(walked, tmp / "stages"))
        rows.append(
            (
                "  of which: read / parse and compare / enrich / graph, plots and report",
                f"{read:.2f} / {walk_time:.2f} / {enrich_time:.2f} / {write_time:.2f} s",
                "",
            )
        )
        repo, setup = timed(lambda: git_repository(tmp / f"{SLUG}.git"))
        server.clear()
        (git_history, _), git_time = timed(
            lambda: run_history(repo, tmp / "git", slug=SLUG, cache_dir=cache, client=client)
        )
        rows.append(
            (
                f"warm cache, git repository of {len(git_history.versions)} commits",
                f"{git_time:.1f} s ({CPU[0]:.1f} s CPU in this process), {len(server.requests)} requests",
                "< 60 s, 0 requests",
            )
        )
        client.close()
    same = all(
        (tmp / "warm" / f.name).read_bytes() == (tmp / "stages" / f.name).read_bytes()
        for f in files
        if f.suffix in (".png", ".svg", ".md")
    )
    rows.append(("plots and report byte-identical across runs", str(same), "True"))
    rows.append(
        (
            "papers, first version with papers -> last",
            f"{next(n for n in history.counts if n)} -> {history.counts[-1]} (max {max(history.counts)})",
            "",
        )
    )
    print("| measure | result | target |\n|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
