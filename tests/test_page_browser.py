"""The citation graph page in a real browser: Debian's chromium, headless, driven by Playwright.

Expected values come from SPARQL over the same build. CI needs the Debian package
`chromium` (at /usr/bin/chromium); Playwright's own browser download is not used.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, Quad

from kg.build import ListSource, build
from kg.page import write_graph_page
from kg.store import KnowledgeGraph
from kg.vocab import ID, S2_GRAPH, akg, cito, dcterms, fabio, foaf, rdf, xsd
from test_page import HOSTILE_LIST, iris, scalar, with_clusters, with_influential_citation

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)")

VISIBLE_IRIS = "kgPage.nodeView.getIds().map((i) => kgPage.data.nodes[i].iri)"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class OpenedPage:
    """A page opened from a file with networking off, recording errors, requests and dialogs."""

    def __init__(self, browser, path: Path):
        self.context = browser.new_context(offline=True, viewport={"width": 1400, "height": 900})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("dialog", self.dismiss)
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_selector("body[data-ready=true]", timeout=30_000)

    def dismiss(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def visible(self) -> set[str]:
        return set(self.page.evaluate(VISIBLE_IRIS))

    def edge_count(self) -> int:
        return self.page.evaluate("kgPage.edgeView.length")

    def node_id(self, iri: str) -> int:
        return self.page.evaluate("(iri) => kgPage.data.nodes.findIndex((n) => n.iri === iri)", iri)

    def hover(self, node: int) -> None:
        """Move the mouse onto a node's dot, as a reader does."""
        x, y = self.page.evaluate("""(id) => {
            const box = document.getElementById("graph").getBoundingClientRect();
            const at = kgPage.network.canvasToDOM(kgPage.network.getPositions([id])[id]);
            return [box.left + at.x, box.top + at.y]; }""", node)
        self.page.mouse.move(x, y)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def open_page(browser):
    opened = []

    def opener(path: Path) -> OpenedPage:
        opened.append(OpenedPage(browser, path))
        return opened[-1]

    yield opener
    for page in opened:
        page.close()


def beside(graph: KnowledgeGraph, listed: set[str]) -> set[str]:
    """Outside works shown with these listed papers: those citing or cited by one of them."""
    return {row["o"].value for row in graph.query("""SELECT DISTINCT ?o ?p WHERE {
        ?p a akg:ListedPaper ; cito:cites|^cito:cites ?o . FILTER NOT EXISTS { ?o a akg:ListedPaper } }""")
            if row["p"].value in listed}


def heading_box(page, label: str):
    return page.locator("#headings label").filter(
        has=page.locator("span.name", has_text=re.compile(f"^{re.escape(label)}$"))).locator("input")


def test_default_page_loads_offline_and_draws_the_whole_graph(default_build, default_graph, open_page):
    opened = open_page(default_build.out / "graph.html")
    assert opened.errors == []
    folder = default_build.out.resolve().as_uri() + "/"
    assert opened.requests and all(url.startswith(folder) for url in opened.requests)
    papers = scalar(default_graph, """SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE {
        { ?p a akg:ListedPaper } UNION { ?p cito:cites ?x } UNION { ?x cito:cites ?p } }""")
    citations = scalar(default_graph, "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?a ?b WHERE { ?a cito:cites ?b } }")
    page = opened.page
    assert page.evaluate("Object.keys(kgPage.network.getPositions()).length") == papers
    assert opened.edge_count() == citations
    assert page.text_content("#status") == f"Showing {papers} of {papers} papers and {citations} of {citations} citations."
    tops = iris(default_graph, "SELECT ?l WHERE { ?h skos:topConceptOf ?s ; skos:prefLabel ?l }")
    assert {page.text_content(f"#headings > li:nth-child({i + 1}) .name") for i in range(len(tops))} == tops
    assert page.screenshot()[:8] == b"\x89PNG\r\n\x1a\n"


def test_unticking_a_heading_hides_its_papers(default_build, default_graph, open_page):
    opened = open_page(default_build.out / "graph.html")
    heading_box(opened.page, "Quantization").uncheck()
    listed = iris(default_graph, """SELECT DISTINCT ?p WHERE { ?p a akg:ListedPaper ; akg:listedUnder/skos:prefLabel ?l
                                    FILTER (?l != "Quantization") }""")
    assert opened.visible() == listed | beside(default_graph, listed)

    heading_box(opened.page, "Model Compression").uncheck()
    assert not heading_box(opened.page, "Pruning").is_checked()
    listed = iris(default_graph, """SELECT DISTINCT ?p WHERE { ?p a akg:ListedPaper ; akg:listedUnder ?h .
        FILTER NOT EXISTS { ?h skos:broader* ?c . ?c skos:prefLabel "Model Compression" } }""")
    assert opened.visible() == listed | beside(default_graph, listed)
    opened.page.click("#headings-all")
    assert len(opened.visible()) == opened.page.evaluate("kgPage.data.nodes.length")


def test_listed_only_hides_outside_works(default_build, default_graph, open_page):
    opened = open_page(default_build.out / "graph.html")
    opened.page.check("input[name=works][value=listed]")
    assert opened.visible() == iris(default_graph, "SELECT ?p WHERE { ?p a akg:ListedPaper }")
    assert opened.edge_count() == scalar(default_graph, """SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?a ?b WHERE {
        ?a a akg:ListedPaper ; cito:cites ?b . ?b a akg:ListedPaper } }""")


def test_year_range_hides_older_papers(default_build, default_graph, open_page):
    opened = open_page(default_build.out / "graph.html")
    opened.page.fill("#year-from", "2024")
    years = {}
    for row in default_graph.query("""SELECT ?p ?y WHERE {
            { ?p dcterms:issued ?d } UNION { ?p a akg:ListedPaper ; akg:listedYear ?d } BIND(SUBSTR(STR(?d), 1, 4) AS ?y) }
            ORDER BY ?p"""):
        years.setdefault(row["p"].value, int(row["y"].value))
    recent = {p for p, year in years.items() if year >= 2024}
    listed = {p for p in iris(default_graph, "SELECT ?p WHERE { ?p a akg:ListedPaper }") if p in recent or p not in years}
    expected = listed | {p for p in beside(default_graph, listed) if p in recent or p not in years}
    assert opened.visible() == expected and len(expected) < len(years)


def test_minimum_in_list_citations(default_build, default_graph, open_page):
    opened = open_page(default_build.out / "graph.html")
    opened.page.fill("#min-cited", "2")
    cited = iris(default_graph, """SELECT ?p WHERE { SELECT ?p (COUNT(DISTINCT ?citing) AS ?n) WHERE {
        ?citing a akg:ListedPaper ; cito:cites ?p } GROUP BY ?p HAVING (COUNT(DISTINCT ?citing) >= 2) }""")
    listed = cited & iris(default_graph, "SELECT ?p WHERE { ?p a akg:ListedPaper }")
    expected = listed | (beside(default_graph, listed) & cited)
    assert expected and opened.visible() == expected


def test_search_box_focuses_the_paper(default_build, default_graph, open_page):
    opened = open_page(default_build.out / "graph.html")
    qmoe, title, issued = next(iter(default_graph.query("""SELECT ?p ?title ?issued WHERE {
        ?p akg:arxiv '2310.16795' ; a akg:ListedPaper ; dcterms:title ?title ; dcterms:issued ?issued }""")))
    qmoe, title = qmoe.value, title.value
    page = opened.page
    page.fill("#search", "sub-1-bit compression")
    assert page.text_content("#search-results li") == f"{title} ({issued.value[:4]})"
    page.press("#search", "Enter")
    node = opened.node_id(qmoe)
    assert page.evaluate("kgPage.network.getSelectedNodes()") == [node]
    page.wait_for_function("""(id) => { const at = kgPage.network.getPositions([id])[id];
        const view = kgPage.network.getViewPosition();
        return Math.abs(at.x - view.x) < 1 && Math.abs(at.y - view.y) < 1; }""", arg=node)
    assert page.text_content("#details h2") == title
    assert page.get_attribute("#details .links a", "href") == next(iter(default_graph.query(
        "SELECT ?page ?p WHERE { GRAPH <https://w3id.org/awesome-kg/id/graph/list> { ?p foaf:page ?page } }",
        {"p": NamedNode(qmoe)})))[0].value


def test_hover_shows_the_facts_of_the_graph(default_build, default_graph, open_page):
    opened = open_page(default_build.out / "graph.html")
    qmoe = NamedNode(next(iter(iris(default_graph, "SELECT ?p WHERE { ?p akg:arxiv '2310.16795' ; a akg:ListedPaper }"))))
    opened.hover(opened.node_id(qmoe.value))
    opened.page.wait_for_selector("#tooltip:not([hidden])")
    first_author = next(iter(default_graph.query(
        "SELECT ?name ?p WHERE { ?p akg:authorship [ akg:position 1 ; akg:author/foaf:name ?name ] }", {"p": qmoe})))[0]
    text = opened.page.text_content("#tooltip")
    assert text.startswith("QMoE: Practical Sub-1-Bit Compression") and first_author.value in text
    assert "Listed under: Quantization" in text


def test_free_and_freeze_the_layout(default_build, open_page):
    opened = open_page(default_build.out / "graph.html")
    page = opened.page
    before = page.evaluate("kgPage.network.getPositions()")
    page.click("#layout-toggle")
    assert page.text_content("#layout-toggle") == "Freeze layout" and page.evaluate("kgPage.physics()")
    page.wait_for_function("(before) => JSON.stringify(kgPage.network.getPositions()) !== JSON.stringify(before)",
                           arg=before)
    page.click("#layout-toggle")
    assert page.text_content("#layout-toggle") == "Free layout" and not page.evaluate("kgPage.physics()")
    frozen = page.evaluate("kgPage.network.getPositions()")
    page.wait_for_timeout(500)
    assert page.evaluate("kgPage.network.getPositions()") == frozen


def test_colour_by_cluster(default_graph, open_page, tmp_path):
    graph, members = with_clusters(default_graph)
    write_graph_page(graph, tmp_path)
    opened = open_page(tmp_path / "graph.html")
    page = opened.page
    assert page.is_visible("#colour-by") and not page.is_visible("#cluster-legend")
    page.select_option("#colour-by", "cluster")
    assert page.locator("#clusters .name").all_text_contents() == list(members)
    colours = page.evaluate("kgPage.data.clusters.map((c) => c.colour)")
    grey = page.evaluate("kgPage.data.outsideColour")
    drawn = page.evaluate("kgPage.nodeView.get().map((n) => [kgPage.data.nodes[n.id].iri, n.color])")
    assert drawn
    for iri, colour in drawn:
        expected = [colours[i] for i, papers in enumerate(members.values()) if iri in papers]
        assert colour == (expected[0] if expected else grey)
    page.select_option("#colour-by", "heading")
    assert page.evaluate("kgPage.nodeView.get().filter((n) => n.color !== kgPage.data.outsideColour).length") == scalar(
        default_graph, "SELECT (COUNT(*) AS ?n) WHERE { ?p a akg:ListedPaper }")


def test_influential_citations_are_drawn_heavier(default_graph, open_page, tmp_path):
    graph, (citing, cited) = with_influential_citation(default_graph)
    write_graph_page(graph, tmp_path)
    opened = open_page(tmp_path / "graph.html")
    widths = opened.page.evaluate("""kgPage.edgeView.get().map((e) => [kgPage.data.nodes[e.from].iri,
        kgPage.data.nodes[e.to].iri, kgPage.network.body.edges[e.id].options.width])""")
    assert sorted({width for _, _, width in widths}) == [1, 3]
    assert [(a, b) for a, b, width in widths if width == 3] == [(citing, cited)]


def test_large_graph_labels_listed_papers_once_zoomed_in(default_graph, open_page, tmp_path):
    survey = NamedNode(next(iter(iris(default_graph, "SELECT ?p WHERE { ?p akg:arxiv '2407.06204' ; a akg:ListedPaper }"))))
    works = [NamedNode(f"{ID}paper/s2/many-{k}") for k in range(2000)]
    extra = [q for work in works for q in (Quad(work, rdf.type, fabio.Expression, S2_GRAPH),
                                           Quad(survey, cito.cites, work, S2_GRAPH))]
    write_graph_page(KnowledgeGraph(list(default_graph.store) + extra), tmp_path)
    opened = open_page(tmp_path / "graph.html")
    page = opened.page
    assert page.evaluate("kgPage.nodeView.get().filter((n) => n.label !== undefined).length") == 0
    node = opened.node_id(survey.value)
    page.evaluate("(id) => kgPage.network.moveTo({ position: kgPage.network.getPositions([id])[id], scale: 1.5 })", node)
    opened.hover(node)
    page.mouse.wheel(0, -100)
    page.wait_for_function("(id) => kgPage.nodeView.get(id).label !== undefined", arg=node)
    assert page.evaluate("(id) => kgPage.nodeView.get(id).label", node) == "A Survey on Mixture of Experts"
    assert opened.errors == []


def hostile_quads(graph: KnowledgeGraph) -> list[Quad]:
    """Outside facts with markup in them: an author, a venue, a TL;DR, a link and a cited work."""
    paper = next(iter(graph.query("SELECT ?p WHERE { ?p akg:arxiv '2402.07033' ; a akg:ListedPaper }")))[0]
    person, authorship = NamedNode(ID + "person/name/hostile"), NamedNode(paper.value + "/authorship/0")
    work, g = NamedNode(ID + "paper/s2/hostile"), S2_GRAPH
    return [
        Quad(paper, akg.authorship, authorship, g), Quad(authorship, akg.position, Literal("0", datatype=xsd.integer), g),
        Quad(authorship, akg.author, person, g), Quad(person, foaf.name, Literal("<img src=x onerror=alert(7)>"), g),
        Quad(paper, akg.tldr, Literal("</script><script>alert(8)</script>"), g),
        Quad(paper, akg.publishedVenue, Literal('<svg onload="alert(9)">'), g),
        Quad(paper, foaf.page, NamedNode("javascript:alert(10)"), g),
        Quad(work, rdf.type, fabio.Expression, g), Quad(paper, cito.cites, work, g),
        Quad(work, dcterms.title, Literal('<a href="javascript:alert(11)">href</a><img src=y onerror=alert(12)>'), g),
    ]


def test_markup_from_the_list_and_from_outside_runs_nothing(open_page, tmp_path):
    listed = tmp_path / "evil.md"
    listed.write_text(HOSTILE_LIST)
    result = build(ListSource.from_path(listed), tmp_path / "out", offline=True, cache_dir=tmp_path / "cache")
    result.graph.store.extend(hostile_quads(result.graph))
    write_graph_page(result.graph, result.out)
    opened = open_page(result.out / "graph.html")
    page = opened.page
    assert page.text_content("h1") == 'Evil <script>alert("list")</script> list'
    titles = page.evaluate("kgPage.data.nodes.map((n) => n.title)")
    for node, title in enumerate(titles):
        page.mouse.move(0, 0)
        opened.hover(node)
        page.wait_for_selector("#tooltip:not([hidden])")
        assert page.text_content("#tooltip strong") == title
    for node in range(len(titles)):
        page.evaluate("(id) => kgPage.focusNode(id)", node)
    page.fill("#search", "img src")
    assert page.locator("#search-results button").all_text_contents() == [
        "<img src=x onerror=alert(1)> (2024)", '<a href="javascript:alert(11)">href</a><img src=y onerror=alert(12)>']
    page.evaluate("kgPage.focusNode(kgPage.data.nodes.findIndex((n) => n.title.startsWith('<img src=x')))")
    assert "<img src=x onerror=alert(7)>" in page.text_content("#details .authors")
    assert page.text_content("#details .tldr") == "TL;DR: </script><script>alert(8)</script>"
    page.wait_for_timeout(300)
    assert opened.dialogs == [] and opened.errors == []
    assert page.evaluate("document.querySelectorAll('img, svg, #details a[href^=javascript], b').length") == 0
    assert page.evaluate("[...document.querySelectorAll('#details a')].map((a) => a.href)") == [
        "https://arxiv.org/abs/2402.07033"]
