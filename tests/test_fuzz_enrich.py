"""Enrichment against the test API server failing at random in every way it knows: rate limits,
gateway errors, hangs, closed connections, malformed or cut JSON, HTML instead of JSON, half
lists and records for papers that were not asked. Whatever happens, nothing escapes the build,
nothing wrong is cached, and a rerun without faults gives the graph a clean run gives.

CI runs a few fixed seeds; HYPOTHESIS_PROFILE=long (or bench/fuzz_long.py) runs many more.
"""

from __future__ import annotations

import os

import pytest

from conftest import LATEST_LIST
from kg.build import ListSource, build
from kg.enrich import enrich
from kg.enrich.cache import Cache
from kg.enrich.client import RetryPolicy, S2Client
from kg.graphmap import SOURCE_GRAPHS, enrichment_quads
from kg.progress import Silent
from kg.vocab import paper_iri
from s2_fixtures import build_records
from s2_server import FAULTS, Faults, S2TestServer

# Runs of the fault fuzz: a few fixed seeds in CI, many with HYPOTHESIS_PROFILE=long (as the parser fuzz).
RUNS = {"ci": 3, "long": 60}
PROFILE_NAME = os.environ.get("HYPOTHESIS_PROFILE", "ci")
if PROFILE_NAME not in RUNS:
    raise ValueError(f"HYPOTHESIS_PROFILE={PROFILE_NAME!r}: expected one of {sorted(RUNS)}")
FAULT_RATES = (0.15, 0.35, 0.6)
CLIENT_TIMEOUT = 1.0


@pytest.fixture(scope="module")
def records():
    return build_records()


@pytest.fixture(scope="module")
def latest():
    return ListSource.from_path(LATEST_LIST, "awesome-moe-inference").parse()


def fault_server(records, seed: int, rate: float) -> S2TestServer:
    """The test server with every fault it knows mixed in at `rate`; hangs outlast the client's timeout."""
    return S2TestServer(
        records, faults=Faults(rate=rate, mix=FAULTS, seed=seed, retry_after=0, hang_seconds=CLIENT_TIMEOUT + 0.5)
    )


def fast_client(server: S2TestServer, seed: int) -> S2Client:
    return S2Client(server.url, policy=RetryPolicy(base_delay=0.01, max_delay=0.05, seed=seed), timeout=CLIENT_TIMEOUT)


def enrich_against(server, parsed, cache_dir, seed: int = 0):
    """The build's enrichment stage (cache, API, snapshot) against `server`."""
    client = fast_client(server, seed)
    try:
        return enrich(
            parsed.papers,
            offline=False,
            cache_dir=cache_dir,
            refresh_older_than=None,
            contexts=False,
            progress=Silent(),
            client=client,
        )
    finally:
        client.close()


def facts(parsed, enrichments) -> set[str]:
    """The enrichment's quads but the provenance records (whose retrieval times differ run to run)."""
    return {str(q) for q in enrichment_quads(parsed, enrichments) if "graph/provenance" not in q[3]}


def cache_contents(folder) -> dict:
    """A cache's rows: lookups (key -> paper or None), paper records, and edge lists by (paper, direction)."""
    cache = Cache(folder)
    try:
        rows = list(cache.rows())
    finally:
        cache.close()
    return {
        "lookups": {r["lookup"]: r["paper"] for r in rows if r["kind"] == "lookup"},
        "papers": {r["key"]: r["record"] for r in rows if r["kind"] == "paper"},
        "edges": {(r["paper"], r["direction"]): r for r in rows if r["kind"] == "edges"},
    }


def edge_ids(row: dict) -> set[str]:
    return {item.get("paperId") or item.get("title") for item in row["items"]}


@pytest.fixture(scope="module")
def clean(records, latest, tmp_path_factory):
    """A run without faults: the graph and the cache every faulty run is held to."""
    folder = tmp_path_factory.mktemp("clean-cache")
    with S2TestServer(records) as server:
        enrichments, _ = enrich_against(server, latest, folder)
    return {"facts": facts(latest, enrichments), "cache": cache_contents(folder)}


def assert_nothing_wrong_cached(cached: dict, clean_cache: dict) -> None:
    """Every cached row is one a clean run also holds, and no edge list is cut short."""
    for lookup, paper in cached["lookups"].items():
        if paper is None:
            assert clean_cache["lookups"].get(lookup, "absent") is None, f"{lookup} cached as not found"
            continue
        record = cached["papers"][paper]
        kind, _, value = lookup.partition(":")
        ids = {k.upper(): str(v).lower() for k, v in (record.get("externalIds") or {}).items() if v}
        if kind != "TITLE":
            assert ids.get(kind) == value.lower(), f"{lookup} points to a record without that id: {paper}"
        assert clean_cache["lookups"].get(lookup) == paper, f"{lookup} -> {paper}, a clean run says otherwise"
    for key, record in cached["papers"].items():
        assert record == clean_cache["papers"][key], f"paper {key} cached with other facts than a clean run's"
    for (paper, direction), row in cached["edges"].items():
        record = cached["papers"][paper]
        count = record.get("referenceCount" if direction == "references" else "citationCount")
        whole = edge_ids(clean_cache["edges"][(paper, direction)])
        if row["complete"]:
            assert len(row["items"]) >= (count or 0), f"{paper} {direction}: cut list stored as complete"
            assert edge_ids(row) == whole
        else:
            assert edge_ids(row) <= whole, f"{paper} {direction}: a partial list with works a clean run lacks"


@pytest.mark.parametrize("seed", range(RUNS[PROFILE_NAME]))
def test_random_faults_never_escape_nor_poison_the_cache_and_a_rerun_converges(records, latest, clean, tmp_path, seed):
    rate = FAULT_RATES[seed % len(FAULT_RATES)]
    folder = tmp_path / "cache"
    with fault_server(records, seed, rate) as server:
        enrichments, report = enrich_against(server, latest, folder, seed)
        faults = sorted({r.fault for r in server.requests if r.fault})
    assert faults, "the server was asked to fail and did not"
    assert len(report.enriched) + len(report.from_snapshot) == len(enrichments)
    assert {p.key for p in latest.papers} - set(enrichments) <= set(report.unresolved), "an unenriched paper unreported"
    assert_nothing_wrong_cached(cache_contents(folder), clean["cache"])
    with S2TestServer(records) as server:
        again, report = enrich_against(server, latest, folder, seed)
    assert report.errors == [] and report.incomplete == []
    assert facts(latest, again) == clean["facts"], f"no convergence after faults {faults}"


@pytest.mark.parametrize("fault", ["503", "truncate"])
def test_citation_lists_cut_off_in_one_run_are_completed_by_the_next(records, tmp_path, fault):
    """Batch answers cap citations, so they are paged; the pages fail (503) or come back half
    (truncate). Nothing short may be cached as complete, and the next run completes them."""
    parsed = ListSource.shipped().parse()
    with S2TestServer(records) as server:
        clean_enrichments, _ = enrich_against(server, parsed, tmp_path / "clean-cache")
    with S2TestServer(records, citation_cap=1, faults=Faults(per_path={"citations": fault})) as server:
        _, report = enrich_against(server, parsed, tmp_path / "cache")
        assert server.counts["citations"] > 0
    assert report.incomplete
    assert_nothing_wrong_cached(cache_contents(tmp_path / "cache"), cache_contents(tmp_path / "clean-cache"))
    with S2TestServer(records) as server:
        again, report = enrich_against(server, parsed, tmp_path / "cache")
    assert report.incomplete == []
    assert facts(parsed, again) == facts(parsed, clean_enrichments)


def test_a_build_under_heavy_faults_completes_reports_and_rebuilds_like_a_clean_build(records, tmp_path):
    def build_with(server, cache, out, seed):
        client = fast_client(server, seed)
        try:
            return build(ListSource.shipped(), tmp_path / out, cache_dir=tmp_path / cache, client=client, contexts=True)
        finally:
            client.close()

    with S2TestServer(records) as server:
        reference = build_with(server, "clean-cache", "clean", 0)
    with fault_server(records, seed=3, rate=0.7) as server:
        faulty = build_with(server, "cache", "faulty", 3)
    report = faulty.manifest["enrichment"]
    assert report["errors"] or report["incomplete_edge_lists"] or report["from_snapshot"], (
        "at 70% faults something should have failed for good"
    )
    in_graphs = faulty.graph.query("SELECT DISTINCT ?p ?g WHERE { GRAPH ?g { ?p a fabio:Expression } }")
    enriched = {row["p"].value for row in in_graphs if row["g"].value in SOURCE_GRAPHS.values()}
    unreported = [
        p.key for p in faulty.parsed.papers if paper_iri(p.key) not in enriched and p.key not in report["unresolved"]
    ]
    assert unreported == [], "papers neither enriched nor reported"
    with S2TestServer(records) as server:
        rebuilt = build_with(server, "cache", "rebuilt", 4)
    assert rebuilt.manifest["enrichment"]["errors"] == []
    assert graph_facts(rebuilt) == graph_facts(reference)


def graph_facts(result) -> set[str]:
    return {str(q) for q in result.graph.store if "graph/provenance" not in str(q.graph_name)}
