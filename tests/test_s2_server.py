"""The S2 test server and its fixtures speak the real Graph API: shapes checked against the official
OpenAPI and the recorded cassettes, field selection, paging, id forms, and every fault mode."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from kg.enrich.client import PAPER_FIELDS
from s2_fixtures import (
    S2_DATA,
    build_records,
    cassette_interactions,
    list_entries,
    list_paths,
    load_yaml,
    sample,
    synthetic_records,
)
from s2_server import HANG_CAP, Faults, PaperIndex, S2TestServer

SCHEMAS = load_yaml(S2_DATA / "academic-graph-openapi.yml")["components"]["schemas"]
# Where the real recorded answers contradict the spec, the spec is patched to what the service sends.
SCHEMAS["Title Match Paper"]["properties"]["matchScore"] = {"type": "number"}  # recorded: 109.55098
for _name in ("paperCount", "citationCount", "hIndex"):  # Paper.json: integers, spec: strings
    SCHEMAS["AuthorInPaper"]["properties"][_name] = {"type": "integer"}
SCHEMAS["Embedding"]["properties"]["vector"] = {"type": "array", "items": {"type": "number"}}  # a list of floats

TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "integer": int, "number": (int, float)}
KEYWORDS = {"type", "properties", "items", "$ref", "allOf", "title", "description", "example"}
UNKNOWN_TITLES = {
    "SCoMoE: Efficient Mixtures of Experts with Structured Communication",
    "Fusing Models with Complementary Expertise",
    "Toward Efficient Inference for Mixture of Experts",
    "FSMoE: A Flexible and Scalable Training System for Sparse Mixture-of-Experts Models",
}
MOE_PRUNER = "ARXIV:2410.12013"


def violations(value, schema: dict, where: str = "$") -> list[str]:
    """Where `value` breaks `schema`; null always passes, as S2 sends null for any absent value."""
    if value is None:
        return []
    if "$ref" in schema:
        return violations(value, SCHEMAS[schema["$ref"].rsplit("/", 1)[1]], where)
    found = [v for sub in schema.get("allOf", ()) for v in violations(value, sub, where)]
    kind = schema.get("type")
    if kind and (not isinstance(value, TYPES[kind]) or (isinstance(value, bool) and kind in ("integer", "number"))):
        return found + [f"{where}: {type(value).__name__} is not {kind}"]
    if isinstance(value, dict):
        for name, sub in schema.get("properties", {}).items():
            found += violations(value.get(name), sub, f"{where}.{name}")
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            found += violations(item, schema["items"], f"{where}[{i}]")
    return found


def schema_keywords(schema: dict) -> set[str]:
    """Every keyword used in a schema tree, to prove the validator understands them all."""
    found = set(schema)
    children = list(schema.get("properties", {}).values()) + schema.get("allOf", [])
    if "items" in schema:
        children.append(schema["items"])
    for child in children:
        found |= schema_keywords(child)
    return found


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return build_records()


@pytest.fixture(scope="module")
def synthetic() -> list[dict]:
    return synthetic_records()


@pytest.fixture()
def server(records):
    with S2TestServer(records) as srv:
        yield srv


@pytest.fixture()
def client():
    with httpx.Client(timeout=2.0) as c:
        yield c


def post_batch(client: httpx.Client, server: S2TestServer, ids: list[str], fields: str | None = None):
    """POST /paper/batch the way S2 wants it: fields in the query, ids in the JSON body."""
    params = {"fields": fields} if fields else {}
    return client.post(f"{server.url}/paper/batch", params=params, json={"ids": ids})


# --- fixtures -------------------------------------------------------------------------------------


def test_validator_understands_every_keyword_the_spec_uses():
    assert {"FullPaper", "BasePaper"} <= set(SCHEMAS)
    for name, schema in SCHEMAS.items():
        assert schema_keywords(schema) <= KEYWORDS, name


def test_every_fixture_record_matches_the_openapi_schema(records):
    assert records
    for record in records:
        assert violations(record, {"$ref": "#/components/schemas/FullPaper"}) == [], record["paperId"]


def test_synthetic_records_use_only_spec_fields_and_all_the_brief_asks_for(synthetic):
    full = set(SCHEMAS["FullPaper"]["properties"])
    base = set(SCHEMAS["BasePaper"]["properties"])
    required = {*PAPER_FIELDS, "references", "citations"}  # every field the client asks for, and the edges
    assert synthetic
    for record in synthetic:
        assert required <= set(record) <= full
        assert all(set(item) <= base for item in record["references"] + record["citations"])


def test_build_is_deterministic_across_processes(synthetic):
    code = (
        "import hashlib, json, s2_fixtures as f; "
        "print(hashlib.sha256(json.dumps(f.synthetic_records()).encode()).hexdigest())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    other = subprocess.run(
        [sys.executable, "-c", code], cwd=Path(__file__).parent, env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert other == hashlib.sha256(json.dumps(synthetic).encode()).hexdigest()


def test_real_samples_are_served_as_recorded(records):
    paper = json.loads((S2_DATA / "samples" / "Paper.json").read_text())
    assert records[0] == paper


def test_citations_mirror_references_and_only_point_back_in_time(synthetic):
    by_id = {r["paperId"]: r for r in synthetic}
    cites = {(r["paperId"], ref["paperId"]) for r in synthetic for ref in r["references"] if ref["paperId"]}
    cited_by = {(c["paperId"], r["paperId"]) for r in synthetic for c in r["citations"]}
    assert cites == cited_by and len(cites) > 500
    for citing, cited in cites:
        assert by_id[cited]["publicationDate"][:7] < by_id[citing]["publicationDate"][:7]
    for record in synthetic:
        assert record["citationCount"] == len(record["citations"])
        assert record["referenceCount"] == len(record["references"])
        for item in record["citations"] + [r for r in record["references"] if r["paperId"]]:
            assert item == {name: by_id[item["paperId"]][name] for name in item}
    assert any(ref["paperId"] is None for r in synthetic for ref in r["references"])


def test_papers_under_one_heading_cite_each_other_more(synthetic):
    entries = [e for e in list_entries() if e["paperId"]]
    headings = {}
    for entry in entries:
        headings.setdefault(entry["paperId"], set()).add(entry["heading"])
    by_id = {r["paperId"]: r for r in synthetic}
    rates = {True: [0, 0], False: [0, 0]}
    for a in headings:
        refs = {ref["paperId"] for ref in by_id[a]["references"]}
        for b in headings:
            if by_id[b]["publicationDate"][:7] < by_id[a]["publicationDate"][:7]:
                same = bool(headings[a] & headings[b])
                rates[same][0] += b in refs
                rates[same][1] += 1
    assert rates[True][0] / rates[True][1] > 2 * rates[False][0] / rates[False][1]


def test_every_entry_of_every_version_resolves_as_intended(records):
    index = PaperIndex(records)
    seen = {}
    for path in list_paths():
        for entry in list_entries(path):
            seen[(entry["title"], entry["url"])] = entry
    assert len(seen) > 150
    for entry in seen.values():
        by_url = index.get(f"URL:{entry['url']}") if entry["url"] else None
        by_title = index.match(entry["title"])
        if entry["status"] == "id":
            assert index.get(entry["key"])["paperId"] == entry["paperId"], entry
        elif entry["status"] == "title":
            assert by_url is None and by_title[0]["paperId"] == entry["paperId"], entry
        else:
            assert by_url is None and by_title is None, entry
    assert {e["title"] for e in seen.values() if e["status"] == "unknown"} == UNKNOWN_TITLES


def test_latest_list_resolves_in_one_batch(server, client):
    entries = [e for e in list_entries() if e["status"] == "id"]
    answer = post_batch(client, server, [e["key"] for e in entries], "title").json()
    assert [a["paperId"] for a in answer] == [e["paperId"] for e in entries]


def test_truncated_list_title_is_corrected_in_the_record(records):
    record = PaperIndex(records).get("ARXIV:2201.10890")
    assert record["title"] == "One Student Knows All Experts Know: From Sparse to Dense"


# --- the API --------------------------------------------------------------------------------------


def replayable() -> list[dict]:
    """Recorded interactions about papers this server has (the author lookup is out of scope)."""
    names = (
        "get_paper",
        "get_papers",
        "get_papers_not_found_warning",
        "get_papers_return_not_found",
        "not_found",
        "search_paper_match_title",
        "get_paper_references",
        "bad_query_parameters",
    )
    return [i for name in names for i in cassette_interactions(name) if "/author/" not in i["uri"]]


@pytest.mark.parametrize("recorded", replayable(), ids=lambda i: urlsplit(i["uri"]).path[10:40])
def test_answers_replay_the_cassettes(server, client, recorded):
    url = recorded["uri"].replace("https://api.semanticscholar.org/graph/v1", server.url)
    response = client.request(recorded["method"], url, content=recorded["body"] or None)
    expected = json.loads(recorded["text"])
    got = response.json()
    if "search/match" in url:
        expected["data"][0].pop("matchScore"), got["data"][0].pop("matchScore")
    assert (response.status_code, got) == (recorded["status"], expected)


def test_answers_match_the_openapi_schema(server, client):
    fields = ",".join(f for f in SCHEMAS["FullPaper"]["properties"] if f != "textAvailability")
    batch = post_batch(
        client,
        server,
        [MOE_PRUNER, "CorpusId:0", "2d5673caa9e6af3a7b82a43f19ee920992db07ad"],
        fields + ",citations.authors,references.externalIds",
    )
    assert batch.json()[1] is None
    for paper in batch.json():
        assert violations(paper, {"$ref": "#/components/schemas/FullPaper"}) == []
    edge = "contexts,intents,contextsWithIntent,isInfluential,title,year,authors"
    answers = {
        "FullPaper": client.get(f"{server.url}/paper/{MOE_PRUNER}", params={"fields": fields}),
        "ReferenceBatch": client.get(f"{server.url}/paper/{MOE_PRUNER}/references", params={"fields": edge}),
        "CitationBatch": client.get(f"{server.url}/paper/ARXIV:2006.16668/citations", params={"fields": edge}),
        "PaperMatch": client.get(f"{server.url}/paper/search/match", params={"query": "Mixtral of Experts"}),
        "Error404": client.get(f"{server.url}/paper/ARXIV:0000.00000/citations"),
        "Error400": client.get(f"{server.url}/paper/{MOE_PRUNER}", params={"fields": "title,bogus"}),
    }
    for schema, response in answers.items():
        assert violations(response.json(), {"$ref": f"#/components/schemas/{schema}"}) == [], schema
        assert response.headers["content-type"] == "application/json"
    assert answers["CitationBatch"].json()["data"][0]["citingPaper"]["authors"]


def test_batch_gives_null_for_unknown_ids_and_accepts_every_id_form(server, client):
    ids = [
        MOE_PRUNER,
        "ARXIV:9999.99999",
        "DOI:10.1145/3580305.3599278",
        "ACL:2024.acl-long.571",
        "URL:https://arxiv.org/abs/2410.12013v2",
        "URL:https://dl.acm.org/doi/pdf/10.1145/3580305.3599278",
        "URL:https://ieeexplore.ieee.org/document/10377734",
        "CorpusId:470667",
        "10.2139/ssrn.2250500",
        "c31c87c591a25c64fbaa82e8ac6a81831b6ac7ce",
        "garbage",
    ]
    answer = post_batch(client, server, ids).json()
    assert [a is None for a in answer] == [False, True, False, False, False, False, True, False, False, False, True]
    assert answer[0]["paperId"] == answer[4]["paperId"] and answer[2]["paperId"] == answer[5]["paperId"]


def test_batch_rejects_more_than_500_ids_and_bad_bodies(server, client):
    too_many = post_batch(client, server, [MOE_PRUNER] * 501)
    assert too_many.status_code == 400 and violations(too_many.json(), {"$ref": "#/components/schemas/Error400"}) == []
    assert "error" in too_many.json()
    assert post_batch(client, server, [MOE_PRUNER] * 500).status_code == 200
    assert client.post(f"{server.url}/paper/batch", content=b"not json").status_code == 400


def test_fields_select_like_the_real_api(server, client):
    def one(fields):
        return post_batch(client, server, [MOE_PRUNER], fields).json()[0]

    assert set(one(None)) == {"paperId", "title"}
    assert set(one("year,externalIds")) == {"paperId", "year", "externalIds"}
    assert {tuple(r) for r in one("references")["references"]} == {("paperId", "title")}
    refs = one("references.paperId,references.externalIds,references.title,references.year")["references"]
    assert {tuple(sorted(r)) for r in refs} == {("externalIds", "paperId", "title", "year")}
    assert set(one("authors")["authors"][0]) == {"authorId", "name"}
    assert set(one("citations.authors")["citations"][0]) == {"paperId", "authors"}
    bad = post_batch(client, server, [MOE_PRUNER], "title,references.nonsense,bogus")
    assert bad.json() == {"error": "Unrecognized or unsupported fields: [references.nonsense, bogus]"}


def test_nested_citations_are_capped(records, client):
    with S2TestServer(records, citation_cap=5) as server:
        paper = post_batch(client, server, ["ARXIV:2006.16668"], "citationCount,citations").json()[0]
        assert len(paper["citations"]) == 5 < paper["citationCount"]
        server.citation_cap = 9999
        paper = post_batch(client, server, ["ARXIV:2006.16668"], "citationCount,citations").json()[0]
        assert len(paper["citations"]) == paper["citationCount"]


def test_reference_and_citation_pages(server, client):
    url = f"{server.url}/paper/ARXIV:2006.16668/citations"
    total = post_batch(client, server, ["ARXIV:2006.16668"], "citationCount").json()[0]["citationCount"]
    seen, offset = [], 0
    while offset is not None:
        page = client.get(url, params={"offset": offset, "limit": 7}).json()
        assert page["offset"] == offset and len(page["data"]) <= 7
        seen += [row["citingPaper"]["paperId"] for row in page["data"]]
        offset = page.get("next")
    assert len(seen) == len(set(seen)) == total > 7
    assert client.get(url, params={"limit": 1001}).json() == {"error": "Unacceptable query params: [limit=1001]"}
    row = client.get(f"{server.url}/paper/{MOE_PRUNER}/references", params={"fields": "isInfluential,intents"}).json()[
        "data"
    ][0]
    assert set(row) == {"isInfluential", "intents", "citedPaper"} and set(row["citedPaper"]) == {"paperId"}


def test_unknown_papers_and_titles_get_the_real_404s(server, client):
    assert client.get(f"{server.url}/paper/ARXIV:0000.00000").json() == {
        "error": "Paper with id ARXIV:0000.00000 not found"
    }
    assert client.get(f"{server.url}/paper/ARXIV:0000.00000/references").status_code == 404
    miss = client.get(
        f"{server.url}/paper/search/match", params={"query": "Toward Efficient Inference for Mixture of Experts"}
    )
    assert (miss.status_code, miss.json()) == (404, {"error": "Title match not found"})


def test_title_match_finds_truncated_titles_and_honours_fields(records, server, client):
    query = {"query": "One Student Knows All Experts Know: From Sparse to Dens", "fields": "year"}
    hit = client.get(f"{server.url}/paper/search/match", params=query).json()
    (paper,) = hit["data"]
    assert set(paper) == {"paperId", "year", "matchScore"}
    assert paper["paperId"] == PaperIndex(records).get("ARXIV:2201.10890")["paperId"]


def test_requests_are_recorded_and_counted(server, client):
    post_batch(client, server, [MOE_PRUNER], "title")
    post_batch(client, server, [MOE_PRUNER])
    client.get(f"{server.url}/paper/{MOE_PRUNER}/citations", params={"limit": 3})
    client.get(f"{server.url}/paper/search/match", params={"query": "Mixtral of Experts"})
    assert server.counts == {"batch": 2, "citations": 1, "match": 1}
    first = server.requests[0]
    assert (first.method, first.path, first.query, first.body) == (
        "POST",
        "/graph/v1/paper/batch",
        {"fields": "title"},
        {"ids": [MOE_PRUNER]},
    )
    server.clear()
    assert server.requests == [] and not server.counts


def test_null_values_are_served_as_null(client):
    with S2TestServer([sample("PaperWithNullValues")]) as server:
        paper = post_batch(
            client, server, ["2d5673caa9e6af3a7b82a43f19ee920992db07ad"], "authors,citations.title,references"
        ).json()[0]
        assert paper == sample("PaperWithNullValues")


def test_the_semanticscholar_library_can_use_it(server):
    library = pytest.importorskip("semanticscholar")
    s2 = library.SemanticScholar(api_url=server.root_url, retry=False)
    found, missing = s2.get_papers([MOE_PRUNER, "ARXIV:0000.00000"], return_not_found=True)
    assert found[0].externalIds["ArXiv"] == "2410.12013" and missing == ["ARXIV:0000.00000"]
    assert (
        len(list(s2.get_paper_citations("ARXIV:2006.16668", limit=10)))
        == s2.get_paper("ARXIV:2006.16668").citationCount
    )
    assert s2.search_paper("Mixtral of Experts", match_title=True).externalIds["ArXiv"] == "2401.04088"


def test_api_key_is_recorded_and_can_be_required(records, client):
    with S2TestServer(records, api_key="sekret") as server:
        assert post_batch(client, server, [MOE_PRUNER]).status_code == 403
        ok = client.post(f"{server.url}/paper/batch", json={"ids": [MOE_PRUNER]}, headers={"x-api-key": "sekret"})
        assert ok.status_code == 200
        assert [r.api_key for r in server.requests] == [None, "sekret"]
        assert all("sekret" not in r.path + json.dumps(r.query) + json.dumps(r.body) for r in server.requests)


# --- faults ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault, content_type",
    [
        ("429", "application/json"),
        ("500", "text/html"),
        ("502", "text/html"),
        ("503", "text/html"),
        ("504", "application/json"),
    ],
)
def test_status_faults(server, client, fault, content_type):
    server.faults = Faults(queue=[fault], retry_after=3)
    response = post_batch(client, server, [MOE_PRUNER])
    assert response.status_code == int(fault) and response.headers["content-type"] == content_type
    if fault == "429":
        assert response.headers["retry-after"] == "3" and response.json()["code"] == "429"
    assert post_batch(client, server, [MOE_PRUNER]).status_code == 200


def test_hang_outlasts_the_client_timeout_then_recovers(records):
    with S2TestServer(records, faults=Faults(queue=["hang"], hang_seconds=0.6)) as server:
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout), httpx.Client(timeout=0.2) as short:
            post_batch(short, server, [MOE_PRUNER])
        assert time.monotonic() - started < 0.5
        with httpx.Client(timeout=2) as patient:
            assert post_batch(patient, server, [MOE_PRUNER]).status_code == 200


def test_hangs_are_capped_and_fault_names_checked():
    assert Faults(hang_seconds=600).hang_seconds == HANG_CAP
    with pytest.raises(ValueError):
        Faults(queue=["teapot"])


@pytest.mark.parametrize("fault", ["close", "short"])
def test_broken_connections(server, client, fault):
    server.fail_next(fault)
    with pytest.raises(httpx.RemoteProtocolError):
        post_batch(client, server, [MOE_PRUNER])
    assert post_batch(client, server, [MOE_PRUNER]).status_code == 200


def test_malformed_json_and_wrong_content_type(server, client):
    server.fail_next("malformed")
    broken = post_batch(client, server, [MOE_PRUNER])
    assert broken.status_code == 200 and broken.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        broken.json()
    server.fail_next("html")
    html = post_batch(client, server, [MOE_PRUNER])
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")


def test_foreign_record_answers_an_id_that_was_not_asked(server, client):
    asked = post_batch(client, server, [MOE_PRUNER]).json()[0]["paperId"]
    server.fail_next("foreign", 2)
    assert post_batch(client, server, [MOE_PRUNER]).json()[0]["paperId"] != asked
    assert client.get(f"{server.url}/paper/{MOE_PRUNER}").json()["paperId"] != asked


def test_truncated_citation_lists(server, client):
    server.fail_next("truncate", 2)
    paper = post_batch(client, server, ["ARXIV:2006.16668"], "citationCount,citations").json()[0]
    assert len(paper["citations"]) < paper["citationCount"]
    page = client.get(f"{server.url}/paper/ARXIV:2006.16668/citations", params={"limit": 10}).json()
    assert len(page["data"]) == 5 and "next" not in page


def test_next_n_requests_fail_then_service_resumes(server, client):
    server.fail_next("503", 3)
    assert [post_batch(client, server, [MOE_PRUNER]).status_code for _ in range(4)] == [503, 503, 503, 200]
    assert [r.fault for r in server.requests] == ["503", "503", "503", None]


def test_random_faults_are_seeded_and_drawn_from_the_mix(records, client):
    runs = []
    for _ in range(2):
        with S2TestServer(records, faults=Faults(rate=0.4, seed=7, mix=("429", "502"))) as server:
            runs.append([post_batch(client, server, [MOE_PRUNER]).status_code for _ in range(20)])
    assert runs[0] == runs[1] and set(runs[0]) == {200, 429, 502}


def test_per_path_override_and_runtime_changes(server, client):
    server.faults = Faults(per_path={"match": "504", f"/paper/{MOE_PRUNER}": "500"})
    assert client.get(f"{server.url}/paper/search/match", params={"query": "x"}).status_code == 504
    assert client.get(f"{server.url}/paper/{MOE_PRUNER}").status_code == 500
    assert client.get(f"{server.url}/paper/ARXIV:2006.16668").status_code == 200
    assert post_batch(client, server, [MOE_PRUNER]).status_code == 200
    server.faults = Faults()
    assert client.get(f"{server.url}/paper/search/match", params={"query": "Mixtral of Experts"}).status_code == 200


def test_stop_is_prompt_even_while_a_request_hangs(records):
    server = S2TestServer(records, faults=Faults(queue=["hang"], hang_seconds=HANG_CAP)).start()
    outcome = []

    def call():
        try:
            with httpx.Client(timeout=10) as slow:
                outcome.append(post_batch(slow, server, [MOE_PRUNER]).status_code)
        except httpx.HTTPError as error:
            outcome.append(type(error).__name__)

    caller = threading.Thread(target=call)
    caller.start()
    while not server.requests:
        time.sleep(0.01)
    started = time.monotonic()
    server.stop()
    caller.join(timeout=3)
    assert time.monotonic() - started < 2 and outcome and not caller.is_alive()
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url + "/paper/x", timeout=0.5)
