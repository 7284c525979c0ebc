"""The counts a build materialises agree with the citations and listings they count, and a
build's on-disk store answers as its graph files do."""

from __future__ import annotations

from collections import defaultdict

import pytest
from click.testing import CliRunner

from conftest import LATEST_LIST
from kg.build import ListSource, build
from kg.cli import main
from kg.store import STORE_FOLDER, KnowledgeGraph


@pytest.fixture(scope="module")
def latest(tmp_path_factory):
    """The latest list version built offline (snapshot citations only)."""
    return build(
        ListSource.from_path(LATEST_LIST, "awesome-moe-inference"),
        tmp_path_factory.mktemp("latest"),
        offline=True,
        cache_dir=tmp_path_factory.mktemp("cache"),
    )


def stated(graph: KnowledgeGraph, prop: str) -> dict[str, int]:
    return {row["s"].value: int(row["n"].value) for row in graph.query(f"SELECT ?s ?n WHERE {{ ?s akg:{prop} ?n }}")}


def test_in_list_citation_counts_equal_the_citation_edges(latest):
    graph = latest.graph
    listed = {row["p"].value for row in graph.query("SELECT ?p WHERE { ?p a akg:ListedPaper }")}
    edges = {(row["a"].value, row["b"].value) for row in graph.query("SELECT ?a ?b WHERE { ?a cito:cites ?b }")}
    citers, cited = defaultdict(set), defaultdict(set)
    for a, b in edges:
        if a in listed and a != b:
            citers[b].add(a)
        if a in listed and b in listed and a != b:
            cited[a].add(b)
    assert listed and any(citers.values())
    assert stated(graph, "citedByListedCount") == {w: len(citers[w]) for w in listed | set(citers)}
    assert stated(graph, "citesListedCount") == {p: len(cited[p]) for p in listed}


def test_heading_counts_equal_the_listings(latest):
    graph = latest.graph
    direct = defaultdict(set)
    for row in graph.query("SELECT ?p ?h WHERE { ?p a akg:ListedPaper ; akg:listedUnder ?h }"):
        direct[row["h"].value].add(row["p"].value)
    headings = {row["h"].value for row in graph.query("SELECT ?h WHERE { ?h a skos:Concept }")}
    assert direct and headings >= direct.keys()
    counts = stated(graph, "listedPaperCount")
    assert {h: counts[h] for h in headings} == {h: len(direct[h]) for h in headings}
    rolled = stated(graph, "rolledUpPaperCount")
    assert all(rolled[h] >= counts[h] for h in headings)
    assert sum(rolled[h] for h in headings) > sum(counts[h] for h in headings)  # the list nests its headings


def test_heading_count_and_counted_year_of_each_listed_paper(latest):
    graph = latest.graph
    headings, years = defaultdict(set), defaultdict(lambda: ([], []))
    for row in graph.query("SELECT ?p ?h WHERE { ?p a akg:ListedPaper ; akg:listedUnder ?h }"):
        headings[row["p"].value].add(row["h"].value)
    for prop, index in (("dcterms:issued", 0), ("akg:listedYear", 1)):
        for row in graph.query(f"SELECT ?p ?y WHERE {{ ?p a akg:ListedPaper ; {prop} ?y }}"):
            years[row["p"].value][index].append(int(row["y"].value[:4]))
    assert any(len(h) > 1 for h in headings.values())  # the list names some papers twice
    assert stated(graph, "listedUnderCount") == {p: len(h) for p, h in headings.items()}
    published_or_tagged = {p: min(issued or tagged) for p, (issued, tagged) in years.items() if issued or tagged}
    assert any(not issued for issued, _ in years.values()) and published_or_tagged
    assert stated(graph, "countedYear") == published_or_tagged


def test_rankings_number_what_they_rank_from_one_in_their_order(latest):
    """Each ranking is 1..n over exactly what its query ranks, in the order of its first key."""
    graph = latest.graph
    listed = {row["p"].value for row in graph.query("SELECT ?p WHERE { ?p a akg:ListedPaper }")}
    in_list, papers = stated(graph, "citedByListedCount"), stated(graph, "listedPaperCount")
    citations = stated(graph, "citationCount")
    authors = {row["a"].value for row in graph.query("SELECT ?a WHERE { ?a a foaf:Person ; akg:listedPaperCount ?n }")}
    for prop, ranked, first_key in (
        ("citationRank", listed, lambda iri: (iri not in citations, -citations.get(iri, 0), -in_list[iri])),
        ("inListCitationRank", {p for p in listed if in_list[p]}, lambda iri: -in_list[iri]),
        ("outsideCitationRank", {w for w, n in in_list.items() if n and w not in listed}, lambda iri: -in_list[iri]),
        ("authorRank", authors, lambda iri: -papers[iri]),
    ):
        ranks = stated(graph, prop)
        assert set(ranks) == ranked and sorted(ranks.values()) == list(range(1, len(ranked) + 1)), prop
        order = sorted(ranks, key=ranks.__getitem__)
        assert [first_key(iri) for iri in order] == sorted(first_key(iri) for iri in order), prop
    assert any(in_list.values())  # offline, no paper has a citation count: in-list counts order most-cited


def test_heading_years_split_each_headings_rolled_up_count_by_counted_year(latest):
    graph = latest.graph
    by_year = defaultdict(dict)
    query = "SELECT ?h ?y ?n WHERE { ?c akg:yearHeading ?h ; akg:yearLabel ?y ; akg:yearPaperCount ?n }"
    for row in graph.query(query):
        by_year[row["h"].value][row["y"].value] = int(row["n"].value)
    rolled = stated(graph, "rolledUpPaperCount")
    assert {h: sum(years.values()) for h, years in by_year.items()} == {h: n for h, n in rolled.items() if n}
    years = {str(y) for y in stated(graph, "countedYear").values()} | {"unknown"}
    assert set().union(*by_year.values()) <= years and len(set().union(*by_year.values())) > 1


def test_counts_are_recorded_as_derived_from_the_source_graphs(latest):
    rows = list(
        latest.graph.query(
            "SELECT ?source WHERE { <https://w3id.org/awesome-kg/id/graph/counts> prov:wasDerivedFrom ?source }"
        )
    )
    assert {row["source"].value.rsplit("/", 1)[-1] for row in rows} == {"list", "semantic-scholar", "snapshot"}


def test_kg_query_opens_the_build_store_and_answers_as_the_files_do(latest):
    assert (latest.out / STORE_FOLDER).is_dir()
    opened = KnowledgeGraph.open(latest.out)
    loaded = KnowledgeGraph.load(latest.out / "graph.trig")
    assert len(opened) == len(loaded) == len(latest.graph) > 0
    result = CliRunner().invoke(main, ["query", str(latest.out), "most-cited-in-list", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert len(result.output.splitlines()) > 2


def test_a_build_without_a_store_is_read_from_its_graph_files(latest, tmp_path):
    (tmp_path / "graph.trig").write_bytes((latest.out / "graph.trig").read_bytes())
    assert len(KnowledgeGraph.open(tmp_path)) == len(latest.graph)


def test_a_graph_file_edited_after_the_build_wins_over_the_store(latest, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(latest.out, copy)
    before = len(KnowledgeGraph.open(copy))
    with (copy / "graph.trig").open("a", encoding="utf-8") as trig:
        trig.write('<https://example.org/a> <https://example.org/b> "added by hand" .\n')
    assert len(KnowledgeGraph.open(copy)) == before + 1
