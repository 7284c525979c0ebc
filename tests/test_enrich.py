"""Enrichment against a real HTTP server speaking the Graph API, with its fault modes."""

from __future__ import annotations

import json
import math
import sqlite3

import pytest
from click.testing import CliRunner

from conftest import DATA, LATEST_LIST
from kg.build import ListSource, build
from kg.cli import main
from kg.enrich.cache import Cache
from kg.enrich.client import RetryPolicy, S2Client
from kg.enrich.snapshot import convert_seed, shipped_rows
from s2_fixtures import build_records
from s2_server import Faults, S2TestServer

FAST = RetryPolicy(attempts=6, base_delay=0.01, max_delay=0.05, seed=1)


@pytest.fixture(scope="module")
def records():
    return build_records()


def latest():
    return ListSource.from_path(LATEST_LIST, "awesome-moe-inference")


def build_against(server, tmp_path, source=None, *, cache="cache", out="out", policy=FAST, timeout=5.0, **options):
    client = S2Client(server.url, policy=policy, timeout=timeout)
    try:
        result = build(source or latest(), tmp_path / out, cache_dir=tmp_path / cache, client=client, **options)
    finally:
        client.close()
    return result


def facts(result) -> set[str]:
    """Every quad but the provenance records (whose retrieval times differ run to run)."""
    return {str(q) for q in result.graph.store if "graph/provenance" not in str(q.graph_name)}


def listed_with_s2_ids(result) -> set[str]:
    rows = result.graph.query("SELECT ?p WHERE { ?p a akg:ListedPaper ; akg:s2PaperId ?id }")
    return {r["p"].value for r in rows}


def test_latest_list_is_enriched_with_few_requests_and_a_warm_rebuild_sends_none(records, tmp_path):
    with S2TestServer(records) as server:
        first = build_against(server, tmp_path)
        report = first.manifest["enrichment"]
        papers = first.manifest["counts"]["listed_papers"]
        matches = server.counts["match"]
        assert server.counts["batch"] <= math.ceil(papers / 500) + 1  # ids, then matched papers' edges
        assert (
            report["requests"]
            == len(server.requests)
            == server.counts["batch"] + matches + server.counts["references"] + server.counts["citations"]
        )
        assert len(server.requests) < papers / 3  # one per paper would be 156+
        server.clear()
        second = build_against(server, tmp_path, out="again")
        assert len(server.requests) == 0 and second.manifest["enrichment"]["requests"] == 0
    for name in ("graph.ttl", "graph.trig"):
        assert (first.out / name).read_bytes() == (second.out / name).read_bytes()
    unresolved = report["unresolved"]
    assert all("openreview" in k or "shaohuais" in k or k.startswith("url:") for k in unresolved), unresolved
    assert len(listed_with_s2_ids(first)) == report["enriched"] == papers - len(unresolved) >= 120  # 127 listed


def test_unknown_ids_are_reported_not_guessed(records, tmp_path):
    text = (
        "# L\n## A\n[Arxiv'24] [Fiddler](https://arxiv.org/abs/2402.07033)\n\n"
        "[Arxiv'24] [Nobody wrote this](https://arxiv.org/abs/2401.99999)\n"
    )
    listfile = tmp_path / "README.md"
    listfile.write_text(text)
    with S2TestServer(records) as server:
        result = build_against(server, tmp_path, ListSource.from_path(listfile))
    assert result.manifest["enrichment"]["unresolved"] == {
        "arxiv:2401.99999": "ARXIV:2401.99999 not found in Semantic Scholar; no Semantic Scholar title match"
    }
    assert result.manifest["enrichment"]["enriched"] == 1


@pytest.mark.parametrize("fault", ["429", "500", "502", "503", "504", "close", "malformed", "html", "short", "hang"])
def test_each_fault_mode_is_retried_and_nothing_is_lost(records, tmp_path, fault):
    with S2TestServer(records, faults=Faults(retry_after=1, hang_seconds=2.0)) as server:
        server.fail_next(fault, 2)
        result = build_against(server, tmp_path, ListSource.shipped(), timeout=1.0)
        faulted = [r for r in server.requests if r.fault]
    report = result.manifest["enrichment"]
    assert len(faulted) == 2 and report["errors"] == []
    assert report["enriched"] == 12 and report["from_snapshot"] == 0
    if fault == "429":
        assert report["waited_seconds"] >= 2.0  # Retry-After: 1, twice


def test_retry_after_is_honoured(records, tmp_path):
    with S2TestServer(records, faults=Faults(queue=["429"], retry_after=2)) as server:
        client = S2Client(server.url, policy=FAST, timeout=5.0)
        client.batch(["ARXIV:2402.07033"], ["title"])
        client.close()
    assert client.requests == 2 and client.waited == 2.0


def test_a_record_for_another_paper_is_not_stored(records, tmp_path):
    with S2TestServer(records) as server:
        server.fail_next("foreign", 1)
        result = build_against(server, tmp_path, ListSource.shipped())
    report = result.manifest["enrichment"]
    assert any("answer was for another paper" in e for e in report["errors"])
    cache = Cache(tmp_path / "cache")
    wrong = [
        row
        for row in cache.rows()
        if row["kind"] == "lookup"
        and row["paper"]
        and cache.paper(row["paper"])
        and row["lookup"].startswith("ARXIV:")
        and row["lookup"].split(":")[1] != (cache.paper(row["paper"])["record"]["externalIds"].get("ArXiv"))
    ]
    assert wrong == []


def test_a_truncated_citation_list_is_paged_and_never_stored_short(records, tmp_path):
    with S2TestServer(records, citation_cap=5) as server:
        result = build_against(server, tmp_path)
        pages = server.counts["citations"]
    assert pages > 0
    cache = Cache(tmp_path / "cache")
    complete = [
        (json.loads(record), cache.edges(key, "citations"))
        for key, record in cache.db.execute("SELECT key, record FROM papers").fetchall()
    ]
    complete = [(record, edges) for record, edges in complete if edges and edges["complete"]]
    assert any(record["citationCount"] > 5 for record, _ in complete)  # lists that needed paging are among them
    for record, edges in complete:
        assert len(edges["items"]) >= record["citationCount"]
    assert result.manifest["enrichment"]["incomplete_edge_lists"] == []


def test_empty_answers_are_never_cached_as_no_references(records, tmp_path):
    with S2TestServer(
        records, faults=Faults(per_path={"references": "truncate", "citations": "truncate"}), citation_cap=0
    ) as server:
        result = build_against(server, tmp_path, ListSource.shipped())
    cache = Cache(tmp_path / "cache")
    empty = cache.db.execute(
        "SELECT COUNT(*) FROM edges WHERE items = '[]' AND complete = 1 AND paper IN "
        "(SELECT key FROM papers WHERE json_extract(record, '$.citationCount') > 0)"
    ).fetchone()
    assert empty[0] == 0
    assert result.manifest["enrichment"]["incomplete_edge_lists"]


def test_twenty_percent_faults_still_enrich_every_paper(records, tmp_path):
    with S2TestServer(records) as clean:
        reference = build_against(clean, tmp_path, cache="clean-cache", out="clean")
    with S2TestServer(records, faults=Faults(rate=0.2, seed=7, retry_after=0)) as server:
        result = build_against(server, tmp_path)
        assert any(r.fault for r in server.requests)
    assert result.manifest["enrichment"]["enriched"] == reference.manifest["enrichment"]["enriched"]
    assert facts(result) == facts(reference)  # the same graph but for retrieval times


def test_a_run_that_gave_up_resumes_where_it_stopped(records, tmp_path):
    with S2TestServer(records, faults=Faults(per_path={"match": "503"})) as server:
        first = build_against(server, tmp_path, policy=RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.02))
        assert first.manifest["enrichment"]["errors"]
        server.faults.per_path.clear()
        server.clear()
        second = build_against(server, tmp_path, out="second")
        assert server.counts["batch"] <= 1 and server.counts["match"] > 0  # only what was missing
    assert second.manifest["enrichment"]["errors"] == []
    assert second.manifest["enrichment"]["enriched"] > first.manifest["enrichment"]["enriched"]


def test_api_key_goes_to_the_api_only(records, tmp_path, monkeypatch):
    monkeypatch.setenv("S2_API_KEY", "secret-key-123")
    with S2TestServer(records, api_key="secret-key-123") as server:
        result = build_against(server, tmp_path, ListSource.shipped())
        assert {r.api_key for r in server.requests} == {"secret-key-123"}
    for path in [p for folder in (result.out, tmp_path / "cache") for p in folder.rglob("*") if p.is_file()]:
        assert b"secret-key-123" not in path.read_bytes(), path


def test_contexts_pass_adds_one_request_per_listed_paper(records, tmp_path):
    with S2TestServer(records) as server:
        build_against(server, tmp_path, ListSource.shipped())
        server.clear()
        result = build_against(server, tmp_path, ListSource.shipped(), contexts=True, out="contexts")
        assert len(server.requests) == server.counts["references"] == 12
    rows = list(
        result.graph.query("SELECT ?c WHERE { ?c a cito:Citation ; cito:hasCitingEntity ?a ; cito:hasCitedEntity ?b }")
    )
    assert rows


def test_offline_build_sends_nothing_and_uses_the_snapshot(records, tmp_path):
    with S2TestServer(records) as server:
        result = build_against(server, tmp_path, ListSource.shipped(), offline=True)
        assert server.requests == []
    assert result.manifest["enrichment"]["from_snapshot"] == 12


def test_shipped_snapshot_is_the_seed_in_cache_format():
    seed = json.loads((DATA / "seed-snapshot.json").read_text())
    assert shipped_rows() == json.loads(json.dumps(convert_seed(seed)))
    unread = [p["key"] for p in seed["papers"] if not p["references_read"]]
    edges = {r["paper"] for r in shipped_rows() if r["kind"] == "edges"}
    assert not {f"snapshot:{k}" for k in unread} & edges  # unknown, not "no references"


def test_cache_export_import_and_stats(records, tmp_path):
    with S2TestServer(records) as server:
        build_against(server, tmp_path, ListSource.shipped())
    runner = CliRunner()
    exported = tmp_path / "cache.jsonl"
    assert runner.invoke(main, ["cache", "export", str(exported), "--cache", str(tmp_path / "cache")]).exit_code == 0
    result = runner.invoke(main, ["cache", "import", str(exported), "--cache", str(tmp_path / "other")])
    assert result.exit_code == 0, result.output
    stats = runner.invoke(main, ["cache", "stats", "--cache", str(tmp_path / "other")]).output
    assert "papers: 12" in stats
    broken = tmp_path / "broken.jsonl"
    broken.write_text(exported.read_text().splitlines()[0] + "\n{not json\n")
    bad = runner.invoke(main, ["cache", "import", str(broken), "--cache", str(tmp_path / "third")])
    assert bad.exit_code == 1 and "broken.jsonl:2" in bad.output and "nothing was imported" in bad.output


def test_enrich_command_refreshes_stale_records(records, tmp_path):
    with S2TestServer(records) as server:
        client_env = {"S2_API_URL": server.url}
        runner = CliRunner(env=client_env)
        out, cache = tmp_path / "b", tmp_path / "c"
        assert runner.invoke(main, ["build", "--out", str(out), "--cache", str(cache)]).exit_code == 0
        server.clear()
        assert runner.invoke(main, ["enrich", str(out), "--cache", str(cache)]).exit_code == 0
        assert server.requests == []
        result = runner.invoke(main, ["enrich", str(out), "--cache", str(cache), "--refresh-older-than", "0m"])
        assert result.exit_code == 0, result.output
        assert (server.counts["batch"], server.counts["match"]) == (2, 2)  # everything asked again


def test_two_builds_share_one_cache(records, tmp_path):
    import threading

    with S2TestServer(records) as server:
        results = []
        threads = [
            threading.Thread(
                target=lambda n=n: results.append(build_against(server, tmp_path, ListSource.shipped(), out=f"out{n}"))
            )
            for n in range(2)
        ]
        [t.start() for t in threads]
        [t.join() for t in threads]
    assert [r.manifest["enrichment"]["enriched"] for r in results] == [12, 12]
    sqlite3.connect(tmp_path / "cache" / "s2-cache.sqlite3").execute("PRAGMA integrity_check").fetchone()


def test_server_serves_nested_authors_venue_and_date_as_the_api_does(records):
    citing = next(r for r in records if len(r.get("references") or []) > 3 and r["references"][0].get("paperId"))
    fields = ["references.authors", "references.venue", "references.publicationDate", "references.externalIds"]
    with S2TestServer(records) as server:
        client = S2Client(server.url, policy=FAST)
        try:
            [answer] = client.batch([citing["paperId"]], fields)
        finally:
            client.close()
    cited = answer["references"][0]
    assert set(answer) == {"paperId", "references"}
    assert set(cited) == {"paperId", "authors", "venue", "publicationDate", "externalIds"}
    assert cited["authors"] and all(set(a) == {"authorId", "name"} for a in cited["authors"])  # the two always given


def test_answers_over_the_10_mb_limit_are_asked_again_in_smaller_batches(records, tmp_path):
    with S2TestServer(records) as server:
        whole = build_against(server, tmp_path, out="whole", cache="cache-whole")
        batches = server.counts["batch"]
    limit = 150_000
    with S2TestServer(records, answer_limit=limit) as server:
        split = build_against(server, tmp_path, out="split", cache="cache-split")
        assert server.counts["batch"] > batches
        assert max(server.sizes) <= limit  # every answer, the refusals of too large ones too
    assert split.manifest["enrichment"]["errors"] == []
    assert facts(split) == facts(whole)  # the same graph, only in more requests
    outside = {
        r["w"].value
        for r in split.graph.query(
            "SELECT ?w WHERE { ?w akg:s2PaperId ?id FILTER NOT EXISTS { ?w a akg:ListedPaper } }"
        )
    }
    with_authors = {r["w"].value for r in split.graph.query("SELECT ?w WHERE { ?w akg:authorship ?a }")}
    assert outside and outside <= with_authors  # every outside work S2 knows has its authors


def test_a_page_of_edges_over_the_limit_is_asked_again_in_smaller_pages(records, tmp_path):
    from kg.enrich.enricher import EDGE_FIELDS, Enricher

    cited = max(records, key=lambda r: len(r.get("citations") or []))
    assert len(cited["citations"]) > 10
    with S2TestServer(records, answer_limit=8_000) as server:
        client = S2Client(server.url, policy=FAST)
        try:
            items = Enricher(Cache(tmp_path / "cache"), client=client).edge_items(
                cited["paperId"], "citations", list(EDGE_FIELDS)
            )
        finally:
            client.close()
        pages = [r.query["limit"] for r in server.requests]
    assert [item["citingPaper"]["paperId"] for item in items] == [c["paperId"] for c in cited["citations"]]
    assert pages[:3] == ["1000", "100", "10"] and set(pages[2:]) == {"10"}
    assert all("authors" in item["citingPaper"] for item in items)  # asked for, and served


def test_edge_lists_cached_without_authors_are_fetched_again_once(records, tmp_path, monkeypatch):
    from kg.enrich import enricher

    with S2TestServer(records) as server:
        with monkeypatch.context() as old_version:  # a cache written when edges carried no authors
            old_version.setattr(enricher, "EDGE_FIELDS", ("paperId", "externalIds", "title", "year"))
            before = build_against(server, tmp_path, out="before")
        server.clear()
        after = build_against(server, tmp_path, out="after")
        assert server.counts["batch"] == server.counts["match"] == 0  # records come from the cache
        assert server.counts["references"] + server.counts["citations"] > 0
        server.clear()
        again = build_against(server, tmp_path, out="again")
        assert len(server.requests) == 0  # once
    query = "SELECT ?w WHERE { ?w akg:s2PaperId ?id ; akg:authorship ?a FILTER NOT EXISTS { ?w a akg:ListedPaper } }"
    authored = [{r["w"].value for r in result.graph.query(query)} for result in (before, after, again)]
    assert not authored[0] and authored[1] and authored[1] == authored[2]
