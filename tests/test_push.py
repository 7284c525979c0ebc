"""`kg push` and `kg query --endpoint` against a real Oxigraph server.

The tests start `oxigraph serve` (from the `oxigraph` package) on 127.0.0.1 with a
temporary data folder, push builds to it through the Graph Store Protocol, and check
that every saved query answers the same there as on the local build.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.push import Endpoint, PushError, push
from kg.query import QueryError, collect
from kg.savedqueries import load_query, run_saved, saved_queries
from kg.vocab import COUNTS_GRAPH, LIST_GRAPH, S2_GRAPH, SNAPSHOT_GRAPH
from sparql_servers import free_port, wait_until_answering
from test_queries import KNOWN_ANSWERS, column, known_graph

FOREIGN_GRAPH = "https://example.org/team/notes"
# Parameters with non-empty answers on the default build (its 12 papers and the snapshot's edges).
DEFAULT_PARAMS = {
    "cites-across": {"from": "Pruning", "to": "Model Compression"},
    "citation-neighbourhood": {"paper": "2410.12013", "depth": "1"},
    "citation-path": {"from": "EPS-MoE", "to": "2112.06905"},
    "search-titles": {"text": "mixture"},
}


def oxigraph_executable() -> str:
    beside = Path(sys.executable).parent / "oxigraph"
    found = str(beside) if beside.exists() else shutil.which("oxigraph")
    if not found:
        pytest.fail("the `oxigraph` server is not installed: pip install 'oxigraph>=0.5,<0.6' (test extra)")
    return found


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A fresh `oxigraph serve` with an on-disk store, stopped after the module."""
    port = free_port()
    process = subprocess.Popen([oxigraph_executable(), "serve", "--location", str(tmp_path_factory.mktemp("oxigraph")),
                                "--bind", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    wait_until_answering(process, url + "/query", "oxigraph serve", 60)
    yield url
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture(scope="module")
def known_trig(tmp_path_factory):
    folder = tmp_path_factory.mktemp("known-build")
    known_graph().write(folder)
    return folder / "graph.trig"


def same_answers(local, remote, name: str, params: dict) -> list:
    here = collect(run_saved(local, load_query(name), params))
    there = collect(run_saved(remote, load_query(name), params))
    assert (there.variables, there.rows) == (here.variables, here.rows), name
    return here.rows


def test_every_saved_query_answers_the_same_on_the_server_as_locally(server, known_trig, default_build,
                                                                     default_graph):
    push(known_trig, server)
    remote = Endpoint(server)
    local = known_graph()
    for name, (params, wanted, expected) in KNOWN_ANSWERS.items():
        assert same_answers(local, remote, name, params), f"{name} has no rows to compare"
        assert column(remote, name, wanted, **params) == expected
    push(default_build.out, server)
    remote = Endpoint(server)
    answered = [name for name in saved_queries()
                if same_answers(default_graph, remote, name, DEFAULT_PARAMS.get(name, {}))]
    assert len(answered) >= 10, answered


def test_push_replaces_our_graphs_and_leaves_other_graphs_alone(server, known_trig, default_build):
    foreign = "<https://example.org/a> <https://example.org/says> \"kept\" .\n"
    httpx.put(server + "/store", params={"graph": FOREIGN_GRAPH}, content=foreign,
              headers={"content-type": "application/n-triples"}).raise_for_status()
    first = push(known_trig, server)
    assert set(first.triples) == {LIST_GRAPH.value, S2_GRAPH.value, COUNTS_GRAPH.value,
                                  "https://w3id.org/awesome-kg/id/graph/provenance"}
    second = push(default_build.out, server)
    assert second.removed == [S2_GRAPH.value]  # the default build was enriched from the snapshot instead
    assert SNAPSHOT_GRAPH.value in second.triples
    counts = Endpoint(server).query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    assert {row["g"].value: int(row["n"].value) for row in counts} == second.triples
    kept = httpx.get(server + "/store", params={"graph": FOREIGN_GRAPH}, headers={"accept": "application/n-triples"})
    assert kept.text == foreign
    assert "Oxigraph bulk load" in second.method


def test_kg_push_and_kg_query_endpoint_from_the_command_line(server, default_build):
    pushed = CliRunner().invoke(main, ["push", str(default_build.out), "--endpoint", server])
    assert pushed.exit_code == 0, pushed.output
    assert f"to {server}/store" in pushed.output and f"kg query --endpoint {server}/query most-cited" in pushed.output
    here = CliRunner().invoke(main, ["query", str(default_build.out), "papers-per-heading", "--format", "csv"])
    there = CliRunner().invoke(main, ["query", "--endpoint", f"{server}/query", "papers-per-heading", "--format", "csv"])
    assert there.exit_code == 0, there.output
    assert there.output == here.output and "Model Compression,2,0,7" in there.output
    adhoc = CliRunner().invoke(main, ["query", "--endpoint", server, "ASK { ?p a akg:ListedPaper }"])
    assert adhoc.output == "true\n"


def test_a_bad_query_against_the_server_points_at_the_error(server):
    with pytest.raises(QueryError, match="query error at line 2, column"):
        Endpoint(server).query("SELECT ?t WHERE {\n?p dcterms:title ?t .")


@pytest.mark.parametrize("path, message", [("/nothing-here", "answered HTTP 404")])
def test_a_wrong_endpoint_url_says_what_the_server_answered(server, path, message):
    with pytest.raises(QueryError, match=message):
        Endpoint(server + path).query("ASK {}")


def test_push_to_a_server_that_is_not_there_fails_clearly(default_build):
    with pytest.raises(PushError, match="cannot reach http://127.0.0.1:9/store"):
        push(default_build.out, "http://127.0.0.1:9")
    result = CliRunner().invoke(main, ["push", str(default_build.out), "--endpoint", "ftp://example.org"])
    assert result.exit_code == 1 and "expected an http(s) URL" in result.output


def test_push_needs_a_build_with_named_graphs(tmp_path, server):
    with pytest.raises(PushError, match="no such graph file"):
        push(tmp_path, server)
    (tmp_path / "graph.ttl").write_text("<urn:a> <urn:b> <urn:c> .\n")
    with pytest.raises(PushError, match="expected a build folder, a .trig or an .nq file"):
        push(tmp_path / "graph.ttl", server)
