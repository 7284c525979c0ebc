"""`kg publish`: the static site of a build, read as files (the browser tests open it in Chromium).

Expected values come from SPARQL over the same build; the site is of the latest list version,
enriched through the test API server as a curator builds it.
"""

from __future__ import annotations

import json
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from curate_builds import enriched_build
from kg.build import ListSource, build
from kg.cli import main
from kg.publish import SITE_MARKER, PublishError, publish, unique_paths
from test_page import HOSTILE_LIST

LATEST = "2025-10-20_f7ccad0.md"
LISTED = "SELECT ?p WHERE { ?p a akg:ListedPaper }"
HEADINGS = "SELECT ?h WHERE { ?h a skos:Concept ; akg:position ?n }"
CITES = "SELECT DISTINCT ?a ?b WHERE { ?a a akg:ListedPaper ; cito:cites ?b }"


class Links(HTMLParser):
    """Every src/href of a page, the links inside each section (by id), the CSP, the text of <h1>."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.references: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.sections: dict[str, list[str]] = {}
        self.csp = None
        self.h1 = ""
        self._section = None
        self._in_h1 = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in ("src", "href"):
            if attrs.get(name):
                self.references.append((tag, name, attrs[name]))
        if tag == "section" and attrs.get("id"):
            self._section = attrs["id"]
            self.sections[self._section] = []
        if tag == "a" and self._section and attrs.get("href"):
            self.sections[self._section].append(attrs["href"])
        if tag == "meta" and attrs.get("http-equiv", "").lower() == "content-security-policy":
            self.csp = attrs["content"]
        self._in_h1 = self._in_h1 or tag == "h1"

    def handle_endtag(self, tag):
        if tag == "section":
            self._section = None
        if tag == "h1":
            self._in_h1 = False

    def handle_data(self, data):
        if self._in_h1:
            self.h1 += data


@pytest.fixture(scope="module")
def latest(tmp_path_factory):
    return enriched_build(LATEST, tmp_path_factory)


@pytest.fixture(scope="module")
def site(latest, tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "site"
    publish(latest.out, out)
    return out


def page(site: Path, relative: str) -> Links:
    return Links((site / relative).read_text("utf-8"))


def paper_pages(site: Path) -> dict[str, Path]:
    """Each paper page by the IRI it states."""
    found = {}
    for path in sorted((site / "papers").glob("*.html")):
        html = path.read_text("utf-8")
        iri = html.split('<article class="paper" data-iri="', 1)[1].split('"', 1)[0]
        found[iri] = path
    return found


def test_a_page_per_listed_paper_and_per_heading(latest, site):
    listed = {row[0].value for row in latest.graph.query(LISTED)}
    headings = {row[0].value for row in latest.graph.query(HEADINGS)}
    assert len(listed) > 100 and len(headings) > 10
    assert set(paper_pages(site)) == listed
    assert len(list((site / "headings").glob("*.html"))) == len(headings)
    home = (site / "index.html").read_text("utf-8")
    assert f"{len(listed)} listed papers under {len(headings)} headings" in home
    assert page(site, "index.html").h1 == "Awesome MoE LLM Inference System and Algorithm"


def test_a_paper_page_links_the_listed_papers_it_cites_and_that_cite_it(latest, site):
    pages = paper_pages(site)
    cites = [(row["a"].value, row["b"].value) for row in latest.graph.query(CITES)]
    listed_cites = [(a, b) for a, b in cites if b in pages]
    # the listed paper with the most citations inside the list, and its neighbours
    paper = max(pages, key=lambda p: (sum(1 for _, b in listed_cites if b == p), p))
    links = page(site, str(pages[paper].relative_to(site)))

    def targets(section: str) -> set[str]:
        return {(pages[paper].parent / href).resolve().as_posix() for href in links.sections[section]}

    cited_by = {pages[a].resolve().as_posix() for a, b in listed_cites if b == paper}
    assert len(cited_by) > 5 and targets("cited-by") == cited_by
    assert targets("cites") == {pages[b].resolve().as_posix() for a, b in listed_cites if a == paper}
    outside = {b for a, b in cites if a == paper and b not in pages}
    # outside works have no page: their titles are text, with a link to their arXiv or DOI page where known
    assert all(href.startswith(("https://arxiv.org/abs/", "https://doi.org/")) for href in links.sections["builds-on"])
    html = pages[paper].read_text("utf-8")
    assert html.count('<span class="outside">') == len(outside) > 0


def test_a_heading_page_lists_its_papers_oldest_first(latest, site):
    rows = latest.graph.query("""SELECT ?h ?label (COUNT(DISTINCT ?p) AS ?n) WHERE {
        ?h skos:prefLabel ?label . ?p a akg:ListedPaper ; akg:listedUnder ?h .
        FILTER NOT EXISTS { ?child skos:broader ?h } } GROUP BY ?h ?label ORDER BY DESC(?n) ?h LIMIT 1""")
    heading, label, count = next(iter(rows))
    path = next(p for p in (site / "headings").glob("*.html") if f'data-iri="{heading.value}"' in p.read_text("utf-8"))
    html = path.read_text("utf-8")
    assert page(site, f"headings/{path.name}").h1 == label.value
    dates = [part.split("</span>", 1)[0] for part in html.split('<span class="date">')[1:]]
    assert int(count.value) > 5 and len(dates) == int(count.value)
    assert dates == sorted(dates)


def test_nothing_is_loaded_from_outside_the_site(site):
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 100
    for path in pages:
        if path.name == "graph.html":  # the build's graph page, tested by test_page.py
            continue
        links = Links(path.read_text("utf-8"))
        assert links.csp and "default-src 'none'" in links.csp and "connect-src 'none'" in links.csp
        for tag, _, value in links.references:
            if urlsplit(value).scheme:
                assert tag == "a" and urlsplit(value).scheme in ("https", "http"), (path, value)  # to follow
            else:
                target = (path.parent / value.split("#", 1)[0]).resolve()
                assert target.is_file() and site.resolve() in target.parents, (path, value)


def test_downloads_are_the_build_files(latest, site):
    for name in ("graph.ttl", "graph.nt", "graph.jsonld", "graph.trig", "references.bib", "clusters.json"):
        assert (site / "downloads" / name).read_bytes() == (latest.out / name).read_bytes()
    csl = json.loads((site / "downloads" / "related-work.csl.json").read_text("utf-8"))
    assert len(csl) > 100 and all(item["title"] for item in csl)
    home = page(site, "index.html")
    assert {href for _, _, href in home.references if href.startswith("downloads/")} == {
        f"downloads/{p.name}" for p in (site / "downloads").iterdir()
    }


def test_publishing_twice_gives_the_same_bytes_and_replaces_the_old_site(latest, site, tmp_path):
    again = tmp_path / "again"
    publish(latest.out, again)
    (again / "papers" / "stale.html").write_text("from an older list")
    publish(latest.out, again)
    files = sorted(p.relative_to(site) for p in site.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    assert all((site / f).read_bytes() == (again / f).read_bytes() for f in files)
    assert not list(tmp_path.glob(".again*"))  # no staging folder left behind


def test_a_folder_that_is_not_a_site_is_never_replaced(latest, tmp_path):
    mine = tmp_path / "docs"
    mine.mkdir()
    (mine / "notes.md").write_text("mine")
    with pytest.raises(PublishError, match="is not a site `kg publish` wrote"):
        publish(latest.out, mine)
    assert [p.name for p in mine.iterdir()] == ["notes.md"]
    with pytest.raises(PublishError, match="not a build folder"):
        publish(tmp_path, tmp_path / "site")


def publish_hostile(folder: Path) -> Path:
    """The site of a list whose title, heading and entries are markup and script."""
    listed = folder / "evil.md"
    listed.write_text(HOSTILE_LIST)
    result = build(ListSource.from_path(listed), folder / "build", offline=True, cache_dir=folder / "cache")
    publish(result.out, folder / "site")
    return folder / "site"


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    return publish_hostile(tmp_path_factory.mktemp("hostile"))


def test_text_from_the_list_stays_text_on_every_page(hostile_site):
    pages = [p for p in hostile_site.rglob("*.html") if p.name != "graph.html"]
    assert len(pages) > 3
    for path in pages:
        html = path.read_text("utf-8")
        assert "<script>alert" not in html and "<img src=x" not in html and "<b onmouseover" not in html, path
        on_site = ("../", "assets/", "papers/", "headings/", "downloads/", "index", "graph.html", "query.html")
        assert all(value.startswith((*on_site, "https://", "http://")) for _, _, value in Links(html).references), path
    home = (hostile_site / "index.html").read_text("utf-8")
    assert "<h1>Evil &lt;script&gt;alert(&#34;list&#34;)&lt;/script&gt; list</h1>" in home
    assert "Closing &lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt; tags" in home
    data = (hostile_site / "assets" / "query-data.js").read_text("utf-8")
    assert data.isascii() and "<" not in data.split("=", 1)[1]  # JSON with every < escaped
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in data


def test_cli_publishes_and_says_where(latest, tmp_path):
    result = CliRunner().invoke(main, ["publish", str(latest.out), "--out", str(tmp_path / "site")])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"published {tmp_path / 'site'}: ")
    assert (tmp_path / "site" / SITE_MARKER).is_file()
    refused = CliRunner().invoke(main, ["publish", str(latest.out), "--out", str(latest.out / "site")])
    assert refused.exit_code == 1 and "inside the build folder" in refused.output


def test_the_vendored_oxigraph_is_the_release_its_notes_name():
    import hashlib

    folder = Path(__file__).resolve().parents[1] / "kg" / "static" / "oxigraph"
    notes = (folder / "LICENSES.md").read_text("utf-8")
    for name in ("web.js", "web_bg.wasm"):
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() in notes


def test_the_docs_workflow_builds_and_publishes_a_list(tmp_path, monkeypatch):
    """The example workflow's `kg` steps, run as written (offline: tests send no request) on the shipped list."""
    import shlex

    import yaml

    root = Path(__file__).resolve().parents[1]
    workflow = yaml.safe_load((root / "docs" / "publish-workflow.yml").read_text("utf-8"))
    commands = [step["run"] for step in workflow["jobs"]["publish"]["steps"] if step.get("run", "").startswith("kg ")]
    assert [c.split()[:2] for c in commands] == [["kg", "build"], ["kg", "publish"]]
    (tmp_path / "README.md").write_bytes((root / "kg" / "data" / "awesome-moe-inference" / "README.md").read_bytes())
    monkeypatch.chdir(tmp_path)
    for command in commands:
        args = shlex.split(command.replace("${{ github.event.repository.name }}", "awesome-moe-inference"))[1:]
        result = CliRunner().invoke(main, args + (["--offline"] if args[0] == "build" else []))
        assert result.exit_code == 0, (command, result.output)
    assert len(list((tmp_path / "site" / "papers").glob("*.html"))) == 12
    assert (tmp_path / "site" / "index.html").is_file() and (tmp_path / ".kg-cache").is_dir()


def test_page_names_stay_unique_when_keys_slug_alike():
    assert unique_paths(["arxiv/2401.1", "ARXIV-2401.1", "arxiv-2401.1-2"], "papers") == [
        "papers/arxiv-2401.1.html",
        "papers/arxiv-2401.1-2.html",
        "papers/arxiv-2401.1-2-2.html",
    ]


def test_an_oxigraph_update_of_another_shape_is_refused(tmp_path, monkeypatch):
    """The glue is edited where it exports and finds its wasm; a release that moved those must fail loudly."""
    import kg.publish

    glue = (kg.publish.OXIGRAPH / "web.js").read_text("utf-8")
    (tmp_path / "web.js").write_text(glue.replace("new URL('web_bg.wasm', import.meta.url)", "locate()"))
    (tmp_path / "web_bg.wasm").write_bytes(b"\0asm")
    monkeypatch.setattr(kg.publish, "OXIGRAPH", tmp_path)
    with pytest.raises(PublishError, match="does not have the shape kg publish expects"):
        kg.publish.oxigraph_scripts()


def test_a_paper_page_says_what_the_curator_tools_say_about_it(latest, site):
    from markupsafe import escape

    from kg.curate.classify import Classifier
    from kg.curate.facts import Facts
    from kg.curate.lint import lint

    lines = "SELECT DISTINCT ?paper ?line WHERE { ?l a akg:Listing ; akg:listedPaper ?paper ; akg:sourceLine ?line }"
    on_line = {int(row["line"].value): row["paper"].value for row in latest.graph.query(lines)}
    findings = [f for f in lint(latest.graph) if f.line in on_line]
    assert len(findings) > 5 and {f.kind for f in findings} >= {"title", "duplicate"}
    pages = paper_pages(site)
    for finding in findings:
        assert str(escape(finding.message)) in pages[on_line[finding.line]].read_text("utf-8"), finding
    classifier = Classifier(Facts.from_model(latest.graph))
    candidates = {p: classifier.classify(classifier.facts.works[p]).candidates for p in sorted(pages)}
    paper, suggested = next((p, found[:3]) for p, found in candidates.items() if found)
    html = pages[paper].read_text("utf-8")
    shown = [
        item.split(" <span", 1)[0]
        for item in html.split('<ol class="suggested">', 1)[1].split("</ol>")[0].removeprefix("<li>").split("<li>")
    ]
    assert suggested and shown == [str(escape(c.path)) for c in suggested]


def test_a_damaged_build_is_named_and_nothing_is_written(latest, tmp_path):
    damaged = tmp_path / "build"
    shutil.copytree(latest.out, damaged)
    with open(damaged / "graph.trig", "a", encoding="utf-8") as trig:
        trig.write("<https://example.org/a> <https://example.org/b> .\n")  # a triple cut short
    result = CliRunner().invoke(main, ["publish", str(damaged), "--out", str(tmp_path / "site")])
    assert result.exit_code == 1 and f"{damaged}: a build file cannot be read" in result.output
    assert not (tmp_path / "site").exists() and not list(tmp_path.glob(".site*"))
