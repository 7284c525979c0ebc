"""`kg publish`: a build as a static website that any static host, or file://, serves as is.

The site is plain files: a home page, a page per listed paper and per heading, the build's
graph page, a SPARQL page and the downloads. The query page runs Oxigraph's WebAssembly
build (vendored in kg/static/oxigraph) over the build's graph inside the browser, so the
readers of a list can query it with no server. Every page is rendered by Jinja with
autoescaping on; the data the scripts need is JSON in classic scripts (browsers refuse
module scripts and fetch() on file:// pages), put on the page only as text. Nothing on the
site loads anything from elsewhere, and its Content-Security-Policy forbids it.

The site is written into a staging folder and swapped in whole; a folder that holds
anything but an earlier site is never replaced.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
import shutil
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from kg.model import GraphModel, read_model
from kg.store import GRAPH_FILES, KnowledgeGraph, atomic_write, sorted_lines

if TYPE_CHECKING:
    from kg.curate.classify import Candidate, Classifier
    from kg.curate.lint import Finding
    from kg.page import CitationGraph, Paper

TEMPLATES = Path(__file__).with_name("templates") / "site"
OXIGRAPH = Path(__file__).with_name("static") / "oxigraph"
SITE_MARKER = ".kg-site"  # names a folder `kg publish` wrote, so a later publish may replace it
BUILD_DOWNLOADS = (*GRAPH_FILES, "references.bib", "clusters.md", "clusters.json", "related-work.tex")
CSL_JSON = "related-work.csl.json"
DOWNLOAD_NOTES = {
    "graph.ttl": "every fact, as Turtle",
    "graph.nt": "the same facts as N-Triples, sorted",
    "graph.jsonld": "the same facts as JSON-LD",
    "graph.trig": "the same facts in their named graphs (list, enrichment, provenance, clusters)",
    "references.bib": "BibTeX of the listed papers and the works they build on",
    "clusters.md": "related-work clusters, as a Markdown outline",
    "clusters.json": "the clusters with every paper and figure, as JSON",
    "related-work.tex": "a LaTeX related-work section, one subsection per cluster",
    CSL_JSON: "the clusters' works as CSL-JSON (Zotero, Pandoc)",
}
TOP_CITED = 10  # most-cited works shown on a heading page
SUGGESTED = 3  # suggested headings shown on a paper page
# Scripts come from the site's own files only; the WebAssembly engine needs wasm-unsafe-eval; no connection.
CSP = (
    "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self'; "
    "connect-src 'none'; base-uri 'none'; form-action 'none'"
)


class PublishError(Exception):
    """A site that cannot be written (no build there, an output folder that is not a site)."""


@dataclass
class PaperPage:
    """What a listed paper's page shows."""

    paper: Paper
    path: str  # relative to the site root
    arxiv: str | None = None
    doi: str | None = None
    date: str | None = None
    headings: list[int] = field(default_factory=list)
    heading_iris: list[str] = field(default_factory=list)
    cites: list[int] = field(default_factory=list)  # listed papers it cites (indices into papers)
    cited_by: list[int] = field(default_factory=list)  # listed papers citing it
    builds_on: list[int] = field(default_factory=list)  # outside works it cites
    findings: list[Finding] = field(default_factory=list)  # lint findings on its lines of the list
    suggested: list[Candidate] = field(default_factory=list)  # headings kg classify gives it
    suggestion_note: str = ""

    @property
    def other_links(self) -> list[str]:
        """The paper's web pages but the arXiv and DOI pages shown under their own names."""
        known = {arxiv_url(self.arxiv) if self.arxiv else None, doi_url(self.doi) if self.doi else None}
        return [url for url in self.paper.pages if url not in known]


@dataclass
class HeadingPage:
    index: int
    path: str
    papers: list[int] = field(default_factory=list)  # listed papers under it or below, in time order
    top_cited: list[tuple[int, int]] = field(default_factory=list)  # (paper index, citing papers here)
    children: list[int] = field(default_factory=list)


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.").lower()[:80] or "item"


def unique_paths(keys: list[str], folder: str) -> list[str]:
    """A file per key, named after it; a key whose name is taken gets a counter (keys come sorted, so stable)."""
    taken: set[str] = set()
    paths = []
    for key in keys:
        name = base = slug(key)
        counter = 1
        while name in taken:
            counter += 1
            name = f"{base}-{counter}"
        taken.add(name)
        paths.append(f"{folder}/{name}.html")
    return paths


def arxiv_url(arxiv: str) -> str:
    return "https://arxiv.org/abs/" + quote(arxiv, safe="./")


def doi_url(doi: str) -> str:
    return "https://doi.org/" + quote(doi, safe="/.()-_;:")


# --- reading the build ----------------------------------------------------------------------


@dataclass
class Site:
    """Everything the pages show, read from a build folder."""

    title: str
    counts: dict
    drawn: CitationGraph  # papers, edges, headings, clusters
    papers: dict[int, PaperPage]  # listed papers by index into drawn.papers
    headings: list[HeadingPage]
    downloads: list[str]
    outside_links: dict[int, str]  # an outside work's arXiv or DOI page, where known


def read_site(build: Path, model: GraphModel, progress) -> Site:
    """Through the project's own views of the build's model: the graph page's citation graph, the exports'
    entries (dates, arXiv ids, DOIs), `kg lint` and `kg classify`; the manifest for the title and counts."""
    from kg.curate.classify import Classifier
    from kg.curate.facts import Facts
    from kg.curate.lint import lint
    from kg.exports import references
    from kg.page import citation_graph

    manifest = json.loads((build / "manifest.json").read_text("utf-8"))
    drawn = citation_graph(model)
    works = references(model)
    listed = [i for i, p in enumerate(drawn.papers) if p.listed]
    paths = unique_paths([key_of(drawn.papers[i].iri) for i in listed], "papers")
    pages = {}
    for i, path in zip(listed, paths, strict=True):
        work = works.get(drawn.papers[i].iri)
        pages[i] = PaperPage(
            drawn.papers[i],
            path,
            arxiv=work.arxiv if work else None,
            doi=work.doi if work else None,
            date=work.date if work else None,
            headings=list(drawn.papers[i].headings),
            heading_iris=[drawn.headings[h].iri for h in drawn.papers[i].headings],
        )
    for citing, cited, _ in drawn.edges:
        if citing in pages and cited in pages:
            pages[citing].cites.append(cited)
            pages[cited].cited_by.append(citing)
        elif citing in pages:
            pages[citing].builds_on.append(cited)
    for page in pages.values():
        for attribute in ("cites", "cited_by", "builds_on"):
            setattr(page, attribute, sorted(set(getattr(page, attribute)), key=lambda i: by_title(drawn, i)))
    progress.stage("running the curator tools")
    attach_findings(pages, lint(model), model, drawn)
    attach_suggestions(pages, Classifier(Facts.from_model(model)), drawn)
    headings = heading_pages(drawn, pages)
    title = manifest.get("input", {}).get("title") or drawn.title
    downloads = [name for name in BUILD_DOWNLOADS if (build / name).is_file()] + [CSL_JSON]
    outside_links = {}
    for i, paper in enumerate(drawn.papers):
        work = works.get(paper.iri)
        if not paper.listed and work and work.arxiv:
            outside_links[i] = arxiv_url(work.arxiv)
        elif not paper.listed and work and work.doi:
            outside_links[i] = doi_url(work.doi)
    return Site(title, manifest.get("counts", {}), drawn, pages, headings, downloads, outside_links)


def by_title(drawn: CitationGraph, i: int) -> tuple[str, str]:
    return drawn.papers[i].title.lower(), drawn.papers[i].iri


def key_of(iri: str) -> str:
    """The readable part of a paper IRI (`arxiv/2401.14361`), for its page's file name."""
    from kg.vocab import ID

    return iri.removeprefix(ID + "paper/")


def attach_findings(
    pages: dict[int, PaperPage], findings: list[Finding], model: GraphModel, drawn: CitationGraph
) -> None:
    """Lint findings are per line of the list: each goes to the papers listed on that line."""
    index = {drawn.papers[i].iri: i for i in pages}
    on_line = defaultdict(set)
    for listing in model.listings:
        if listing.paper in index:
            on_line[listing.line].add(index[listing.paper])
    for finding in findings:
        for i in sorted(on_line.get(finding.line, ())):
            pages[i].findings.append(finding)


def attach_suggestions(pages: dict[int, PaperPage], classifier: Classifier, drawn: CitationGraph) -> None:
    """The headings `kg classify` would give each listed paper, from its citations and words."""
    for i, page in pages.items():
        work = classifier.facts.works.get(drawn.papers[i].iri)
        if work is None:
            continue
        result = classifier.classify(work)
        page.suggested = result.candidates[:SUGGESTED]
        page.suggestion_note = result.reason


def heading_pages(drawn: CitationGraph, pages: dict[int, PaperPage]) -> list[HeadingPage]:
    """Per heading: the listed papers under it or a sub-heading, oldest first, and the works they cite most."""
    keys = [h.iri.rsplit("/heading/", 1)[-1] for h in drawn.headings]
    result = [HeadingPage(h, path) for h, path in enumerate(unique_paths(keys, "headings"))]
    for index, heading in enumerate(drawn.headings):
        if heading.parent is not None:
            result[heading.parent].children.append(index)
    for i in pages:
        seen = set()
        for first in drawn.papers[i].headings:
            h: int | None = first
            while h is not None and h not in seen:
                seen.add(h)
                result[h].papers.append(i)
                h = drawn.headings[h].parent
    cited_by = defaultdict(set)
    for citing, cited, _ in drawn.edges:
        cited_by[citing].add(cited)
    for page in result:
        page.papers.sort(
            key=lambda i: (
                pages[i].date or str(drawn.papers[i].year or "9999"),
                drawn.papers[i].title.lower(),
                drawn.papers[i].iri,
            )
        )
        counts: defaultdict[int, int] = defaultdict(int)
        for i in page.papers:
            for cited in cited_by[i]:
                counts[cited] += 1
        page.top_cited = sorted(
            counts.items(), key=lambda item: (-item[1], drawn.papers[item[0]].title.lower(), drawn.papers[item[0]].iri)
        )[:TOP_CITED]
    return result


# --- the query page's data ------------------------------------------------------------------


def query_data(site: Site) -> dict:
    """The saved queries with their parameters, the lookups that bind headings and papers, the
    prefixes, and the page of each IRI that has one: what query.js needs."""
    from kg.savedqueries import HEADING_LOOKUP, PAPER_LOOKUP, saved_queries
    from kg.vocab import PREFIXES

    pages = {site.drawn.papers[i].iri: page.path for i, page in site.papers.items()}
    pages.update({site.drawn.headings[h.index].iri: h.path for h in site.headings})
    return {
        "prefixes": PREFIXES,
        "lookups": {"heading": HEADING_LOOKUP, "paper": PAPER_LOOKUP},
        "queries": [
            {
                "name": q.name,
                "title": q.title,
                "description": q.description,
                "text": q.text,
                "params": [
                    {
                        "name": p.name,
                        "kind": p.kind,
                        "description": p.description,
                        "default": p.default,
                        "low": p.low,
                        "high": p.high,
                        "type": p.type_text,
                    }
                    for p in q.params
                ],
            }
            for q in saved_queries().values()
        ],
        "pages": dict(sorted(pages.items())),
        "headings": [h.label for h in site.drawn.headings],
        "papers": sorted({site.drawn.papers[i].title for i in site.papers}),
    }


def script_assignment(name: str, value) -> str:
    """`window.NAME = <JSON>;`: ASCII-only JSON is a JavaScript expression; <, > and & are escaped too,
    so the text cannot end a script or open a comment even if a page ever inlines it."""
    text = json.dumps(value, ensure_ascii=True, sort_keys=True, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f"window.{name} = {text};\n"


def graph_quads(graph: KnowledgeGraph) -> bytes:
    """The whole graph as sorted N-Quads: in the browser, Oxigraph loads these about a third faster than
    TriG, and quads it wrote itself need no second check (the page loads them leniently)."""
    import pyoxigraph as ox

    dumped = graph.store.dump(format=ox.RdfFormat.N_QUADS)
    assert dumped is not None, "a dump without an output file returns its bytes"
    return "".join(sorted_lines(dumped)).encode("utf-8")


def gzip_base64(data: bytes) -> str:
    """Bytes for a classic script: gzipped (the page inflates them with the browser's DecompressionStream;
    the wasm shrinks from 4.0 to 1.4 MB, the graph tenfold) and base64. No timestamp, so the same every time."""
    return base64.b64encode(gzip.compress(data, 9, mtime=0)).decode("ascii")


def oxigraph_scripts() -> tuple[str, str]:
    """Oxigraph's web build as two classic scripts: the glue exposed as `window.oxigraph`, and the
    wasm bytes, gzipped, as base64. The vendored module is edited only where it exports or finds its wasm."""
    glue = (OXIGRAPH / "web.js").read_text("utf-8")
    exports = re.compile(r"^export (class|function|async function) ", re.M)
    names = re.findall(r"^export (?:class|function|async function) (\w+)", glue, re.M)
    tail = "export { initSync, __wbg_init as default };"
    wasm_url = "new URL('web_bg.wasm', import.meta.url)"  # only used when init is given no wasm; we always give it
    if not names or glue.count(tail) != 1 or glue.count(wasm_url) != 1 or glue.count("import.meta") != 1:
        raise PublishError(
            "kg/static/oxigraph/web.js does not have the shape kg publish expects "
            "(exports, one default export, one import.meta.url); see its LICENSES.md"
        )
    glue = exports.sub(r"\1 ", glue).replace(tail, "").replace(wasm_url, "undefined")
    if re.search(r"^\s*(export|import)\b", glue, re.M):
        raise PublishError("kg/static/oxigraph/web.js has an export or import kg publish does not know how to undo")
    members = ", ".join(sorted(names)) + ", initSync, init: __wbg_init"
    script = f'(function () {{\n"use strict";\n{glue}\nwindow.oxigraph = {{ {members} }};\n}})();\n'
    return script, f'window.kgOxigraphWasm = "{gzip_base64((OXIGRAPH / "web_bg.wasm").read_bytes())}";\n'


# --- writing --------------------------------------------------------------------------------


def environment():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(csp=CSP, arxiv_url=arxiv_url, doi_url=doi_url)
    return env


def render_pages(site: Site, graph: KnowledgeGraph, model: GraphModel, build: Path) -> dict[str, str | bytes]:
    """Every file of the site, by path relative to its root."""
    from kg.exports import export

    env = environment()
    drawn = site.drawn
    files: dict[str, str | bytes] = {}
    common = {
        "site": site,
        "drawn": drawn,
        "papers": drawn.papers,
        "pages": site.papers,
        "heading_pages": site.headings,
        "title": site.title,
    }
    listed_order = sorted(site.papers, key=lambda i: (drawn.papers[i].title.lower(), drawn.papers[i].iri))
    top_headings = [h.index for h in site.headings if drawn.headings[h.index].parent is None]
    files["index.html"] = env.get_template("index.html").render(
        root="", listed_order=listed_order, top_headings=top_headings, download_notes=DOWNLOAD_NOTES, **common
    )
    data = query_data(site)
    files["query.html"] = env.get_template("query.html").render(
        root="",
        prefixes=list(data["prefixes"]),
        queries=data["queries"],
        heading_names=data["headings"],
        paper_names=data["papers"],
        **common,
    )
    paper_template, heading_template = env.get_template("paper.html"), env.get_template("heading.html")
    for page in site.papers.values():
        files[page.path] = paper_template.render(root="../", page=page, **common)
    for heading_page in site.headings:
        files[heading_page.path] = heading_template.render(root="../", page=heading_page, **common)
    for name in site.downloads:
        if name != CSL_JSON:
            files[f"downloads/{name}"] = (build / name).read_bytes()
    files[f"downloads/{CSL_JSON}"] = export(model, "csl-json")
    files["graph.html"] = (build / "graph.html").read_bytes()
    glue, wasm = oxigraph_scripts()
    files["assets/oxigraph.js"] = glue
    files["assets/oxigraph-wasm.js"] = wasm
    files["assets/graph-data.js"] = f'window.kgGraphQuads = "{gzip_base64(graph_quads(graph))}";\n'
    files["assets/query-data.js"] = script_assignment("kgQueryData", data)
    for name in ("site.css", "query.js"):
        files[f"assets/{name}"] = (TEMPLATES / name).read_text("utf-8")
    for name in ("LICENSE-MIT", "LICENSE-APACHE", "LICENSES.md"):
        files[f"assets/oxigraph-{name}"] = (OXIGRAPH / name).read_bytes()
    files[SITE_MARKER] = "Written by `kg publish`; the next `kg publish` to this folder replaces it whole.\n"
    return files


def publish(build: str | Path, out: str | Path, progress=None) -> list[Path]:
    """Write the site of the build folder `build` into `out` (replacing an earlier site there)."""
    from kg.progress import Silent

    progress = progress or Silent()
    build, out = Path(build), Path(out)
    missing = [name for name in ("graph.trig", "manifest.json", "graph.html") if not (build / name).is_file()]
    if missing:
        raise PublishError(f"{build}: not a build folder (no {', '.join(missing)}; run `kg build` first)")
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / SITE_MARKER).exists())):
        raise PublishError(f"{out}: exists and is not a site `kg publish` wrote; give an empty or new folder")
    if out.resolve() == build.resolve() or build.resolve() in out.resolve().parents:
        raise PublishError(f"{out}: the site cannot go inside the build folder it is made from")
    progress.stage("reading the build")
    try:
        graph = KnowledgeGraph.load(build)
        json.loads((build / "manifest.json").read_text("utf-8"))
    except (SyntaxError, ValueError) as error:  # pyoxigraph's parse errors are SyntaxErrors
        raise PublishError(f"{build}: a build file cannot be read ({error}); rebuild it with `kg build`") from None
    model = read_model(graph)
    site = read_site(build, model, progress)
    progress.stage("writing the pages")
    files = render_pages(site, graph, model, build)
    staging = out.with_name(f".{out.name}.publishing")
    if staging.exists():
        shutil.rmtree(staging)
    for path, content in sorted(files.items()):
        atomic_write(staging / path, content)
    old = out.with_name(f".{out.name}.old")
    if old.exists():
        shutil.rmtree(old)
    if out.exists():
        out.rename(old)
    staging.rename(out)
    if old.exists():
        shutil.rmtree(old)
    return [out / path for path in sorted(files)]
