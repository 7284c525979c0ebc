"""The citation graph page (graph.html): what it draws, read back from the page's own data.

Expected values come from SPARQL over the same build, not from the page module.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from pyoxigraph import Literal, NamedNode, Quad
from pyvis.network import Network

from kg.build import ListSource, build
from kg.cli import main
from kg.model import read_model
from kg.page import (
    PageError,
    citation_graph,
    find_paper,
    neighbourhood,
    page_html,
    page_network,
    under_heading,
    view_page,
    within_budget,
)
from kg.store import KnowledgeGraph
from kg.vocab import CLUSTER_GRAPH, ID, akg, cito, foaf, rdf, xsd

HOSTILE_LIST = """# Evil <script>alert("list")</script> list

## Attacks <b onmouseover=alert("heading")>bold</b>

[Arxiv'24] [\\<img src=x onerror=alert(1)\\>](https://arxiv.org/abs/2401.99991)

[Arxiv'24] [Closing \\</script\\>\\<script\\>alert(2)\\</script\\> tags](https://arxiv.org/abs/2401.99992)
"""


class PageParts(HTMLParser):
    """The scripts, styles and external references of a page, as a browser's tokenizer splits them."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.scripts: list[tuple[dict, str]] = []
        self.references: list[str] = []
        self.meta: dict[str, str] = {}
        self._open: dict | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.references += [value for name, value in attrs.items() if name in ("src", "href") and value]
        if tag == "script":
            self._open = attrs
        if tag == "meta" and "http-equiv" in attrs:
            self.meta[attrs["http-equiv"].lower()] = attrs["content"]

    def handle_data(self, data):
        if self._open is not None:
            self.scripts.append((self._open, data))
            self._open = None

    def handle_endtag(self, tag):
        self._open = None


def page_json(html: str) -> dict:
    """The one JSON block the page's script reads."""
    blocks = [text for attrs, text in PageParts(html).scripts if attrs.get("type") == "application/json"]
    assert len(blocks) == 1
    return json.loads(blocks[0])


def scalar(graph: KnowledgeGraph, sparql: str) -> int:
    return int(next(iter(graph.query(sparql)))[0].value)


def iris(graph: KnowledgeGraph, sparql: str, **bindings) -> set[str]:
    """The first column's values (Oxigraph binds only variables the SELECT projects)."""
    return {row[0].value for row in graph.query(sparql, bindings)}


PAPER_COUNT = """SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE {
  { ?p a akg:ListedPaper } UNION { ?p cito:cites ?x } UNION { ?x cito:cites ?p } }"""
EDGE_COUNT = "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?a ?b WHERE { ?a cito:cites ?b } }"


def test_build_writes_a_self_contained_page(default_build):
    page = default_build.out / "graph.html"
    assert page in default_build.files
    parts = PageParts(page.read_text("utf-8"))
    assert parts.references == []  # no script src, no stylesheet link, no image
    assert [attrs for attrs, _ in parts.scripts] == [{"id": "graph-data", "type": "application/json"}, {}, {}]
    policy = parts.meta["content-security-policy"]
    assert "default-src 'none'" in policy and policy.count("'sha256-") == 2
    assert "vis-network" in parts.scripts[1][1][:200]


def test_page_draws_every_paper_and_citation_of_the_graph(default_build, default_graph):
    data = page_json((default_build.out / "graph.html").read_text("utf-8"))
    assert len(data["nodes"]) == scalar(default_graph, PAPER_COUNT)
    assert len(data["edges"]) == scalar(default_graph, EDGE_COUNT)
    listed = iris(default_graph, "SELECT ?p WHERE { ?p a akg:ListedPaper }")
    assert {n["iri"] for n in data["nodes"] if n.get("listed")} == listed
    by_iri = {n["iri"]: n for n in data["nodes"]}
    for row in default_graph.query("SELECT ?p ?t WHERE { ?p a akg:ListedPaper ; dcterms:title ?t }"):
        assert by_iri[row["p"].value]["title"] == row["t"].value
    cited = [(data["nodes"][a]["iri"], data["nodes"][b]["iri"]) for a, b, _ in data["edges"]]
    pairs = default_graph.query("SELECT ?a ?b WHERE { ?a cito:cites ?b }")
    assert set(cited) == {(r[0].value, r[1].value) for r in pairs}


def test_legend_counts_follow_the_taxonomy(default_build, default_graph):
    data = page_json((default_build.out / "graph.html").read_text("utf-8"))
    for heading in data["headings"]:
        expected = iris(
            default_graph,
            """SELECT DISTINCT ?p ?label WHERE {
            ?p a akg:ListedPaper ; akg:listedUnder/skos:broader* ?h . ?h skos:prefLabel ?label }""",
            label=Literal(heading["label"]),
        )
        assert heading["count"] == len(expected), heading["label"]
    tops = [h for h in data["headings"] if h["parent"] is None]
    assert all(h["colour"] for h in tops) and len({h["colour"] for h in tops}) == len(tops)
    assert any(h["parent"] is not None for h in data["headings"])
    assert all(h["colour"] is None for h in data["headings"] if h["parent"] is not None)


def test_outside_works_are_smaller_than_listed_papers(default_build):
    nodes = page_json((default_build.out / "graph.html").read_text("utf-8"))["nodes"]
    assert max(n["size"] for n in nodes if not n.get("listed")) < min(n["size"] for n in nodes if n.get("listed"))
    more_cited = sorted((n.get("citedInList", 0), n["size"]) for n in nodes if not n.get("listed"))
    assert more_cited[-1][1] > more_cited[0][1]  # log-scaled by citations, not constant


def test_the_same_graph_gives_the_same_page(default_build, tmp_path):
    again = build(out=tmp_path / "again", offline=True, cache_dir=tmp_path / "cache")
    assert (again.out / "graph.html").read_bytes() == (default_build.out / "graph.html").read_bytes()


def test_positions_are_spread_out(default_build):
    nodes = page_json((default_build.out / "graph.html").read_text("utf-8"))["nodes"]
    positions = [(n["x"], n["y"]) for n in nodes]
    assert len(set(positions)) == len(positions)


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory):
    """An offline build of a list whose title, heading and paper titles hold markup (papers the snapshot
    does not know, so that the list's titles are their titles)."""
    folder = tmp_path_factory.mktemp("hostile")
    listed = folder / "evil.md"
    listed.write_text(HOSTILE_LIST)
    return build(ListSource.from_path(listed), folder / "out", offline=True, cache_dir=folder / "cache")


def test_hostile_text_stays_text_in_the_html(hostile_build):
    html = (hostile_build.out / "graph.html").read_text("utf-8")
    parts = PageParts(html)
    assert len(parts.scripts) == 3 and parts.references == []
    assert "<script>alert" not in html and "<img src=x" not in html
    data = page_json(html)
    assert {n["title"] for n in data["nodes"] if n.get("listed")} == {
        "<img src=x onerror=alert(1)>",
        "Closing </script><script>alert(2)</script> tags",
    }
    assert data["headings"][0]["label"] == 'Attacks <b onmouseover=alert("heading")>bold</b>'
    assert re.search(r"<h1>Evil &lt;script&gt;alert\(&#34;list&#34;\)&lt;/script&gt; list</h1>", html)


def test_pyvis_renders_the_page_with_its_nodes_escaped(hostile_build):
    network = page_network(citation_graph(read_model(hostile_build.graph)))
    our_template = Path(__file__).resolve().parents[1] / "kg" / "templates" / "graph.html"
    assert isinstance(network, Network) and Path(network.template_dir, network.path).resolve() == our_template
    html = network.generate_html()
    assert html == (hostile_build.out / "graph.html").read_text("utf-8")
    block = next(text for attrs, text in PageParts(html).scripts if attrs.get("type") == "application/json")
    assert not {"<", ">", "&", "'"} & set(block)  # Jinja's tojson escaped them all
    assert r'"title":"\u003cimg src=x onerror=alert(1)\u003e"' in block
    assert r'"title":"Closing \u003c/script\u003e\u003cscript\u003ealert(2)\u003c/script\u003e tags"' in block
    data = json.loads(block)
    assert data["nodes"] == network.nodes and data["edges"] == network.edges
    assert json.loads(data["options"]) == network.options and network.options["physics"]["enabled"] is False


def test_only_web_links_become_links(default_graph, tmp_path):
    paper = next(iter(iris(default_graph, "SELECT ?p WHERE { ?p akg:arxiv '2402.07033' }")))
    graph = KnowledgeGraph(
        list(default_graph.store)
        + [Quad(NamedNode(paper), foaf.page, NamedNode("javascript:alert(1)"), NamedNode(ID + "graph/list"))]
    )
    node = next(n for n in page_json(page_html(citation_graph(read_model(graph))))["nodes"] if n["iri"] == paper)
    assert node["pages"] == ["https://arxiv.org/abs/2402.07033"]


def test_focus_draws_the_neighbourhood_sparql_finds(default_graph):
    graph = citation_graph(read_model(default_graph))
    centre = find_paper(graph, "qmoe")
    qmoe = NamedNode(graph.papers[centre].iri)
    for depth, path in ((1, "(cito:cites|^cito:cites)"), (2, "(cito:cites|^cito:cites)/(cito:cites|^cito:cites)?")):
        expected = iris(default_graph, f"SELECT DISTINCT ?o ?p WHERE {{ ?p {path} ?o }}", p=qmoe) | {qmoe.value}
        assert {p.iri for p in neighbourhood(graph, centre, depth).papers} == expected
    assert [p.iri for p in neighbourhood(graph, centre, 0).papers] == [qmoe.value]


def test_focus_needs_words_that_name_one_paper(default_graph):
    graph = citation_graph(read_model(default_graph))
    with pytest.raises(PageError, match=r"\d+ papers match 'mixture'; give more title words"):
        find_paper(graph, "mixture")
    with pytest.raises(PageError, match="no paper title has the words 'no such paper'"):
        find_paper(graph, "no such paper")
    assert graph.papers[find_paper(graph, "A Survey on Mixture of Experts")].title == "A Survey on Mixture of Experts"


def test_heading_page_holds_its_papers_and_their_outside_works(default_graph):
    graph = citation_graph(read_model(default_graph))
    label = Literal("Model Compression")
    listed = iris(
        default_graph,
        """SELECT ?p ?label WHERE { ?p a akg:ListedPaper ; akg:listedUnder/skos:broader* ?h .
                                    ?h skos:prefLabel ?label }""",
        label=label,
    )
    outside = iris(
        default_graph,
        """SELECT DISTINCT ?o ?label WHERE {
        ?p a akg:ListedPaper ; akg:listedUnder/skos:broader* ?h .
        ?h skos:prefLabel ?label . ?p cito:cites|^cito:cites ?o . FILTER NOT EXISTS { ?o a akg:ListedPaper } }""",
        label=label,
    )
    assert len(listed) > 2
    assert {p.iri for p in under_heading(graph, "model compression").papers} == listed | outside
    with pytest.raises(PageError, match="no heading is labelled 'Nope'; the headings are: .*Quantization"):
        under_heading(graph, "Nope")


def test_over_the_budget_only_listed_papers_are_drawn(default_graph):
    drawn, note = within_budget(citation_graph(read_model(default_graph)), 20)
    html = page_html(drawn, note=note)
    data = page_json(html)
    listed = scalar(default_graph, "SELECT (COUNT(*) AS ?n) WHERE { ?p a akg:ListedPaper }")
    assert len(data["nodes"]) == listed and all(n.get("listed") for n in data["nodes"])
    assert f"only the {listed} listed papers are drawn" in html


def with_clusters(graph: KnowledgeGraph) -> tuple[KnowledgeGraph, dict[str, set[str]]]:
    """The graph with its own clusters replaced by two made here: the Quantization papers and the surveys."""
    members = {
        "Low-bit experts": iris(graph, "SELECT ?p WHERE { ?p akg:listedUnder/skos:prefLabel 'Quantization' }"),
        "Surveys": iris(graph, "SELECT ?p WHERE { ?p akg:listedUnder/skos:prefLabel 'Survey' }"),
    }
    quads = [q for q in graph.store if q.graph_name != CLUSTER_GRAPH]
    for n, (label, papers) in enumerate(members.items()):
        cluster = NamedNode(f"{ID}test-clustering/cluster/{n}")
        quads += [
            Quad(cluster, rdf.type, akg.Cluster, CLUSTER_GRAPH),
            Quad(cluster, akg.clusterLabel, Literal(label), CLUSTER_GRAPH),
        ]
        quads += [Quad(cluster, akg.clusterMember, NamedNode(p), CLUSTER_GRAPH) for p in papers]
    return KnowledgeGraph(quads), members


def test_clusters_reach_the_page(default_graph):
    graph, members = with_clusters(default_graph)
    data = page_json(page_html(citation_graph(read_model(graph))))
    assert [(c["label"], c["count"]) for c in data["clusters"]] == [("Low-bit experts", 4), ("Surveys", 2)]
    assert data["nodes"]
    for n in data["nodes"]:
        expected = [i for i, papers in enumerate(members.values()) if n["iri"] in papers]
        assert n.get("clusters", []) == expected


def with_influential_citation(graph: KnowledgeGraph) -> tuple[KnowledgeGraph, tuple[str, str]]:
    """The graph with one of its citations reported influential (a reified cito:Citation)."""
    citing, cited = next(
        iter(graph.query("SELECT ?a ?b WHERE { ?a a akg:ListedPaper ; cito:cites ?b } ORDER BY ?a ?b"))
    )
    citation, g = NamedNode(f"{ID}citation/test-influential"), NamedNode(ID + "graph/semantic-scholar")
    quads = [
        Quad(citation, rdf.type, cito.Citation, g),
        Quad(citation, cito.hasCitingEntity, citing, g),
        Quad(citation, cito.hasCitedEntity, cited, g),
        Quad(citation, akg.isInfluential, Literal("true", datatype=xsd.boolean), g),
    ]
    return KnowledgeGraph(list(graph.store) + quads), (citing.value, cited.value)


def test_influential_citations_are_marked(default_graph):
    graph, pair = with_influential_citation(default_graph)
    data = page_json(page_html(citation_graph(read_model(graph))))
    marked = [(data["nodes"][a]["iri"], data["nodes"][b]["iri"]) for a, b, influential in data["edges"] if influential]
    assert marked == [pair]


def test_kg_view_writes_focus_and_heading_pages(default_build, default_graph, tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["view", str(default_build.out), "--focus", "QMoE", "--depth", "2", "--no-open"])
    assert result.exit_code == 0, result.output
    page = Path(result.output.removeprefix("wrote ").split(": ")[0])
    assert default_build.out.resolve() not in page.resolve().parents  # the build is left as it was
    data = page_json(page.read_text("utf-8"))
    expected = scalar(
        default_graph,
        """SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE {
        ?p akg:arxiv '2310.16795' .
        { BIND(?p AS ?o) } UNION { ?p (cito:cites|^cito:cites)/(cito:cites|^cito:cites)? ?o } }""",
    )
    assert len(data["nodes"]) == expected

    out = tmp_path / "quantization.html"
    result = runner.invoke(
        main, ["view", str(default_build.out), "--heading", "Quantization", "--out", str(out), "--no-open"]
    )
    assert result.exit_code == 0, result.output
    assert {n["iri"] for n in page_json(out.read_text("utf-8"))["nodes"] if n.get("listed")} == iris(
        default_graph, "SELECT ?p WHERE { ?p akg:listedUnder/skos:prefLabel 'Quantization' }"
    )


def test_kg_view_over_the_budget_says_what_it_left_out(default_build, default_graph, tmp_path):
    listed = scalar(default_graph, "SELECT (COUNT(*) AS ?n) WHERE { ?p a akg:ListedPaper }")
    result = CliRunner().invoke(
        main,
        [
            "view",
            str(default_build.out),
            "--max-nodes",
            str(listed),
            "--out",
            str(tmp_path / "small.html"),
            "--no-open",
        ],
    )
    assert result.exit_code == 0, result.output
    assert f"{listed} papers ({listed} listed, 0 outside works)" in result.output
    assert f"only the {listed} listed papers are drawn" in result.output


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--depth", "2"], "--depth needs --focus"),
        (["--heading", "Nope"], "no heading is labelled 'Nope'"),
        (["--focus", "mixture"], "papers match 'mixture'"),
    ],
)
def test_kg_view_says_what_was_expected(default_build, arguments, message):
    result = CliRunner().invoke(main, ["view", str(default_build.out), *arguments, "--no-open"])
    assert result.exit_code == 1 and message in result.output


def test_view_page_of_a_folder_without_a_graph(tmp_path):
    with pytest.raises(FileNotFoundError, match="run `kg build` first"):
        view_page(tmp_path)


def test_labels_go_to_listed_papers_first_then_the_works_the_list_cites_most(default_build, default_graph):
    data = page_json((default_build.out / "graph.html").read_text("utf-8"))
    order = [data["nodes"][i] for i in data["labelOrder"]]
    listed = scalar(default_graph, "SELECT (COUNT(*) AS ?n) WHERE { ?p a akg:ListedPaper }")
    assert sorted(data["labelOrder"]) == list(range(len(data["nodes"])))
    assert all(n.get("listed") for n in order[:listed]) and not any(n.get("listed") for n in order[listed:])
    cited_by_list = {
        row["o"].value: int(row["n"].value)
        for row in default_graph.query("""
        SELECT ?o (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a akg:ListedPaper ; cito:cites ?o } GROUP BY ?o""")
    }
    outside = [cited_by_list.get(n["iri"], 0) for n in order[listed:]]
    assert outside and outside == sorted(outside, reverse=True)


def test_timeline_puts_each_year_in_its_own_band(default_build, default_graph):
    data = page_json((default_build.out / "graph.html").read_text("utf-8"))
    bands = [b for b in data["years"] if "year" in b]
    assert [b["year"] for b in bands] == sorted(b["year"] for b in bands) and len(bands) > 3
    issued = {
        row["p"].value: int(row["y"].value)
        for row in default_graph.query(
            "SELECT ?p (MIN(SUBSTR(STR(?d), 1, 4)) AS ?y) WHERE { ?p dcterms:issued ?d } GROUP BY ?p"
        )
    }
    dated = [n for n in data["nodes"] if n["iri"] in issued]
    assert dated
    for node in dated:
        band = next(b for b in bands if b["year"] == issued[node["iri"]])
        assert band["left"] < node["yearX"] < band["left"] + band["width"]
    assert sum(b["papers"] for b in data["years"]) == len(data["nodes"])
    assert len({(n["yearX"], n["yearY"]) for n in data["nodes"]}) == len(data["nodes"])  # none on another


def test_prior_works_are_the_outside_works_the_list_cites_most(default_build, default_graph):
    data = page_json((default_build.out / "graph.html").read_text("utf-8"))
    counts = [
        int(row["n"].value)
        for row in default_graph.query("""
        SELECT ?o (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a akg:ListedPaper ; cito:cites ?o .
        FILTER NOT EXISTS { ?o a akg:ListedPaper } } GROUP BY ?o ORDER BY DESC(?n) LIMIT 10""")
    ]
    assert len(counts) == 10
    assert [data["nodes"][i]["citedInList"] for i in data["prior"]] == counts
    assert data["derivative"] == []  # offline, no outside work is known to cite the list


MANY_HEADINGS_LIST = "# Many areas\n\n" + "".join(
    f"## Area {k}\n\n[Arxiv'24] [Paper {k}](https://arxiv.org/abs/2402.{k:05d})\n\n" for k in range(11)
)


def test_past_the_palette_smaller_groups_share_one_colour(tmp_path):
    listed = tmp_path / "many.md"
    listed.write_text(MANY_HEADINGS_LIST)
    result = build(ListSource.from_path(listed), tmp_path / "out", offline=True, cache_dir=tmp_path / "cache")
    data = page_json((result.out / "graph.html").read_text("utf-8"))
    colours = [h["colour"] for h in data["headings"] if h["parent"] is None]
    assert len(colours) == 11
    named = [c for c in colours if c != data["otherColour"]]
    assert len(named) == len(set(named)) == 8 and colours.count(data["otherColour"]) == 3
    assert data["outsideColour"] not in colours
