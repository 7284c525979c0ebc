"""Benchmark the citation graph page: page size and time until the graph is interactive.

Synthetic graphs in our vocabulary (a taxonomy, listed papers with authors, years, venues,
TL;DRs and counts, outside works, citations with some influential ones) of 200, 2,000 and
20,000 papers go through the same code as a build (SPARQL -> layout -> page); headless
Debian chromium then opens each page from disk and reports when the first frame of the
laid-out graph was drawn (performance.now() at the page's ready mark, i.e. since navigation
start), and how long switching to the timeline (year) layout takes until its frame is drawn.
Every paper is drawn (a build would keep only listed papers above its node budget).

    python bench/page.py [--sizes 200 2000 20000] [--repeat 3] [--out bench/out/page]
    python bench/page.py --screenshots docs/img      # the docs' screenshots, then exit

--screenshots writes the screenshots docs/page.md shows: the synthetic pages at 200 and 2,000
papers (force and timeline layouts) and, as graph.png, the shipped list's page built offline.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from pyoxigraph import Literal, NamedNode, Quad

from kg.model import read_model
from kg.page import citation_graph, layout, page_html, timeline
from kg.store import KnowledgeGraph, atomic_write
from kg.vocab import (
    ID,
    LIST_GRAPH,
    S2_GRAPH,
    akg,
    cito,
    dcterms,
    fabio,
    foaf,
    heading_iri,
    list_iri,
    rdf,
    scheme_iri,
    skos,
    xsd,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
SLUG = "synthetic"
LISTED_SHARE = 0.25
CITATIONS_PER_PAPER = 5
WORDS = (
    "mixture experts sparse routing inference offloading quantization pruning expert parallel "
    "scheduling memory efficient large language models gating distillation serving cache "
    "throughput latency hardware accelerator adaptive dynamic token load balancing"
).split()
VENUES = ("NeurIPS", "ICML", "ICLR", "MLSys", "OSDI", "ACL", "arXiv", "ASPLOS", "SC", "EuroSys")
NAMES = (
    "Wei Zhang",
    "Elena Garcia",
    "Amir Rahimi",
    "Sofia Rossi",
    "Kenji Sato",
    "Priya Nair",
    "Lukas Weber",
    "Chen Li",
    "Maria Silva",
    "John Smith",
    "Aisha Bello",
    "Olga Ivanova",
)


def integer(value: int) -> Literal:
    return Literal(str(value), datatype=xsd.integer)


def synthetic_graph(papers: int, seed: int = 0) -> KnowledgeGraph:
    """A build-shaped graph: a quarter of the papers listed under a two-level taxonomy, with the
    facts a full record gives; the rest outside works with what an edge record gives."""
    rng = random.Random(seed)
    g, s2 = LIST_GRAPH, S2_GRAPH
    the_list, scheme = NamedNode(list_iri(SLUG)), NamedNode(scheme_iri(SLUG))
    quads = [Quad(the_list, rdf.type, akg.PaperList, g), Quad(the_list, dcterms.title, Literal("Synthetic list"), g)]
    headings = []
    for top in range(6):
        parent = NamedNode(heading_iri(SLUG, f"top-{top}"))
        quads += [
            Quad(parent, rdf.type, skos.Concept, g),
            Quad(parent, skos.prefLabel, Literal(f"Area {top}"), g),
            Quad(parent, akg.position, integer(top * 3), g),
            Quad(parent, skos.topConceptOf, scheme, g),
        ]
        for child in range(2):
            node = NamedNode(heading_iri(SLUG, f"top-{top}-{child}"))
            headings.append(node)
            quads += [
                Quad(node, rdf.type, skos.Concept, g),
                Quad(node, skos.broader, parent, g),
                Quad(node, skos.prefLabel, Literal(f"Topic {top}.{child}"), g),
                Quad(node, akg.position, integer(top * 3 + child + 1), g),
            ]
    nodes = [NamedNode(f"{ID}paper/s2/synthetic-{i:06d}") for i in range(papers)]
    listed_so_far: list[int] = []
    for i, node in enumerate(nodes):
        listed = rng.random() < LISTED_SHARE
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 12))).capitalize()
        quads += [
            Quad(node, rdf.type, fabio.Expression, s2),
            Quad(node, dcterms.issued, Literal(str(2010 + i * 15 // papers), datatype=xsd.gYear), s2),
            Quad(node, akg.s2PaperId, Literal(f"{i:040x}"), s2),
        ]
        if not listed:  # what a reference or citation record carries: id, title, year
            quads.append(Quad(node, dcterms.title, Literal(title), s2))
        else:
            quads += [
                Quad(node, rdf.type, akg.ListedPaper, g),
                Quad(node, dcterms.title, Literal(title), g),
                Quad(node, akg.listedUnder, rng.choice(headings), g),
                Quad(node, foaf.page, NamedNode(f"https://arxiv.org/abs/{2000 + i % 500}.{i:05d}"), g),
                Quad(node, akg.sourceTitle, Literal(title), s2),
                Quad(node, akg.publishedVenue, Literal(rng.choice(VENUES)), s2),
                Quad(node, akg.citationCount, integer(int(rng.paretovariate(1.2) * 5)), s2),
                Quad(node, akg.influentialCitationCount, integer(rng.randrange(5)), s2),
                Quad(node, akg.tldr, Literal(f"{title} makes mixture-of-experts inference cheaper."), s2),
            ]
        for position in range(1, rng.randint(2, 7) if listed else 1):
            who = rng.randrange(len(NAMES) * 50)
            authorship, person = NamedNode(f"{node.value}/authorship/{position}"), NamedNode(f"{ID}person/name/{who}")
            quads += [
                Quad(node, akg.authorship, authorship, s2),
                Quad(authorship, akg.position, integer(position), s2),
                Quad(authorship, akg.author, person, s2),
                Quad(person, foaf.name, Literal(f"{NAMES[who % len(NAMES)]} {who // len(NAMES)}"), s2),
            ]
        # as in a build, every citation has a listed paper at one end or the other
        earlier = range(i) if listed else listed_so_far
        for cited in {earlier[rng.randrange(len(earlier))] for _ in range(CITATIONS_PER_PAPER)} if earlier else ():
            quads.append(Quad(node, cito.cites, nodes[cited], s2))
            if rng.random() < 0.1:
                citation = NamedNode(f"{ID}citation/synthetic-{i}-{cited}")
                quads += [
                    Quad(citation, rdf.type, cito.Citation, s2),
                    Quad(citation, cito.hasCitingEntity, node, s2),
                    Quad(citation, cito.hasCitedEntity, nodes[cited], s2),
                    Quad(citation, akg.isInfluential, Literal("true", datatype=xsd.boolean), s2),
                ]
        if listed:
            listed_so_far.append(i)
    return KnowledgeGraph(quads)


def opened(browser, page_path: Path):
    """A headless page, opened from disk with networking off, once its first frame is drawn."""
    context = browser.new_context(offline=True, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(page_path.resolve().as_uri(), timeout=300_000)
    page.wait_for_selector("body[data-ready=true]", timeout=300_000)
    return context, page


def time_to_interactive(browser, page_path: Path) -> tuple[float, float]:
    """Milliseconds from navigation start until the laid-out graph's first frame was drawn, and
    from clicking the timeline layout until its frame was drawn."""
    context, page = opened(browser, page_path)
    try:
        ready = page.evaluate("kgPage.readyAt")
        switched = page.evaluate("""() => new Promise((done) => {
            const started = performance.now();
            kgPage.network.once("afterDrawing", () => done(performance.now() - started));
            document.querySelector("input[name=layout][value=year]").click(); })""")
        return ready, switched
    finally:
        context.close()


def screenshots(browser, folder: Path, work: Path) -> None:
    """The docs' screenshots: synthetic pages at 200 and 2,000 papers, and the shipped list's page."""
    from kg.build import build

    folder.mkdir(parents=True, exist_ok=True)
    shipped = build(out=work / "shipped", offline=True, cache_dir=work / "cache")
    pages = {"graph": shipped.out / "graph.html"}
    for size in (200, 2000):
        pages[f"graph-{size}"] = atomic_write(
            work / f"graph-{size}.html", page_html(citation_graph(read_model(synthetic_graph(size))))
        )
    for name, path in pages.items():
        context, page = opened(browser, path)
        try:
            page.wait_for_timeout(300)
            save_png(page.screenshot(), folder / f"{name}.png")
            if name != "graph":
                page.check("input[name=layout][value=year]")
                page.wait_for_timeout(300)
                save_png(page.screenshot(), folder / f"{name}-timeline.png")
        finally:
            context.close()
        print(f"wrote {folder / name}.png", flush=True)


def save_png(screenshot: bytes, path: Path) -> None:
    """A screenshot reduced to 256 colours (Pillow, which matplotlib already brings): a third to a
    fifth of the bytes in the repository, no difference a reader sees."""
    import io

    from PIL import Image

    with Image.open(io.BytesIO(screenshot)) as image:
        image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 2000, 20000])
    parser.add_argument("--repeat", type=int, default=3, help="browser loads per size (the median is reported)")
    parser.add_argument("--out", type=Path, default=Path("bench/out/page"))
    parser.add_argument("--screenshots", type=Path, help="write the docs' screenshots into this folder and exit")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        if args.screenshots:
            with tempfile.TemporaryDirectory() as work:
                screenshots(browser, args.screenshots, Path(work))
            return
        rows = []
        page_html(citation_graph(read_model(synthetic_graph(20))))  # imports igraph and jinja first
        for size in args.sizes:
            graph = synthetic_graph(size)
            started = time.perf_counter()
            citations = citation_graph(read_model(graph))
            read = time.perf_counter() - started
            started = time.perf_counter()
            positions = layout(len(citations.papers), citations.edges)
            laid_out = time.perf_counter() - started
            started = time.perf_counter()
            timeline(citations.papers, positions)
            on_timeline = time.perf_counter() - started
            started = time.perf_counter()
            path = atomic_write(args.out / f"graph-{size}.html", page_html(citations))
            written = time.perf_counter() - started
            loads = [time_to_interactive(browser, path) for _ in range(args.repeat)]
            rows.append(
                (
                    size,
                    len(citations.edges),
                    path.stat().st_size / 1e6,
                    read,
                    laid_out,
                    on_timeline,
                    written,
                    statistics.median(ready for ready, _ in loads) / 1000,
                    statistics.median(switch for _, switch in loads) / 1000,
                )
            )
            print(f"{size:>6} papers: done", flush=True)
        browser.close()
    print(
        "| papers | citations | page MB | SPARQL read s | layout s | timeline s | page written s (incl. layouts) "
        "| interactive in chromium s | switch to timeline s |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size, edges, megabytes, read, laid_out, on_timeline, written, ready, switch in rows:
        print(
            f"| {size:,} | {edges:,} | {megabytes:.2f} | {read:.2f} | {laid_out:.2f} | {on_timeline:.2f} "
            f"| {written:.2f} | {ready:.2f} | {switch:.2f} |"
        )


if __name__ == "__main__":
    main()
