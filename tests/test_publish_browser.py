"""The published site in a real browser (Debian's chromium, headless, driven by Playwright),
opened from file:// and from a static server on 127.0.0.1, with the network off.

The query page must give the rows `kg query` gives: both sides are written as SPARQL JSON
results and compared whole.
"""

from __future__ import annotations

import functools
import json
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kg.query import collect, write_json
from kg.savedqueries import load_query, run_saved
from kg.store import KnowledgeGraph
from test_page_browser import CHROMIUM, CHROMIUM_ARGS
from test_publish import LATEST, paper_pages, publish_hostile

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)"
)

# Three saved queries: no parameter; a paper looked up by arXiv id and an integer; two headings by label.
SAVED = [
    ("most-cited-in-list", {}),
    ("citation-neighbourhood", {"paper": "2401.14361", "depth": "1"}),
    ("cites-across", {"from": "Expert Offloading", "to": "Quantization"}),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from curate_builds import enriched_build
    from kg.publish import publish

    latest = enriched_build(LATEST, tmp_path_factory)
    out = tmp_path_factory.mktemp("browser-site") / "site"
    publish(latest.out, out)
    return out


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    return publish_hostile(tmp_path_factory.mktemp("hostile"))


@pytest.fixture(scope="module")
def graph(site):
    return KnowledgeGraph.load(site / "downloads" / "graph.trig")


@pytest.fixture(scope="module")
def server(site):
    """The site on a static server, as GitHub Pages or any host serves it."""
    handler = functools.partial(QuietHandler, directory=str(site))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser(site):
    """Started after the site is built: the build's client runs its own event loop, which Playwright's would block."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Visit:
    """A browsing session recording every request and error, where nothing but the site can answer:
    the network is off for file://, and a request to anywhere but the site is aborted for http."""

    def __init__(self, browser, base: str):
        self.base = base
        self.context = browser.new_context(offline=base.startswith("file:"), viewport={"width": 1300, "height": 900})
        self.context.route(
            "**/*", lambda route: route.continue_() if route.request.url.startswith(base) else route.abort()
        )
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("dialog", lambda dialog: (self.errors.append("dialog: " + dialog.message), dialog.dismiss()))

    def open(self, relative: str) -> None:
        self.page.goto(self.base + relative)

    def open_query_page(self) -> None:
        self.open("query.html")
        self.page.wait_for_selector("body[data-ready=true]", timeout=30_000)

    def run_saved(self, name: str, params: dict[str, str]) -> dict:
        """Pick the saved query, fill its fields, press Run, as a reader does; the results as SPARQL JSON."""
        self.page.click(f"#examples button[data-query='{name}']")
        for param, value in params.items():
            self.page.fill(f"#param-{param}", value)
        self.page.click("#run")
        self.page.wait_for_function(
            "document.getElementById('status').textContent.includes(' in ') || !document.getElementById('error').hidden"
        )
        assert self.page.is_hidden("#error"), self.page.inner_text("#error")
        return self.page.evaluate("kgQueryPage.results")

    def close(self) -> None:
        self.context.close()


def kg_query_json(graph: KnowledgeGraph, name: str, params: dict[str, str]) -> dict:
    return json.loads(write_json(collect(run_saved(graph, load_query(name), params))))


@pytest.fixture(params=["file", "http"])
def visit(request, browser, site, server):
    base = site.resolve().as_uri() + "/" if request.param == "file" else server
    session = Visit(browser, base)
    yield session
    assert session.errors == []
    assert session.requests and all(url.startswith(base) for url in session.requests), session.requests
    session.close()


def test_query_page_answers_saved_queries_with_the_rows_kg_query_gives(visit, graph):
    visit.open_query_page()
    for name, params in SAVED:
        expected = kg_query_json(graph, name, params)
        assert len(expected["results"]["bindings"]) >= 3, name
        assert visit.run_saved(name, params) == expected, name
        rows = visit.page.locator("#results tbody tr")
        assert rows.count() == len(expected["results"]["bindings"])


def test_result_iris_link_to_the_paper_pages(visit, graph, site):
    visit.open_query_page()
    results = visit.run_saved("most-cited-in-list", {})
    top = results["results"]["bindings"][0]
    visit.page.click(f"#results a[title='{top['paper']['value']}']")
    visit.page.wait_for_selector("article.paper")
    assert visit.page.inner_text("h1") == top["title"]["value"]
    assert visit.page.get_attribute("article.paper", "data-iri") == top["paper"]["value"]


def test_a_bad_parameter_is_explained_and_runs_nothing(visit):
    visit.open_query_page()
    visit.page.click("#examples button[data-query='citation-neighbourhood']")
    visit.page.fill("#param-paper", "no such paper at all")
    visit.page.click("#run")
    assert "no paper in the graph matches" in visit.page.inner_text("#error")
    visit.page.fill("#param-paper", "2401.14361")
    visit.page.fill("#param-depth", "7")
    visit.page.click("#run")
    assert visit.page.inner_text("#error") == "parameter depth: expected an integer from 1 to 3, got 7"
    assert visit.page.locator("#results tr").count() == 0


def test_a_syntax_error_points_at_the_line_the_reader_wrote(visit):
    visit.open_query_page()
    visit.page.fill("#editor", "SELECT ?s WHERE {\n  ?s ?p\n}")
    visit.page.click("#run")
    assert "at line 3, column" in visit.page.inner_text("#error")


def test_navigation_from_home_to_heading_to_paper_and_back(visit, graph, site):
    visit.open("index.html")
    visit.page.click("ul.tree a.heading >> text=Expert Offloading")
    assert visit.page.inner_text("h1") == "Expert Offloading"
    first = visit.page.locator("ol.papers a.paper").first
    title = first.inner_text()
    first.click()
    visit.page.wait_for_selector("article.paper")
    assert visit.page.inner_text("h1") == title
    visit.page.click("dd a.heading >> text=Expert Offloading")
    assert visit.page.inner_text("h1") == "Expert Offloading"
    visit.page.click("header a.home")
    assert visit.page.url == visit.base + "index.html"
    visit.page.click("text=The interactive citation graph")
    visit.page.wait_for_selector("body[data-ready=true]", timeout=30_000)
    visit.page.go_back()
    visit.page.click("header >> text=SPARQL")
    visit.page.wait_for_selector("body[data-ready=true]", timeout=30_000)


def test_a_paper_page_shows_its_citations(visit, graph, site):
    pages = paper_pages(site)
    rows = graph.query("SELECT DISTINCT ?a ?b WHERE { ?a a akg:ListedPaper ; cito:cites ?b . ?b a akg:ListedPaper }")
    edges = {(row["a"].value, row["b"].value) for row in rows}
    paper = max(pages, key=lambda p: (sum(1 for _, b in edges if b == p), p))
    titles = {
        row["p"].value: row["t"].value
        for row in graph.query(
            "SELECT ?p (MIN(?title) AS ?t) WHERE { ?p a akg:ListedPaper ; dcterms:title ?title } GROUP BY ?p"
        )
    }
    visit.open(pages[paper].relative_to(site).as_posix())
    shown = visit.page.locator("#cited-by a.paper").all_inner_texts()
    assert len(shown) > 5
    assert sorted(shown) == sorted(titles[a] for a, b in edges if b == paper)
    assert sorted(visit.page.locator("#cites a.paper").all_inner_texts()) == sorted(
        titles[b] for a, b in edges if a == paper
    )


def test_results_download_as_kg_query_writes_them(visit, graph):
    from kg.query import write_csv

    visit.open_query_page()
    name, params = SAVED[2]
    visit.run_saved(name, params)
    with visit.page.expect_download() as csv_download:
        visit.page.click("#download-csv")
    with visit.page.expect_download() as json_download:
        visit.page.click("#download-json")
    answer = collect(run_saved(graph, load_query(name), params))
    assert Path(csv_download.value.path()).read_bytes() == write_csv(answer)
    assert json.loads(Path(json_download.value.path()).read_text("utf-8")) == json.loads(write_json(answer))
    assert csv_download.value.suggested_filename == "results.csv"


def test_hostile_titles_are_shown_as_text_and_run_nothing(browser, hostile_site):
    session = Visit(browser, hostile_site.resolve().as_uri() + "/")
    session.open_query_page()
    results = session.run_saved("search-titles", {"text": "script"})
    titles = [row["title"]["value"] for row in results["results"]["bindings"]]
    assert titles == ["Closing </script><script>alert(2)</script> tags"]
    assert session.page.inner_text("#results tbody td") == titles[0]
    assert session.page.locator("#results script, #results img").count() == 0
    session.page.click("#results a.iri")
    session.page.wait_for_selector("article.paper")
    assert session.page.inner_text("h1") == titles[0]
    session.open("index.html")
    assert session.page.inner_text("h1") == 'Evil <script>alert("list")</script> list'
    assert session.page.locator("main script, main img, main b").count() == 0
    assert session.errors == []  # no dialog opened, no script error
    session.close()
