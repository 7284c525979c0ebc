"""The validation engines (pyshacl, the shapes compiled to SPARQL, the build's Python checks) give the same verdicts."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.statements import StatementIndex, from_quad
from kg.store import KnowledgeGraph
from kg.validate import (
    ValidationFailed,
    compile_shapes,
    pyshacl_violations,
    python_violations,
    sparql_violations,
    validate,
)
from kg.vocab import LIST_GRAPH, akg, cito, dcterms, xsd

FIDDLER = ox.NamedNode("https://w3id.org/awesome-kg/id/paper/arxiv/2402.07033")
GHOST = ox.NamedNode("https://w3id.org/awesome-kg/id/paper/title/ghost")


def broken(graph: KnowledgeGraph, add=(), remove_predicate=None) -> KnowledgeGraph:
    quads = [q for q in graph.store if not (q.subject == FIDDLER and q.predicate == remove_predicate)]
    return KnowledgeGraph(quads + [ox.Quad(s, p, o, LIST_GRAPH) for s, p, o in add])


BREAKAGES = {
    "two titles": dict(add=[(FIDDLER, dcterms.title, ox.Literal("Another title"))]),
    "no heading": dict(remove_predicate=akg.listedUnder),
    "bad arXiv id": dict(add=[(FIDDLER, akg.arxiv, ox.Literal("arxiv.org/abs/2402.07033v2"))]),
    "negative count": dict(add=[(FIDDLER, akg.citationCount, ox.Literal("-3", datatype=xsd.integer))]),
    "wrong datatype": dict(add=[(FIDDLER, akg.listedYear, ox.Literal("2024"))]),
    "cites a non-work": dict(add=[(FIDDLER, cito.cites, GHOST)]),
}


def test_the_default_build_conforms_in_every_engine(default_graph):
    assert pyshacl_violations(default_graph) == set() == sparql_violations(default_graph)
    assert python_violations(default_graph) == set()


@pytest.mark.parametrize("name", BREAKAGES)
def test_every_engine_reports_the_same_violations(default_graph, name):
    graph = broken(default_graph, **BREAKAGES[name])
    expected = pyshacl_violations(graph)
    assert expected, f"pyshacl found nothing wrong with {name}"
    assert sparql_violations(graph) == expected
    assert python_violations(graph) == expected
    assert all(v.focus == f"<{FIDDLER.value}>" for v in expected)


def test_a_violation_fails_with_a_readable_report(default_graph):
    with pytest.raises(ValidationFailed, match=r"2402\.07033> <http://purl.org/dc/terms/title>: A listed paper"):
        validate(broken(default_graph, **BREAKAGES["two titles"]))


def test_a_shape_the_sparql_engine_cannot_check_is_refused():
    shapes = "@prefix sh: <http://www.w3.org/ns/shacl#> . <s> a sh:NodeShape ; sh:targetClass <C> ; sh:closed true ."
    with pytest.raises(ValueError, match="sh:closed"):
        compile_shapes(shapes.replace("<s>", "<http://x/s>").replace("<C>", "<http://x/C>"))


def test_a_constraint_broken_outside_its_shapes_targets_is_no_violation_in_either_engine(default_graph):
    """The SPARQL checks run over a property's triples and test the target afterwards: a node of no
    targeted class may carry any value."""
    graph = broken(
        default_graph,
        add=[
            (GHOST, akg.listedMonth, ox.Literal("13")),
            (GHOST, dcterms.title, ox.Literal("One")),
            (GHOST, dcterms.title, ox.Literal("Two")),
        ],
    )
    assert len(graph) == len(default_graph) + 3
    assert pyshacl_violations(graph) == set() == sparql_violations(graph) == python_violations(graph)


@pytest.mark.parametrize("engine", ["pyshacl", "sparql", "python"])
def test_kg_validate_passes_a_build_and_names_what_breaks_a_graph_file(default_build, default_graph, engine, tmp_path):
    passed = CliRunner().invoke(main, ["validate", str(default_build.out), "--engine", engine])
    assert passed.exit_code == 0 and "conforms to the shapes" in passed.output and engine in passed.output
    bad = tmp_path / "graph.nq"
    bad.write_bytes(ox.serialize(broken(default_graph, **BREAKAGES["bad arXiv id"]).store, format=ox.RdfFormat.N_QUADS))
    failed = CliRunner().invoke(main, ["validate", str(bad), "--engine", engine])
    assert failed.exit_code == 1
    assert f"<{FIDDLER.value}> <{akg.arxiv.value}>: A listed paper's akg:arxiv must be a bare arXiv id" in failed.output
    assert "(value arxiv.org/abs/2402.07033v2)" in failed.output


def test_a_build_checks_its_statements_in_python_with_the_same_report(default_graph):
    graph = broken(default_graph, **BREAKAGES["two titles"])
    with pytest.raises(ValidationFailed) as by_pyshacl:
        validate(graph)
    with pytest.raises(ValidationFailed) as by_the_build:
        validate(StatementIndex(map(from_quad, graph.store)))
    assert str(by_the_build.value) == str(by_pyshacl.value)


def test_a_value_stated_in_two_graphs_counts_once(default_graph, monkeypatch):
    """sh:minCount and sh:maxCount count distinct values over the union of the graphs, in every engine:
    the same title in a second graph is still one title (the build checks statements, which repeat it)."""
    title = next(default_graph.store.quads_for_pattern(FIDDLER, dcterms.title, None)).object
    graph = KnowledgeGraph([*default_graph.store, ox.Quad(FIDDLER, dcterms.title, title, ox.NamedNode("https://x/g"))])
    assert sparql_violations(graph) == set() == python_violations(graph)
    two_titles = f"""@prefix sh: <http://www.w3.org/ns/shacl#> .
        <https://x/shape> a sh:NodeShape ; sh:targetClass <{akg.ListedPaper.value}> ;
            sh:property [ sh:path <{dcterms.title.value}> ; sh:minCount 2 ; sh:message "two titles" ] ."""
    monkeypatch.setattr("kg.validate.shapes_text", lambda: two_titles)
    expected = pyshacl_violations(graph)
    listed = {f"<{q.subject.value}>" for q in graph.store.quads_for_pattern(None, None, akg.ListedPaper)}
    assert {v.focus for v in expected} == listed and f"<{FIDDLER.value}>" in listed
    assert sparql_violations(graph) == expected
    assert python_violations(graph) == expected
