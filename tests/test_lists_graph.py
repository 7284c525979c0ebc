"""What the graph says of a list's papers: one node per work, real titles, reports that are not entries."""

from __future__ import annotations

import pytest

from conftest import DATA, LATEST_LIST
from curate_builds import FAST
from kg.build import ListSource, build
from kg.enrich import Enrichment
from kg.enrich.client import S2Client
from kg.graphmap import enrichment_quads, list_quads, one_node_per_work
from kg.listparse import parse_list_text
from kg.store import KnowledgeGraph
from kg.vocab import LIST_GRAPH, paper_iri
from s2_fixtures import build_records
from s2_server import S2TestServer


@pytest.fixture(scope="module")
def enriched(tmp_path_factory):
    """The latest shipped-list version built against the test API server."""
    root = tmp_path_factory.mktemp("latest")
    with S2TestServer(build_records()) as server:
        client = S2Client(server.url, policy=FAST)
        try:
            return build(ListSource.from_path(LATEST_LIST), root / "out", cache_dir=root / "cache", client=client)
        finally:
            client.close()


def rows(graph, sparql: str) -> list[tuple]:
    return [tuple(term.value if term is not None else None for term in row) for row in graph.query(sparql)]


def test_the_latest_version_lists_127_papers_offline(tmp_path):
    result = build(ListSource.from_path(LATEST_LIST), tmp_path / "out", offline=True, cache_dir=tmp_path / "cache")
    assert result.manifest["counts"]["listed_papers"] == 127
    assert rows(result.graph, "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a akg:ListedPaper }") == [("127",)]
    assert result.manifest["counts"]["entries"] == 148 and result.manifest["counts"]["skipped"] == {
        "boilerplate": 19,
        "preamble": 1,
    }


def test_every_paper_the_server_holds_is_enriched_and_the_others_are_reported(enriched):
    report = enriched.manifest["enrichment"]
    assert enriched.manifest["counts"]["listed_papers"] == 127
    assert report["enriched"] == 123
    assert sorted(report["unresolved"]) == [
        "openreview:PhMrGCMIRL",
        "openreview:s-c96mSU0u5",  # the server does
        "openreview:stXtBqyTWX",  # not hold these four
        "url:shaohuais.github.io/publications/index.html",
    ]


def test_every_in_list_edge_the_server_holds_is_in_the_graph(enriched):
    records = {record["paperId"]: record for record in build_records()}
    listed = {s2 for (s2,) in rows(enriched.graph, "SELECT ?s WHERE { ?p a akg:ListedPaper ; akg:s2PaperId ?s }")}
    assert len(listed) == 123
    held = set()
    for paper in listed:
        record = records[paper]
        held |= {(paper, ref["paperId"]) for ref in record.get("references") or [] if ref.get("paperId") in listed}
        held |= {(cit["paperId"], paper) for cit in record.get("citations") or [] if cit.get("paperId") in listed}
    in_graph = set(
        rows(
            enriched.graph,
            "SELECT ?a ?b WHERE { ?x cito:cites ?y . ?x a akg:ListedPaper ; "
            "akg:s2PaperId ?a . ?y a akg:ListedPaper ; akg:s2PaperId ?b }",
        )
    )
    assert held and in_graph == held


def test_one_work_is_one_node(enriched):
    graph = enriched.graph
    for prop in ("akg:s2PaperId", "akg:arxiv", "akg:doi", "akg:corpusId", "dcterms:title"):
        shared = rows(graph, f"SELECT ?v WHERE {{ ?a {prop} ?v . ?b {prop} ?v FILTER(?a != ?b) }} LIMIT 3")
        assert not shared, (prop, shared)
    assert not rows(graph, "SELECT ?p WHERE { ?p dcterms:title ?a , ?b FILTER(?a != ?b) } LIMIT 3")


def test_titles_are_the_real_titles_and_the_list_spelling_stays_beside_them(enriched):
    node = paper_iri("arxiv:2201.10890")
    assert rows(enriched.graph, f"SELECT ?t ?l WHERE {{ <{node}> dcterms:title ?t ; akg:listedTitle ?l }}") == [
        (
            "One Student Knows All Experts Know: From Sparse to Dense",
            "One Student Knows All Experts Know: From Sparse to Dens",
        )
    ]
    made_up = rows(
        enriched.graph,
        "SELECT ?t WHERE { ?m a akg:Model ; rdfs:label ?name . "
        f"GRAPH <{LIST_GRAPH.value}> {{ ?p dcterms:title|akg:listedTitle ?t }} "
        'FILTER(LCASE(?t) = LCASE(CONCAT(?name, " technical report"))) }',
    )
    assert not made_up  # a model table never invents "Grok-1 technical report"


def test_model_reports_are_works_or_web_pages_not_listed_papers(enriched):
    graph = enriched.graph
    reports = dict(rows(graph, "SELECT ?name ?r WHERE { ?m a akg:Model ; rdfs:label ?name ; akg:techReport ?r }"))
    assert len(reports) == 31
    works = {r for (r,) in rows(graph, "SELECT ?r WHERE { ?m akg:techReport ?r . ?r a fabio:Expression }")}
    pages = {r for (r,) in rows(graph, "SELECT ?r WHERE { ?m akg:techReport ?r . ?r a foaf:Document }")}
    assert set(reports.values()) == works | pages and not works & pages
    assert reports["Grok-1"] in pages and len(pages) == 5  # five blog posts: web pages, not papers
    mixtral = paper_iri("arxiv:2401.04088")
    assert reports["Mixtral-8x7B"] == reports["Mixtral-8x22B"] == mixtral
    listed = {p for (p,) in rows(graph, "SELECT ?p WHERE { ?p a akg:ListedPaper }")}
    assert mixtral not in listed  # the table names it; the list does not list it as an entry
    assert rows(graph, f"SELECT DISTINCT ?a WHERE {{ <{mixtral}> akg:arxiv ?a }}") == [("2401.04088",)]


def test_a_wrong_link_does_not_give_its_paper_a_second_title(tmp_path):
    result = build(
        ListSource.from_path(DATA / "lists" / "codecaution-moe-papers"),
        tmp_path / "out",
        offline=True,
        cache_dir=tmp_path / "cache",
    )
    switch = paper_iri("arxiv:2101.03961")
    alternatives = rows(result.graph, f"SELECT ?t WHERE {{ <{switch}> dcterms:alternative ?t }}")
    assert ("Scaling Vision with Sparse Mixture of Experts",) not in alternatives
    printed = rows(result.graph, f"SELECT ?t WHERE {{ ?l akg:listedPaper <{switch}> ; akg:printedTitle ?t }}")
    assert sorted(printed) == [
        ("Scaling Vision with Sparse Mixture of Experts",),
        ("Switch Transformers: Scaling to Trillion Parameter Models with Simple and Efficient Sparsity",),
    ]


def test_papers_that_turn_out_to_be_one_work_are_merged_under_the_strongest_key():
    parsed = parse_list_text(
        "# L\n## A\n[JMLR'22] [Switch Transformers](https://www.jmlr.org/papers/v23/21-0998.html)\n"
        "\n## B\n[Arxiv'21] [Switch Transformers](https://arxiv.org/abs/2101.03961)\n"
        "\n## C\n[Arxiv'24] [Citing paper](https://arxiv.org/abs/2401.00001)\n"
    )
    assert len(parsed.papers) == 3
    record = {"paperId": "a" * 40, "externalIds": {"ArXiv": "2101.03961"}, "title": "Switch Transformers"}
    citing = {
        "paperId": "b" * 40,
        "externalIds": {"ArXiv": "2401.00001"},
        "title": "Citing paper",
        "references": [{"paperId": None, "title": "Switch Transformers"}],
    }
    when = "2026-01-01T00:00:00Z"
    enrichments = {
        "url:jmlr.org/papers/v23/21-0998.html": Enrichment(record, "semantic-scholar", when),
        "arxiv:2401.00001": Enrichment(citing, "semantic-scholar", when),
    }
    merged, found = one_node_per_work(parsed, enrichments)
    assert [p.key for p in merged.papers] == ["arxiv:2101.03961", "arxiv:2401.00001"]
    assert merged.papers[0].headings == ["a", "b"] and set(found) == {"arxiv:2101.03961", "arxiv:2401.00001"}
    graph = KnowledgeGraph([*list_quads(merged, "t", found), *enrichment_quads(merged, found)])
    switch = paper_iri("arxiv:2101.03961")
    assert rows(graph, "SELECT ?a ?b WHERE { ?a cito:cites ?b }") == [(paper_iri("arxiv:2401.00001"), switch)]


def test_each_fact_is_emitted_once_even_when_both_records_hold_the_citation_and_the_author():
    """Two enriched papers: one cites the other (in both records) and they share an author."""
    parsed = parse_list_text(
        "# L\n## A\n[Arxiv'23] [Cited paper](https://arxiv.org/abs/2301.00001)\n"
        "\n## B\n[Arxiv'24] [Citing paper](https://arxiv.org/abs/2401.00001)\n"
    )
    author = {"authorId": "7", "name": "Ada Lovelace"}
    cited = {
        "paperId": "a" * 40,
        "externalIds": {"ArXiv": "2301.00001"},
        "title": "Cited paper",
        "authors": [author],
        "citations": [{"paperId": "b" * 40, "title": "Citing paper"}],
    }
    citing = {
        "paperId": "b" * 40,
        "externalIds": {"ArXiv": "2401.00001"},
        "title": "Citing paper",
        "authors": [author],
        "references": [{"paperId": "a" * 40, "title": "Cited paper"}],
    }
    when = "2026-01-01T00:00:00Z"
    enrichments = {
        "arxiv:2301.00001": Enrichment(cited, "semantic-scholar", when),
        "arxiv:2401.00001": Enrichment(citing, "semantic-scholar", when),
    }
    quads = list(enrichment_quads(parsed, enrichments))
    assert not enrichments  # each record is taken out once mapped: a big build's records go as its statements grow
    graph = KnowledgeGraph(quads)
    assert len(quads) == len(set(quads)) == len(graph)
    assert rows(graph, "SELECT ?a ?b WHERE { ?a cito:cites ?b }") == [
        (paper_iri("arxiv:2401.00001"), paper_iri("arxiv:2301.00001"))
    ]
    assert rows(graph, "SELECT ?p ?n WHERE { ?p a foaf:Person ; foaf:name ?n }") == [
        ("https://w3id.org/awesome-kg/id/person/s2/7", "Ada Lovelace")
    ]
