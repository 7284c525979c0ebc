"""`kg serve`: a real server process, spoken to by SPARQLWrapper and by plain HTTP.

Each server is `python -m kg serve BUILD` on a free port of 127.0.0.1, stopped after
the module; what it answers is compared with the same query run on the local build.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from SPARQLWrapper import CSV, JSON, POST, TSV, TURTLE, XML, SPARQLWrapper

from conftest import LATEST_LIST
from kg.cli import main
from kg.query import collect
from kg.savedqueries import load_query, run_saved
from kg.serve import negotiate, query_page, remote_targets
from sparql_servers import RecordingServer, build_list, free_port, wait_until_answering

CHROMIUM = Path("/usr/bin/chromium")

TITLES = "SELECT ?paper ?title WHERE { ?paper a akg:ListedPaper ; dcterms:title ?title } ORDER BY ?title"
TOKEN = "test-token-8d1f"
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def start_server(build, *options: str, env: dict | None = None):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "kg", "serve", str(build), "--port", str(port), *options],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_answering(process, url + "/sparql", "kg serve", 90)
    return process, url


def stop_server(process) -> None:
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture(scope="module")
def endpoint(default_build):
    """Read-only, defaults except a short timeout."""
    process, url = start_server(default_build.out, "--timeout", "1.5")
    yield url
    stop_server(process)


@pytest.fixture(scope="module")
def writable(default_build):
    """Updates allowed with a token (given through the environment), at most 5 rows an answer."""
    process, url = start_server(default_build.out, "--allow-update", "--max-rows", "5", env={"KG_SERVE_TOKEN": TOKEN})
    yield url
    stop_server(process)


def local_rows(graph, text: str):
    return [[term.value if term is not None else None for term in row] for row in collect(graph.query(text)).rows]


def test_sparqlwrapper_gets_the_same_rows_as_the_local_build(endpoint, default_graph):
    expected = local_rows(default_graph, TITLES)
    client = SPARQLWrapper(endpoint + "/sparql")
    client.setQuery(TITLES)
    client.setReturnFormat(JSON)
    rows = client.query().convert()["results"]["bindings"]
    assert [[r["paper"]["value"], r["title"]["value"]] for r in rows] == expected
    client.setMethod(POST)
    client.setReturnFormat(XML)
    document = client.query().convert()
    assert [b.getElementsByTagName("literal")[0].firstChild.data for b in document.getElementsByTagName("result")] == [
        title for _, title in expected
    ]
    client.setReturnFormat(CSV)
    assert client.query().convert().decode().splitlines()[1] == ",".join(expected[0])
    client.setReturnFormat(TSV)
    assert client.query().convert().decode().splitlines()[0] == "?paper\t?title"


def test_sparqlwrapper_constructs_and_asks(endpoint, default_graph):
    client = SPARQLWrapper(endpoint + "/sparql")
    client.setQuery("CONSTRUCT { ?p dcterms:title ?t } WHERE { ?p a akg:ListedPaper ; dcterms:title ?t }")
    graph = client.query().convert()  # RDF/XML, parsed by rdflib
    assert len(graph) == 12
    client.setReturnFormat(TURTLE)
    turtle = client.query().convert()
    assert len(list(ox.parse(turtle, format=ox.RdfFormat.TURTLE))) == 12
    client.setQuery("ASK { ?p akg:codeRepository <https://github.com/efeslab/fiddler> }")
    client.setReturnFormat(JSON)
    assert client.query().convert()["boolean"] is True


@pytest.mark.parametrize(
    "accept, media_type",
    [
        ("text/csv", "text/csv"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/tab-separated-values;q=0.9, text/html", "text/tab-separated-values"),
        ("*/*", "application/sparql-results+json"),
        (None, "application/sparql-results+json"),
    ],
)
def test_select_results_follow_the_accept_header(endpoint, accept, media_type):
    headers = {"accept": accept} if accept else {}
    answer = httpx.get(endpoint + "/sparql", params={"query": TITLES}, headers=headers)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith(media_type)


def test_graph_results_follow_the_accept_header(endpoint):
    query = "DESCRIBE <https://w3id.org/awesome-kg/id/paper/arxiv/2402.07033>"
    for accept, fmt in (
        ("application/n-triples", ox.RdfFormat.N_TRIPLES),
        ("application/ld+json", ox.RdfFormat.JSON_LD),
        ("text/turtle", ox.RdfFormat.TURTLE),
    ):
        answer = httpx.post(
            endpoint + "/sparql", content=query, headers={"accept": accept, "content-type": "application/sparql-query"}
        )
        assert answer.status_code == 200
        assert any(q.object.value.startswith("Fiddler") for q in ox.parse(answer.content, format=fmt))
    refused = httpx.get(endpoint + "/sparql", params={"query": TITLES}, headers={"accept": "image/png"})
    assert refused.status_code == 406


def test_dataset_can_be_chosen_with_default_graph_uri(endpoint, default_graph):
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    only_list = httpx.get(
        endpoint + "/sparql", params={"query": count, "default-graph-uri": "https://w3id.org/awesome-kg/id/graph/list"}
    )
    expected = local_rows(
        default_graph,
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://w3id.org/awesome-kg/id/graph/list> { ?s ?p ?o } }",
    )
    assert json.loads(only_list.text)["results"]["bindings"][0]["n"]["value"] == expected[0][0]


def test_a_bad_query_gets_400_with_the_parsers_message(endpoint):
    answer = httpx.post(endpoint + "/sparql", data={"query": "SELECT ?t WHERE {\n  ?p dcterms:title ?t ."})
    assert answer.status_code == 400
    assert "query error at line 2" in answer.text and "^" in answer.text
    assert httpx.get(endpoint + "/sparql").status_code == 400
    unsupported = httpx.post(endpoint + "/sparql", content="x", headers={"content-type": "text/plain"})
    assert unsupported.status_code == 415


def test_updates_are_refused_by_a_read_only_server(endpoint):
    update = "INSERT DATA { <urn:a> <urn:b> <urn:c> }"
    assert httpx.post(endpoint + "/sparql", data={"update": update}).status_code == 403
    assert (
        httpx.post(
            endpoint + "/sparql", content=update, headers={"content-type": "application/sparql-update"}
        ).status_code
        == 403
    )
    assert httpx.get(endpoint + "/sparql", params={"update": update}).status_code == 405
    assert httpx.get(endpoint + "/sparql", params={"query": "ASK { <urn:a> ?p ?o }"}).json()["boolean"] is False


def test_a_query_past_the_timeout_is_stopped_and_the_server_goes_on(endpoint):
    started = time.monotonic()
    answer = httpx.post(endpoint + "/sparql", data={"query": SLOW}, timeout=60)
    assert answer.status_code == 503 and "stopped after 1.5 s" in answer.text
    assert time.monotonic() - started < 20
    assert httpx.get(endpoint + "/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=60).json()["boolean"] is True


def test_saved_queries_are_served_with_their_parameters(endpoint, default_graph):
    listed = httpx.get(endpoint + "/queries").json()
    neighbourhood = next(query for query in listed if query["name"] == "citation-neighbourhood")
    assert {
        "name": "depth",
        "type": "integer 1..3",
        "default": "2",
        "description": "how many hops to follow",
    } in neighbourhood["params"]
    params = {"from": "Pruning", "to": "Model Compression"}
    expected = collect(run_saved(default_graph, load_query("cites-across"), params))
    answer = httpx.get(endpoint + "/queries/cites-across", params=params).json()
    assert [[b[v]["value"] for v in expected.variables] for b in answer["results"]["bindings"]] == [
        [t.value for t in row] for row in expected.rows
    ]
    bad = httpx.get(endpoint + "/queries/cites-across", params={"from": "Pruning", "to": "Nowhere"})
    assert bad.status_code == 400 and "parameter 'to': no heading in the graph matches 'Nowhere'" in bad.text
    assert httpx.get(endpoint + "/queries/no-such-query").status_code == 404


def test_the_query_page_and_the_build_files_are_served(endpoint, default_build):
    page = httpx.get(endpoint + "/")
    assert page.status_code == 200 and "<textarea" in page.text and 'href="/build/graph.ttl"' in page.text
    served = httpx.get(endpoint + "/build/graph.ttl")
    assert served.content == (default_build.out / "graph.ttl").read_bytes()


def test_the_query_page_escapes_what_it_shows(tmp_path):
    build = tmp_path / '<b onmouseover="x">&'
    build.mkdir()
    (build / 'x"><img src=y>.html').write_text("")
    page, _ = query_page(build, 10)
    assert "<b onmouseover" not in page and "&lt;b onmouseover=&quot;x&quot;&gt;&amp;" in page
    assert "<img src=y>" not in page and "x&quot;&gt;&lt;img src=y&gt;.html" in page


def test_updates_need_the_token_and_change_only_the_served_graph(writable, default_build):
    update = 'INSERT DATA { GRAPH <https://example.org/scratch> { <urn:a> <urn:b> "added" } }'
    assert httpx.post(writable + "/sparql", data={"update": update}).status_code == 401
    wrong = httpx.post(writable + "/sparql", data={"update": update}, headers={"authorization": "Bearer nope"})
    assert wrong.status_code == 401 and "Bearer" in wrong.headers["www-authenticate"]
    done = httpx.post(writable + "/sparql", data={"update": update}, headers={"authorization": f"Bearer {TOKEN}"})
    assert done.status_code == 204
    assert httpx.get(writable + "/sparql", params={"query": 'ASK { <urn:a> <urn:b> "added" }'}).json()["boolean"]
    assert "urn:a" not in (default_build.out / "graph.trig").read_text()


def test_the_row_limit_cuts_answers_and_says_so(writable):
    answer = httpx.get(writable + "/sparql", params={"query": TITLES})
    assert len(answer.json()["results"]["bindings"]) == 5
    assert answer.headers["x-result-truncated"] == "true" and answer.headers["x-result-limit"] == "5"
    small = httpx.get(writable + "/sparql", params={"query": TITLES + " LIMIT 3"})
    assert small.headers["x-result-truncated"] == "false"


def test_allow_update_needs_a_token(default_build):
    result = CliRunner().invoke(main, ["serve", str(default_build.out), "--allow-update"], env={"KG_SERVE_TOKEN": ""})
    assert result.exit_code == 1 and "--allow-update needs a token" in result.output


@pytest.mark.parametrize(
    "accept, expected",
    [
        ("text/csv;q=0.5, application/sparql-results+xml", "xml"),
        ("text/*", "csv"),
        ("application/json;q=0", None),
        ("text/html, */*;q=0.1", "json"),
        ("", "json"),
    ],
)
def test_negotiation_takes_the_clients_preference(accept, expected):
    from kg.serve import SELECT_TYPES

    assert negotiate(accept, SELECT_TYPES, "json") == expected


# --- Safe by default (issue 15): what a hostile web page, query or client cannot make the server do ---

HOSTILE_URL = "javascript://%0aalert(document.domain)"
HEAVY = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f ?a ?d"  # a sorted two-way join: big and slow


@pytest.fixture(scope="module")
def latest_build(tmp_path_factory):
    """The latest list version built from its absolute path, as a user's own list is."""
    return build_list(tmp_path_factory, LATEST_LIST, "latest-build")


@pytest.fixture(scope="module")
def bad_service():
    with RecordingServer() as server:
        yield server


@pytest.fixture(scope="module")
def configured(latest_build, bad_service):
    """One origin allowed, one SERVICE endpoint allowed, small bodies and a small memory budget."""
    process, url = start_server(
        latest_build.out,
        "--cors",
        "https://yasgui.triply.cc",
        "--federate",
        bad_service.url,
        "--max-body",
        "4096",
        "--max-memory",
        "64",
        "--timeout",
        "8",
    )
    yield url
    stop_server(process)


@pytest.mark.parametrize(
    "query, targets",
    [
        ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", ["http://127.0.0.1:9/"]),
        ("select * { service silent <https://x.example/sparql> { ?s ?p ?o } }", ["https://x.example/sparql"]),
        ("SELECT * { ?x <urn:p> ?e SERVICE ?e { ?s ?p ?o } }", [None]),
        ("PREFIX e: <http://127.0.0.1/> SELECT * { SERVICE e:x { ?s ?p ?o } }", [None]),
        ("SELECT * {#comment\nSERVICE\n<http://a.example/>{} }", ["http://a.example/"]),
        ("SELECT * { ?s <urn:service> 'SERVICE <http://no/>' . ?service ?p ?o } # SERVICE <http://no/>", []),
        ("SELECT * { FILTER(?a<?b) SERVICE<http://c.example/>{ } }", ["http://c.example/"]),
        ("LOAD <http://127.0.0.1:9/data.ttl> INTO GRAPH <urn:g>", ["http://127.0.0.1:9/data.ttl"]),
    ],
)
def test_remote_targets_finds_every_service_and_load(query, targets):
    assert remote_targets(query) == targets


def test_service_is_refused_by_default_and_nothing_is_contacted(endpoint, bad_service):
    query = f"SELECT * WHERE {{ SERVICE <{bad_service.url}> {{ ?s ?p ?o }} }}"
    for hidden in (query, query.replace("SERVICE", "service"), query.replace("SERVICE", "SERVICE SILENT")):
        answer = httpx.post(endpoint + "/sparql", data={"query": hidden})
        assert answer.status_code == 400 and "federated queries are off" in answer.text
    assert bad_service.requests == []


def test_federation_reaches_only_the_allow_list_and_a_bad_answer_is_a_502(configured, bad_service):
    elsewhere = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
    refused = httpx.post(configured + "/sparql", data={"query": elsewhere})
    assert refused.status_code == 400 and "not allowed here" in refused.text and bad_service.url in refused.text
    asked = httpx.post(
        configured + "/sparql",
        data={"query": f"SELECT * WHERE {{ SERVICE <{bad_service.url}> {{ ?s ?p ?o }} }}"},
        timeout=30,
    )
    assert asked.status_code == 502 and "a SERVICE endpoint failed" in asked.text
    assert [method for method, _ in bad_service.requests] == ["POST"]
    assert httpx.get(configured + "/sparql", params={"query": "ASK { ?s ?p ?o }"}).json()["boolean"] is True


def test_no_cross_origin_reads_unless_an_origin_is_named(endpoint, configured):
    yasgui = {"origin": "https://yasgui.triply.cc"}
    assert (
        "access-control-allow-origin"
        not in httpx.get(endpoint + "/sparql", params={"query": "ASK {}"}, headers=yasgui).headers
    )
    assert (
        httpx.options(endpoint + "/sparql", headers={**yasgui, "access-control-request-method": "POST"}).status_code
        == 405
    )
    preflight = httpx.options(
        configured + "/sparql",
        headers={**yasgui, "access-control-request-method": "POST", "access-control-request-headers": "content-type"},
    )
    assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] == yasgui["origin"]
    other = httpx.get(configured + "/sparql", params={"query": "ASK {}"}, headers={"origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_requests_for_another_host_name_are_refused(endpoint):
    rebound = httpx.get(endpoint + "/sparql", params={"query": "ASK {}"}, headers={"host": "evil.example"})
    assert rebound.status_code == 400
    assert httpx.get(endpoint + "/sparql", params={"query": "ASK {}"}).status_code == 200


def test_no_absolute_path_of_this_machine_is_served(configured, latest_build):
    on_disk = (latest_build.out / "manifest.json").read_text(encoding="utf-8")
    assert str(LATEST_LIST) in on_disk  # the build records where its list was read from
    served = httpx.get(configured + "/build/manifest.json")
    assert served.status_code == 200 and str(LATEST_LIST.parent) not in served.text
    assert served.json()["input"]["file"] == LATEST_LIST.name
    assert served.json()["counts"] == json.loads(on_disk)["counts"]
    page = httpx.get(configured + "/").text
    assert str(latest_build.out) not in page and str(latest_build.out.parent) not in page


def test_bodies_over_the_limit_are_refused_before_they_are_read(configured):
    big = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 5000
    answer = httpx.post(configured + "/sparql", content=big, headers={"content-type": "application/sparql-query"})
    assert answer.status_code == 413 and "4096 bytes" in answer.text and len(answer.text) < 200
    streamed = httpx.post(
        configured + "/sparql",
        content=iter([b"query=ASK", b"%7B%7D" * 2000]),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert streamed.status_code == 413
    assert httpx.post(configured + "/sparql", data={"query": "ASK {}"}).json()["boolean"] is True


def test_a_long_bad_query_is_never_echoed_back_whole(endpoint):
    long_line = "SELECT * WHERE { " + " ".join(f"?s <urn:p{i}> ?o{i} ." for i in range(20_000)) + " ?s ?p"
    assert len(long_line) > 400_000
    answer = httpx.post(endpoint + "/sparql", content=long_line, headers={"content-type": "application/sparql-query"})
    assert answer.status_code == 400 and "query error at line 1" in answer.text and "^" in answer.text
    assert len(answer.text) < 1000


def test_a_non_ascii_token_is_refused_not_a_crash(writable):
    update = "INSERT DATA { <urn:x> <urn:y> <urn:z> }"
    answer = httpx.post(
        writable + "/sparql", data={"update": update}, headers={"authorization": "Bearer tökén-☃".encode()}
    )
    assert answer.status_code == 401
    assert httpx.get(writable + "/sparql", params={"query": "ASK { <urn:x> ?p ?o }"}).json()["boolean"] is False


def test_a_heavy_query_does_not_hold_up_light_ones(configured):
    heavy = {}
    attacker = threading.Thread(
        target=lambda: heavy.update(answer=httpx.post(configured + "/sparql", data={"query": SLOW}, timeout=60))
    )
    attacker.start()
    time.sleep(0.3)
    light = [httpx.get(configured + "/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=60) for _ in range(5)]
    assert attacker.is_alive(), "the light queries waited for the heavy one"
    assert all(answer.json()["boolean"] is True for answer in light)
    attacker.join()
    assert heavy["answer"].status_code == 503 and "stopped after 8 s" in heavy["answer"].text


def test_a_query_over_the_memory_budget_is_stopped_and_the_server_goes_on(configured):
    answer = httpx.post(configured + "/sparql", data={"query": HEAVY}, timeout=60)
    assert answer.status_code == 503 and "memory budget" in answer.text
    assert httpx.get(configured + "/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=60).json()["boolean"]


def test_cors_and_federate_take_only_what_they_mean(default_build):
    star = CliRunner().invoke(main, ["serve", str(default_build.out), "--cors", "*"])
    assert star.exit_code == 1 and "expected one origin" in star.output
    federate = CliRunner().invoke(main, ["serve", str(default_build.out), "--federate", "file:///etc/passwd"])
    assert federate.exit_code == 1 and "expected an http(s) endpoint URL" in federate.output


@pytest.fixture(scope="module")
def hostile_endpoint(default_build, tmp_path_factory):
    """The default build plus what a hostile API could supply: a javascript: URL and markup in a title."""
    folder = tmp_path_factory.mktemp("hostile-build")
    shutil.copytree(default_build.out, folder, dirs_exist_ok=True)
    paper = "https://w3id.org/awesome-kg/id/paper/arxiv/2402.07033"
    with (folder / "graph.trig").open("a", encoding="utf-8") as trig:
        trig.write(
            f"\nGRAPH <https://w3id.org/awesome-kg/id/graph/s2> {{ <{paper}> <https://schema.org/url> "
            f'<{HOSTILE_URL}> ; <http://purl.org/dc/terms/alternative> "<img src=x onerror=alert(1)>" . }}\n'
        )
    process, url = start_server(folder)
    yield url
    stop_server(process)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
def test_the_query_page_links_only_web_addresses(hostile_endpoint):
    from playwright.sync_api import sync_playwright

    query = (
        "SELECT ?paper ?link ?alt WHERE { ?paper <https://schema.org/url> ?link ; "
        "<http://purl.org/dc/terms/alternative> ?alt }"
    )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        dialogs, errors = [], []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.on("pageerror", lambda error: errors.append(str(error)))
        answer = page.goto(hostile_endpoint + "/")
        assert "script-src 'sha256-" in answer.headers["content-security-policy"]
        page.fill("#text", query)
        page.click("#run")
        page.wait_for_selector("#results td")
        cells = page.eval_on_selector_all("#results td", "cells => cells.map((c) => c.textContent)")
        links = page.eval_on_selector_all("#results a", "links => links.map((a) => a.href)")
        assert cells == [
            "https://w3id.org/awesome-kg/id/paper/arxiv/2402.07033",
            HOSTILE_URL,
            "<img src=x onerror=alert(1)>",
        ]
        assert links == ["https://w3id.org/awesome-kg/id/paper/arxiv/2402.07033"]
        page.click(f"#results td:has-text('{HOSTILE_URL[:12]}')")
        page.wait_for_timeout(300)
        browser.close()
    assert dialogs == [] and errors == []
