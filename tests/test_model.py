"""The read model: a build read once into records, with one rule for a work's title, year and venue.

Expected values come from SPARQL over the same build, not from kg.model.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import LATEST_LIST
from kg.build import ListSource, build
from kg.exports import export
from kg.model import read_model
from kg.page import write_graph_page
from kg.store import KnowledgeGraph
from test_page import page_json


@pytest.fixture(scope="module")
def latest(tmp_path_factory):
    """The latest list built offline: most of its papers are known only from the list."""
    return build(
        ListSource.from_path(LATEST_LIST),
        tmp_path_factory.mktemp("latest"),
        offline=True,
        cache_dir=tmp_path_factory.mktemp("cache"),
    )


def rows(graph: KnowledgeGraph, sparql: str) -> dict[str, str]:
    return {row[0].value: row[1].value for row in graph.query(sparql)}


def test_a_title_is_the_sources_title_and_the_lists_spelling_is_kept_beside_it(latest):
    model = read_model(latest.graph)
    source = rows(latest.graph, "SELECT ?p ?t WHERE { ?p a akg:ListedPaper ; akg:sourceTitle ?t }")
    listed = rows(latest.graph, "SELECT ?p ?t WHERE { ?p a akg:ListedPaper ; akg:listedTitle ?t }")
    assert source and listed
    for iri, title in source.items():
        assert model.works[iri].title == title
        assert model.works[iri].listed_title == listed[iri]
    respelled = [iri for iri in source if source[iri] != listed[iri]]
    assert respelled  # the list spells some titles its own way
    for iri in listed.keys() - source.keys():  # no source: the list's spelling is the title
        assert model.works[iri].title == listed[iri]


def test_the_page_shows_the_real_title_and_the_lists_spelling_as_listed(latest, tmp_path):
    model = read_model(latest.graph)
    respelled = {w.iri: w for w in model.listed if w.source_title and w.listed_title != w.source_title}
    assert respelled
    html = write_graph_page(model, tmp_path)[0].read_text("utf-8")
    nodes = {n["iri"]: n for n in page_json(html)["nodes"] if n["iri"] in respelled}
    assert nodes.keys() == respelled.keys()
    for iri, node in nodes.items():
        assert (node["title"], node["listedTitle"]) == (respelled[iri].source_title, respelled[iri].listed_title)


def test_a_year_is_the_sources_earliest_else_the_lists(latest):
    model = read_model(latest.graph)
    issued = {}
    for row in latest.graph.query("SELECT ?p ?d WHERE { ?p a akg:ListedPaper ; dcterms:issued ?d }"):
        issued[row[0].value] = min(issued.get(row[0].value, 9999), int(row[1].value[:4]))
    tagged = rows(latest.graph, "SELECT ?p ?y WHERE { ?p a akg:ListedPaper ; akg:listedYear ?y }")
    only_tagged = tagged.keys() - issued.keys()
    assert issued and only_tagged
    for iri, year in issued.items():
        assert model.works[iri].year == year
    for iri in only_tagged:
        assert model.works[iri].year == int(tagged[iri][:4])


def test_a_venue_is_where_it_was_published_else_the_lists(latest):
    model = read_model(latest.graph)
    published = rows(latest.graph, "SELECT ?p ?v WHERE { ?p a akg:ListedPaper ; akg:publishedVenue ?v }")
    printed = rows(latest.graph, "SELECT ?p ?v WHERE { ?p a akg:ListedPaper ; akg:listedVenue ?v }")
    assert printed.keys() - published.keys()
    for iri in published.keys() | printed.keys():
        assert model.works[iri].venue == published.get(iri, printed.get(iri))


def test_listings_citations_and_clusters_are_all_read(latest):
    model = read_model(latest.graph)
    listings = list(latest.graph.query("SELECT ?l WHERE { ?l a akg:Listing }"))
    cites = {(r[0].value, r[1].value) for r in latest.graph.query("SELECT ?a ?b WHERE { ?a cito:cites ?b }")}
    members = {r[0].value for r in latest.graph.query("SELECT ?p WHERE { ?c akg:clusterMember ?p }")}
    assert listings and cites and members
    assert len(model.listings) == len(listings)
    lines = [listing.line for listing in model.listings]
    assert lines == sorted(lines)  # in the list's order
    assert {(c.citing, c.cited) for c in model.citations} == {(a, b) for a, b in cites if a != b}
    assert set().union(*(c.members for c in model.clusters)) == members


def test_a_finished_build_reads_into_the_same_model(latest):
    assert read_model(KnowledgeGraph.open(latest.out)) == read_model(latest.graph)


def test_views_given_the_model_write_what_they_write_from_the_graph(default_build, tmp_path):
    model = read_model(default_build.graph)
    assert export(model, "bibtex") == export(default_build.graph, "bibtex")
    from_model = write_graph_page(model, tmp_path / "model")[0].read_bytes()
    assert from_model == write_graph_page(default_build.graph, tmp_path / "graph")[0].read_bytes()


def test_the_model_imports_nothing_above_it_in_the_flow():
    tree = ast.parse(Path(__file__).resolve().parents[1].joinpath("kg", "model.py").read_text("utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert {name for name in imported if name.split(".")[0] == "kg"} == {"kg.statements", "kg.store", "kg.vocab"}
