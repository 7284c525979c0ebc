"""The citation graph page in a real browser: Debian's chromium, headless, driven by Playwright.

Expected values come from SPARQL over the same build. CI needs the Debian package
`chromium` (at /usr/bin/chromium); Playwright's own browser download is not used.
"""

from __future__ import annotations

import re
from itertools import combinations
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, Quad

from kg.build import ListSource, build
from kg.page import write_graph_page
from kg.store import KnowledgeGraph
from kg.vocab import ID, S2_GRAPH, akg, cito, dcterms, fabio, foaf, rdf, xsd
from test_page import HOSTILE_LIST, PAPER_COUNT, iris, scalar, with_clusters, with_influential_citation

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)"
)

PAPERS_OUTSIDE_THE_LIST = """SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE {
  { ?p cito:cites ?x } UNION { ?x cito:cites ?p } FILTER NOT EXISTS { ?p a akg:ListedPaper } }"""
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
        return self.page.evaluate("kgPage.shownEdges().length")

    def node_id(self, iri: str) -> int:
        return self.page.evaluate("(iri) => kgPage.data.nodes.findIndex((n) => n.iri === iri)", iri)

    def hover(self, node: int) -> None:
        """Move the mouse onto a node's dot, as a reader does."""
        x, y = self.page.evaluate(
            """(id) => {
            const box = document.getElementById("graph").getBoundingClientRect();
            const at = kgPage.network.canvasToDOM(kgPage.network.getPositions([id])[id]);
            return [box.left + at.x, box.top + at.y]; }""",
            node,
        )
        self.page.mouse.move(x, y)

    def next_frame(self) -> None:
        """Wait until a frame is drawn after the last change."""
        self.page.evaluate("""() => new Promise((drawn) => {
            kgPage.network.once("afterDrawing", drawn); kgPage.network.redraw(); })""")

    def label_boxes(self) -> list[dict]:
        """The labels the last frame drew, as boxes in screen pixels, with their paper's IRI and text."""
        self.next_frame()
        return self.page.evaluate("""kgPage.labelBoxes().map((b) => ({ ...b, iri: kgPage.data.nodes[b.id].iri,
            title: kgPage.data.nodes[b.id].title }))""")

    def zoom_to(self, node: int, scale: float) -> None:
        self.page.evaluate(
            """([id, scale]) => kgPage.network.moveTo({
            position: kgPage.network.getPositions([id])[id], scale })""",
            [node, scale],
        )

    def centre_colour(self, node: int) -> str:
        """The colour a reader sees at the centre of a node's dot, read from the canvas."""
        return self.page.evaluate(
            """(id) => {
            const canvas = document.querySelector("#graph canvas");
            const at = kgPage.network.canvasToDOM(kgPage.network.getPositions([id])[id]);
            const ratio = canvas.width / canvas.getBoundingClientRect().width;
            const [r, g, b] = canvas.getContext("2d").getImageData(Math.round(at.x * ratio), Math.round(at.y * ratio),
                                                                    1, 1).data;
            return "#" + [r, g, b].map((v) => v.toString(16).padStart(2, "0")).join("").toUpperCase(); }""",
            node,
        )

    def legend(self) -> list[tuple[str, str, int]]:
        """The legend as a reader sees it: each swatch's colour, its words, its count."""
        return [
            (
                item.get_attribute("data-colour"),
                item.locator(".name").text_content(),
                int(item.locator(".count").text_content()),
            )
            for item in self.page.locator("#legend li").all()
        ]

    def close(self) -> None:
        self.context.close()


def overlaps(boxes: list[dict]) -> list[tuple[str, str]]:
    """Pairs of boxes that share any area."""
    return [
        (a.get("title", a.get("label")), b.get("title", b.get("label")))
        for a, b in combinations(boxes, 2)
        if a["x"] < b["x"] + b["w"]
        and b["x"] < a["x"] + a["w"]
        and a["y"] < b["y"] + b["h"]
        and b["y"] < a["y"] + a["h"]
    ]


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
    return {
        row["o"].value
        for row in graph.query("""SELECT DISTINCT ?o ?p WHERE {
        ?p a akg:ListedPaper ; cito:cites|^cito:cites ?o . FILTER NOT EXISTS { ?o a akg:ListedPaper } }""")
        if row["p"].value in listed
    }


def heading_box(page, label: str):
    return (
        page.locator("#headings label")
        .filter(has=page.locator("span.name", has_text=re.compile(f"^{re.escape(label)}$")))
        .locator("input")
    )


def test_default_page_loads_offline_and_draws_the_whole_graph(default_build, default_graph, open_page, tmp_path):
    opened = open_page(default_build.out / "graph.html")
    assert opened.errors == []
    folder = default_build.out.resolve().as_uri() + "/"
    assert opened.requests and all(url.startswith(folder) for url in opened.requests)
    papers = scalar(
        default_graph,
        """SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE {
        { ?p a akg:ListedPaper } UNION { ?p cito:cites ?x } UNION { ?x cito:cites ?p } }""",
    )
    citations = scalar(
        default_graph, "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?a ?b WHERE { ?a cito:cites ?b } }"
    )
    page = opened.page
    assert page.evaluate("Object.keys(kgPage.network.getPositions()).length") == papers
    assert opened.edge_count() == citations
    assert page.text_content("#status") == (
        f"Showing {papers} of {papers} papers and {citations} of {citations} citations."
    )
    tops = iris(default_graph, "SELECT ?l WHERE { ?h skos:topConceptOf ?s ; skos:prefLabel ?l }")
    assert {page.text_content(f"#headings > li:nth-child({i + 1}) .name") for i in range(len(tops))} == tops
    assert page.screenshot()[:8] == b"\x89PNG\r\n\x1a\n"


def test_unticking_a_heading_hides_its_papers(default_build, default_graph, open_page):
    opened = open_page(default_build.out / "graph.html")
    heading_box(opened.page, "Quantization").uncheck()
    listed = iris(
        default_graph,
        """SELECT DISTINCT ?p WHERE { ?p a akg:ListedPaper ; akg:listedUnder/skos:prefLabel ?l
                                    FILTER (?l != "Quantization") }""",
    )
    assert opened.visible() == listed | beside(default_graph, listed)

    heading_box(opened.page, "Model Compression").uncheck()
    assert not heading_box(opened.page, "Pruning").is_checked()
    listed = iris(
        default_graph,
        """SELECT DISTINCT ?p WHERE { ?p a akg:ListedPaper ; akg:listedUnder ?h .
        FILTER NOT EXISTS { ?h skos:broader* ?c . ?c skos:prefLabel "Model Compression" } }""",
    )
    assert opened.visible() == listed | beside(default_graph, listed)
    opened.page.click("#headings-all")
    assert len(opened.visible()) == opened.page.evaluate("kgPage.data.nodes.length")


def test_listed_only_hides_outside_works(default_build, default_graph, open_page):
    opened = open_page(default_build.out / "graph.html")
    opened.page.check("input[name=works][value=listed]")
    assert opened.visible() == iris(default_graph, "SELECT ?p WHERE { ?p a akg:ListedPaper }")
    assert opened.edge_count() == scalar(
        default_graph,
        """SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?a ?b WHERE {
        ?a a akg:ListedPaper ; cito:cites ?b . ?b a akg:ListedPaper } }""",
    )


def test_year_range_hides_older_papers(default_build, default_graph, open_page):
    opened = open_page(default_build.out / "graph.html")
    opened.page.fill("#year-from", "2024")
    years = {}
    for row in default_graph.query("""SELECT ?p ?y WHERE {
            { ?p dcterms:issued ?d } UNION { ?p a akg:ListedPaper ; akg:listedYear ?d }
            BIND(SUBSTR(STR(?d), 1, 4) AS ?y) }
            ORDER BY ?p"""):
        years.setdefault(row["p"].value, int(row["y"].value))
    recent = {p for p, year in years.items() if year >= 2024}
    listed = {
        p for p in iris(default_graph, "SELECT ?p WHERE { ?p a akg:ListedPaper }") if p in recent or p not in years
    }
    expected = listed | {p for p in beside(default_graph, listed) if p in recent or p not in years}
    assert opened.visible() == expected and len(expected) < len(years)


def test_minimum_in_list_citations(default_build, default_graph, open_page):
    opened = open_page(default_build.out / "graph.html")
    opened.page.fill("#min-cited", "2")
    cited = iris(
        default_graph,
        """SELECT ?p WHERE { SELECT ?p (COUNT(DISTINCT ?citing) AS ?n) WHERE {
        ?citing a akg:ListedPaper ; cito:cites ?p } GROUP BY ?p HAVING (COUNT(DISTINCT ?citing) >= 2) }""",
    )
    listed = cited & iris(default_graph, "SELECT ?p WHERE { ?p a akg:ListedPaper }")
    expected = listed | (beside(default_graph, listed) & cited)
    assert expected and opened.visible() == expected


def test_search_box_focuses_the_paper(default_build, default_graph, open_page):
    opened = open_page(default_build.out / "graph.html")
    qmoe, title, issued = next(
        iter(
            default_graph.query("""SELECT ?p ?title ?issued WHERE {
        ?p akg:arxiv '2310.16795' ; a akg:ListedPaper ; dcterms:title ?title ; dcterms:issued ?issued }""")
        )
    )
    qmoe, title = qmoe.value, title.value
    page = opened.page
    page.fill("#search", "sub-1-bit compression")
    assert page.text_content("#search-results li") == f"{title} ({issued.value[:4]})"
    page.press("#search", "Enter")
    node = opened.node_id(qmoe)
    assert page.evaluate("kgPage.network.getSelectedNodes()") == [node]
    page.wait_for_function(
        """(id) => { const at = kgPage.network.getPositions([id])[id];
        const view = kgPage.network.getViewPosition();
        return Math.abs(at.x - view.x) < 1 && Math.abs(at.y - view.y) < 1; }""",
        arg=node,
    )
    assert page.text_content("#details h2") == title
    assert (
        page.get_attribute("#details .links a", "href")
        == next(
            iter(
                default_graph.query(
                    "SELECT ?page ?p WHERE { GRAPH <https://w3id.org/awesome-kg/id/graph/list> "
                    "{ ?p foaf:page ?page } }",
                    {"p": NamedNode(qmoe)},
                )
            )
        )[0].value
    )


def test_hover_shows_the_facts_of_the_graph(default_build, default_graph, open_page):
    opened = open_page(default_build.out / "graph.html")
    qmoe = NamedNode(
        next(iter(iris(default_graph, "SELECT ?p WHERE { ?p akg:arxiv '2310.16795' ; a akg:ListedPaper }")))
    )
    opened.hover(opened.node_id(qmoe.value))
    opened.page.wait_for_selector("#tooltip:not([hidden])")
    first_author = next(
        iter(
            default_graph.query(
                "SELECT ?name ?p WHERE { ?p akg:authorship [ akg:position 1 ; akg:author/foaf:name ?name ] }",
                {"p": qmoe},
            )
        )
    )[0]
    text = opened.page.text_content("#tooltip")
    assert text.startswith("QMoE: Practical Sub-1-Bit Compression") and first_author.value in text
    assert "Listed under: Quantization" in text


def test_free_and_freeze_the_layout(default_build, open_page):
    opened = open_page(default_build.out / "graph.html")
    page = opened.page
    before = page.evaluate("kgPage.network.getPositions()")
    page.click("#layout-toggle")
    assert page.text_content("#layout-toggle") == "Freeze layout" and page.evaluate("kgPage.physics()")
    page.wait_for_function(
        "(before) => JSON.stringify(kgPage.network.getPositions()) !== JSON.stringify(before)", arg=before
    )
    page.click("#layout-toggle")
    assert page.text_content("#layout-toggle") == "Free layout" and not page.evaluate("kgPage.physics()")
    frozen = page.evaluate("kgPage.network.getPositions()")
    page.wait_for_timeout(500)
    assert page.evaluate("kgPage.network.getPositions()") == frozen


def test_the_legend_says_what_each_colour_means(default_build, default_graph, open_page):
    opened = open_page(default_build.out / "graph.html")
    tops = [
        row["l"].value
        for row in default_graph.query("""
        SELECT DISTINCT ?l ?pos WHERE { ?h skos:topConceptOf ?s ; skos:prefLabel ?l ; akg:position ?pos .
        ?p a akg:ListedPaper ; akg:listedUnder/skos:broader* ?h } ORDER BY ?pos""")
    ]
    outside = scalar(default_graph, PAPERS_OUTSIDE_THE_LIST)
    legend = opened.legend()
    assert opened.page.text_content("#legend-title") == "Colour: top-level heading"
    assert [label for _, label, _ in legend] == tops + ["outside works, not on the list"]
    assert legend[-1][2] == outside and sum(count for _, _, count in legend) == scalar(default_graph, PAPER_COUNT)
    assert len({colour for colour, _, _ in legend}) == len(legend)
    assert opened.page.locator("#headings .swatch").count() == 0  # the heading filter shows no second legend
    seen_as_legend_says(opened, legend)


def seen_as_legend_says(opened: OpenedPage, legend: list[tuple[str, str, int]]) -> None:
    """Every drawn node has a colour of the legend, as many nodes as the legend counts, and the
    canvas shows each legend colour at the centre of a node given it."""
    drawn = opened.page.evaluate("kgPage.nodeView.get().map((n) => [n.id, n.color])")
    assert drawn
    by_colour = {colour: [i for i, c in drawn if c == colour] for colour, _, _ in legend}
    assert [len(by_colour[colour]) for colour, _, _ in legend] == [count for _, _, count in legend]
    for colour, label, _ in legend:
        assert colour in {opened.centre_colour(i) for i in by_colour[colour]}, label


def test_colour_by_cluster_shows_the_cluster_legend_instead(default_graph, open_page, tmp_path):
    graph, members = with_clusters(default_graph)
    write_graph_page(graph, tmp_path)
    opened = open_page(tmp_path / "graph.html")
    page = opened.page
    assert page.is_visible("#colour-by")
    page.select_option("#colour-by", "cluster")
    papers = scalar(default_graph, PAPER_COUNT)
    in_none = papers - len(set().union(*members.values()))
    legend = opened.legend()
    assert page.text_content("#legend-title") == "Colour: related-work cluster"
    assert [(label, count) for _, label, count in legend] == [
        (label, len(papers)) for label, papers in members.items()
    ] + [("in no cluster", in_none)]
    assert "Quantization" not in page.text_content("#legend")
    seen_as_legend_says(opened, legend)
    page.select_option("#colour-by", "heading")
    assert page.text_content("#legend-title") == "Colour: top-level heading"


def test_labels_never_overlap_and_more_show_as_one_zooms_in(default_graph, open_page, tmp_path):
    survey = NamedNode(
        next(iter(iris(default_graph, "SELECT ?p WHERE { ?p akg:arxiv '2407.06204' ; a akg:ListedPaper }")))
    )
    works = [NamedNode(f"{ID}paper/s2/many-{k}") for k in range(2000)]
    extra = [
        q
        for k, work in enumerate(works)
        for q in (
            Quad(work, rdf.type, fabio.Expression, S2_GRAPH),
            Quad(work, dcterms.title, Literal(f"Cited work {k}"), S2_GRAPH),
            Quad(survey, cito.cites, work, S2_GRAPH),
        )
    ]
    write_graph_page(KnowledgeGraph(list(default_graph.store) + extra), tmp_path)
    opened = open_page(tmp_path / "graph.html")
    listed = iris(default_graph, "SELECT ?p WHERE { ?p a akg:ListedPaper }")
    boxes = opened.label_boxes()
    assert boxes and overlaps(boxes) == []
    first = opened.page.evaluate("kgPage.data.labelOrder[0]")
    assert first in {b["id"] for b in boxes} and boxes[0]["iri"] in listed  # the most important, first
    assert len(boxes) < 2000  # most of the 2,000 works are left unlabelled
    survey_box = next(b for b in boxes if b["iri"] == survey.value)
    assert opened.page.evaluate("(id) => kgPage.labelBoxes().find((b) => b.id === id).text", survey_box["id"]) == (
        "A Survey on Mixture of Experts"
    )

    labelled = {b["id"] for b in boxes}
    unlabelled = next(node for node in map(opened.node_id, (w.value for w in works)) if node not in labelled)
    opened.zoom_to(unlabelled, 4)
    closer = opened.label_boxes()
    assert unlabelled in {b["id"] for b in closer} and overlaps(closer) == []
    assert opened.errors == []


def test_outside_works_most_cited_by_the_list_are_labelled(default_build, default_graph, open_page):
    opened = open_page(default_build.out / "graph.html")
    most_cited = [
        row["o"].value
        for row in default_graph.query("""
        SELECT ?o (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a akg:ListedPaper ; cito:cites ?o .
        FILTER NOT EXISTS { ?o a akg:ListedPaper } } GROUP BY ?o ORDER BY DESC(?n) ?o LIMIT 3""")
    ]
    assert len(most_cited) == 3
    for iri in most_cited:  # GShard, Switch Transformers, Sparsely-Gated MoE
        opened.zoom_to(opened.node_id(iri), 4)
        boxes = opened.label_boxes()
        assert iri in {b["iri"] for b in boxes} and overlaps(boxes) == []


def test_year_layout_orders_papers_by_year(default_build, default_graph, open_page):
    opened = open_page(default_build.out / "graph.html")
    page = opened.page
    page.check("input[name=layout][value=year]")
    assert page.evaluate("kgPage.layout()") == "year" and page.is_disabled("#layout-toggle")
    positions = page.evaluate("""Object.entries(kgPage.network.getPositions()).map(([id, at]) =>
        [kgPage.data.nodes[id].iri, at.x])""")
    years = {}
    for row in default_graph.query("""SELECT ?p ?y WHERE { { ?p dcterms:issued ?d }
            UNION { ?p a akg:ListedPaper ; akg:listedYear ?d } BIND(SUBSTR(STR(?d), 1, 4) AS ?y) } ORDER BY ?p"""):
        years.setdefault(row["p"].value, int(row["y"].value))
    dated = sorted((years[iri], x) for iri, x in positions if iri in years)
    assert len({year for year, _ in dated}) > 3
    for (year, x), (later, later_x) in zip(dated, dated[1:], strict=False):
        assert year == later or x < later_x, (year, later)
    undated = [x for iri, x in positions if iri not in years]
    assert all(x < dated[0][1] for x in undated)
    year_labels = page.evaluate("kgPage.yearBoxes()")
    shown = [int(b["label"]) for b in year_labels if b["label"].isdigit()]
    assert shown == sorted(shown) and len(shown) > 1
    assert overlaps(year_labels + opened.label_boxes()) == []

    page.check("input[name=layout][value=force]")
    assert page.evaluate("""Object.entries(kgPage.network.getPositions()).every(([id, at]) =>
        at.x === kgPage.data.nodes[id].x && at.y === kgPage.data.nodes[id].y)""")
    assert not page.is_disabled("#layout-toggle")


def test_prior_works_panel_lists_what_the_list_cites_most(default_build, default_graph, open_page):
    opened = open_page(default_build.out / "graph.html")
    cited = {
        row["o"].value: int(row["n"].value)
        for row in default_graph.query("""
        SELECT ?o (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a akg:ListedPaper ; cito:cites ?o .
        FILTER NOT EXISTS { ?o a akg:ListedPaper } } GROUP BY ?o""")
    }
    buttons = opened.page.locator("#prior-works button")
    shown = [int(text.split("cited by ")[1].split()[0]) for text in buttons.all_text_contents()]
    assert shown == sorted(cited.values(), reverse=True)[:10]
    first = opened.page.evaluate(
        "kgPage.data.nodes[Number(document.querySelector('#prior-works button').dataset.node)]"
    )
    assert cited[first["iri"]] == max(cited.values())
    buttons.first.click()
    node = opened.node_id(first["iri"])
    assert opened.page.evaluate("kgPage.network.getSelectedNodes()") == [node]
    assert opened.page.text_content("#details h2") == first["title"]
    assert opened.page.text_content("#derivative-works") == "none in this graph"


def test_derivative_works_panel_lists_works_citing_the_list(default_graph, open_page, tmp_path):
    listed = sorted(iris(default_graph, "SELECT ?p WHERE { ?p a akg:ListedPaper }"))
    followers = {"Follow-up citing three": listed[:3], "Follow-up citing one": listed[3:4]}
    extra = []
    for k, (title, cited) in enumerate(followers.items()):
        work = NamedNode(f"{ID}paper/s2/follow-up-{k}")
        extra += [Quad(work, rdf.type, fabio.Expression, S2_GRAPH), Quad(work, dcterms.title, Literal(title), S2_GRAPH)]
        extra += [Quad(work, cito.cites, NamedNode(iri), S2_GRAPH) for iri in cited]
    write_graph_page(KnowledgeGraph(list(default_graph.store) + extra), tmp_path)
    opened = open_page(tmp_path / "graph.html")
    buttons = opened.page.locator("#derivative-works button")
    assert buttons.all_text_contents() == ["Follow-up citing threecites 3 listed", "Follow-up citing onecites 1 listed"]
    buttons.nth(1).click()
    assert opened.page.evaluate("kgPage.network.getSelectedNodes()") == [opened.node_id(f"{ID}paper/s2/follow-up-1")]


def test_influential_citations_are_drawn_heavier(default_graph, open_page, tmp_path):
    graph, (citing, cited) = with_influential_citation(default_graph)
    write_graph_page(graph, tmp_path)
    opened = open_page(tmp_path / "graph.html")
    page = opened.page
    opened.next_frame()
    drawn = page.evaluate("""(() => { const drawn = kgPage.drawnEdges(), edges = kgPage.data.edges;
        return { plain: drawn.plain, influential: drawn.influential.map((i) => [kgPage.data.nodes[edges[i][0]].iri,
                 kgPage.data.nodes[edges[i][1]].iri]) }; })()""")
    assert drawn == {"plain": opened.edge_count() - 1, "influential": [[citing, cited]]}
    styles = page.evaluate("kgPage.data.edgeStyles")
    assert styles["influential"]["width"] > styles["plain"]["width"]


def test_a_selected_papers_citations_stand_out(default_build, default_graph, open_page):
    opened = open_page(default_build.out / "graph.html")
    qmoe = next(iter(iris(default_graph, "SELECT ?p WHERE { ?p akg:arxiv '2310.16795' ; a akg:ListedPaper }")))
    opened.page.evaluate("(id) => kgPage.focusNode(id)", opened.node_id(qmoe))
    opened.next_frame()
    ends = opened.page.evaluate("""kgPage.drawnEdges().selected.map((i) => kgPage.data.edges[i].slice(0, 2)
        .map((n) => kgPage.data.nodes[n].iri))""")
    pairs = {(row["a"].value, row["b"].value) for row in default_graph.query("SELECT ?a ?b WHERE { ?a cito:cites ?b }")}
    expected = {pair for pair in pairs if qmoe in pair}
    assert expected and {tuple(pair) for pair in ends} == expected


def hostile_quads(graph: KnowledgeGraph) -> list[Quad]:
    """Outside facts with markup in them: an author, a venue, a TL;DR, a link and a cited work."""
    paper = next(iter(graph.query("SELECT ?p WHERE { ?p akg:arxiv '2401.99991' ; a akg:ListedPaper }")))[0]
    person, authorship = NamedNode(ID + "person/name/hostile"), NamedNode(paper.value + "/authorship/0")
    work, g = NamedNode(ID + "paper/s2/hostile"), S2_GRAPH
    return [
        Quad(paper, akg.authorship, authorship, g),
        Quad(authorship, akg.position, Literal("0", datatype=xsd.integer), g),
        Quad(authorship, akg.author, person, g),
        Quad(person, foaf.name, Literal("<img src=x onerror=alert(7)>"), g),
        Quad(paper, akg.tldr, Literal("</script><script>alert(8)</script>"), g),
        Quad(paper, akg.publishedVenue, Literal('<svg onload="alert(9)">'), g),
        Quad(paper, foaf.page, NamedNode("javascript:alert(10)"), g),
        Quad(work, rdf.type, fabio.Expression, g),
        Quad(paper, cito.cites, work, g),
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
        "<img src=x onerror=alert(1)> (2024)",
        '<a href="javascript:alert(11)">href</a><img src=y onerror=alert(12)>',
    ]
    page.evaluate("kgPage.focusNode(kgPage.data.nodes.findIndex((n) => n.title.startsWith('<img src=x')))")
    assert "<img src=x onerror=alert(7)>" in page.text_content("#details .authors")
    assert page.text_content("#details .tldr") == "TL;DR: </script><script>alert(8)</script>"
    page.wait_for_timeout(300)
    assert opened.dialogs == [] and opened.errors == []
    assert page.evaluate("document.querySelectorAll('img, svg, #details a[href^=javascript], b').length") == 0
    assert page.evaluate("[...document.querySelectorAll('#details a')].map((a) => a.href)") == [
        "https://arxiv.org/abs/2401.99991"
    ]
