"""`kg build` killed at random points (SIGINT or SIGKILL, while it asks the API, while it writes
files, or after a seeded random delay): the build folder never holds a half-written file, the cache
stays a sound SQLite database with whole rows, and the next build succeeds and gives the graph a
clean build gives.

CI runs a few interrupts; HYPOTHESIS_PROFILE=long (or bench/fuzz_long.py) runs many.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest

from conftest import DEFAULT_LIST
from kg.build import ListSource, build
from kg.enrich.cache import Cache
from kg.enrich.client import S2Client
from kg.store import GRAPH_FILES, STORE_FOLDER
from s2_fixtures import build_records
from s2_server import S2TestServer

# (chains, interrupts per chain): each chain starts from an empty folder and cache, with its own seed.
INTERRUPTS = {"ci": (1, 4), "long": (10, 6)}
PROFILE_NAME = os.environ.get("HYPOTHESIS_PROFILE", "ci")
if PROFILE_NAME not in INTERRUPTS:
    raise ValueError(f"HYPOTHESIS_PROFILE={PROFILE_NAME!r}: expected one of {sorted(INTERRUPTS)}")
CHAINS, PER_CHAIN = INTERRUPTS[PROFILE_NAME]
NAME = "awesome-moe-inference"
RUN_TIMEOUT = 180


@dataclass
class Interrupt:
    """Send `signal` once the build has sent `at` API requests, written `at` files, or run `at` seconds."""

    signal: signal.Signals
    trigger: str
    at: float

    def __str__(self) -> str:
        return f"{self.signal.name} after {self.at:g} {self.trigger}"


def interrupt_plan(seed: int, count: int, build_seconds: float) -> list[Interrupt]:
    """Seeded interrupts: the first while the cache is cold (during requests), then writes and delays."""
    rng = random.Random(seed)
    plan = [Interrupt(rng.choice([signal.SIGINT, signal.SIGKILL]), "requests", rng.randint(1, 2))]
    for n in range(1, count):
        trigger = ("writes", "seconds")[n % 2]
        at = rng.randint(1, 10) if trigger == "writes" else round(rng.uniform(0.2, 0.9) * build_seconds, 2)
        plan.append(Interrupt(rng.choice([signal.SIGINT, signal.SIGKILL]), trigger, at))
    return plan


def build_command(out: Path, cache: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "kg",
        "build",
        str(DEFAULT_LIST),
        "--name",
        NAME,
        "--out",
        str(out),
        "--cache",
        str(cache),
    ]


def written_since(folder: Path, started_ns: int) -> int:
    """Files (temp files too) written since `started_ns` in `folder` or the staging folder beside it
    that a build writes into before it swaps the finished build in."""
    count = 0
    for place in [folder, *folder.parent.glob(f".{folder.name}.staging-*")]:
        try:
            count += sum(1 for entry in os.scandir(place) if entry.stat().st_mtime_ns >= started_ns)
        except FileNotFoundError:
            pass
    return count


def run_build(server: S2TestServer, out: Path, cache: Path, interrupt: Interrupt | None = None):
    """Run `python -m kg build` against the test server; interrupt it as told. -> (fired, returncode, stderr)."""
    env = {**os.environ, "S2_API_URL": server.url}
    requests_before, started_ns, started = len(server.requests), time.time_ns(), time.monotonic()
    process = subprocess.Popen(
        build_command(out, cache), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    fired = False
    while interrupt and process.poll() is None and time.monotonic() - started < RUN_TIMEOUT:
        reached = {
            "requests": len(server.requests) - requests_before,
            "writes": written_since(out, started_ns),
            "seconds": time.monotonic() - started,
        }[interrupt.trigger]
        if reached >= interrupt.at:
            process.send_signal(interrupt.signal)
            fired = True
            break
        time.sleep(0.002)
    _, stderr = process.communicate(timeout=RUN_TIMEOUT)
    return fired, process.returncode, stderr


def is_temp(path: Path) -> bool:
    return path.name.startswith(".") or path.suffix in (".tmp", ".part")


def check_build_folder(out: Path) -> dict[str, bytes]:
    """Every file in `out` is whole: graph files parse, manifest.json is JSON. -> the files' bytes."""
    files = {}
    for path in sorted(out.iterdir()) if out.exists() else []:
        if is_temp(path) or path.name == STORE_FOLDER:  # the store is a folder Oxigraph itself keeps whole
            continue
        data = path.read_bytes()
        if path.name in GRAPH_FILES:
            quads = list(ox.parse(data, format=GRAPH_FILES[path.name]))
            assert quads, f"{path.name} is empty"
        elif path.suffix == ".json":
            json.loads(data)
        files[path.name] = data
    return files


def check_cache(folder: Path) -> None:
    """The SQLite file is sound and every row decodes; no edge list stored complete but short."""
    if not (folder / "s2-cache.sqlite3").exists():
        return
    with closing(sqlite3.connect(folder / "s2-cache.sqlite3")) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    cache = Cache(folder)
    try:
        rows = list(cache.rows())
        papers = {r["key"]: r["record"] for r in rows if r["kind"] == "paper"}
        for row in rows:
            if row["kind"] == "edges" and row["complete"] and row["direction"] in ("references", "citations"):
                count = papers[row["paper"]].get(
                    "referenceCount" if row["direction"] == "references" else "citationCount"
                )
                assert len(row["items"]) >= (count or 0), f"{row['paper']} {row['direction']} stored short"
    finally:
        cache.close()


def facts_of(folder: Path) -> set[str]:
    """The quads of a build folder's graph.trig but the provenance records (retrieval times differ)."""
    quads = ox.parse(path=str(folder / "graph.trig"), format=ox.RdfFormat.TRIG)
    return {str(q) for q in quads if "graph/provenance" not in str(q.graph_name)}


def what_was_built(manifest: bytes) -> tuple[dict, dict]:
    """A manifest's input and counts (its time and the run's request counts differ run to run)."""
    data = json.loads(manifest)
    return data["input"], data["counts"]


@pytest.fixture(scope="module")
def server():
    with S2TestServer(build_records()) as running:
        yield running


@pytest.fixture(scope="module")
def clean(server, tmp_path_factory):
    """A build nobody interrupted: its folder, and how long a whole `kg build` run takes."""
    out, cache = tmp_path_factory.mktemp("clean") / "out", tmp_path_factory.mktemp("clean-cache")
    client = S2Client(server.url)
    try:
        build(ListSource.from_path(DEFAULT_LIST, NAME), out, cache_dir=cache, client=client)
    finally:
        client.close()
    started = time.monotonic()
    _, code, stderr = run_build(server, tmp_path_factory.mktemp("timed") / "out", cache)
    assert code == 0, stderr
    return {"out": out, "seconds": time.monotonic() - started}


@pytest.mark.parametrize("seed", range(8, 8 + CHAINS))
def test_interrupted_builds_leave_whole_files_and_the_next_build_is_a_clean_build(server, clean, tmp_path, seed):
    out, cache = tmp_path / "out", tmp_path / "cache"
    left_behind: list[tuple[Interrupt, dict[str, bytes]]] = []
    plan = interrupt_plan(seed, PER_CHAIN, build_seconds=clean["seconds"])
    for interrupt in plan:
        fired, code, stderr = run_build(server, out, cache, interrupt)
        if not fired:
            assert code == 0, f"{interrupt}: the build ended before it and failed:\n{stderr}"
            continue
        if interrupt.signal == signal.SIGINT and interrupt.trigger != "seconds":
            assert code == 1 and "Traceback" not in stderr, f"{interrupt}: Ctrl-C should just abort:\n{stderr}"
        left_behind.append((interrupt, check_build_folder(out)))
        check_cache(cache)
    landed = [interrupt for interrupt, _ in left_behind]
    assert plan[0] in landed, "the cold-cache build should be interrupted while it asks the API"
    assert any(i.trigger == "writes" for i in landed), "no interrupt landed while files were written"

    _, code, stderr = run_build(server, out, cache)
    assert code == 0, stderr
    final = check_build_folder(out)
    assert [p.name for p in out.iterdir() if is_temp(p)] == [], "temp files left after a whole build"
    check_cache(cache)
    for interrupt, files in left_behind:
        for name, data in files.items():
            if name == "manifest.json":
                assert what_was_built(data) == what_was_built(final[name]), interrupt
            else:
                assert data == final[name], f"{interrupt} left a {name} unlike a whole build's"
    assert facts_of(out) == facts_of(clean["out"])
