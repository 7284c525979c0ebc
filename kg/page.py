"""The interactive citation graph page (graph.html), drawn from the build's graph.

Everything on the page comes from the build, through its read model (kg.model). pyvis renders it: a Network is handed
the nodes, the edges and vis-network's options whole (its add_node/add_edge scan a list on every
call, O(n) each), and its generate_html renders OUR template, kg/templates/graph.html. pyvis's
own template loads vis-network, bootstrap and tom-select from CDNs even with
cdn_resources='local' or 'in_line' (pyvis issues #228, #229) and sets a tooltip's innerHTML
from the title once any title contains "href". Ours inlines the vendored vis-network
(kg/static) and our own script and style, so it works with no network; its
Content-Security-Policy lets only those two scripts run; the data reaches the script as one
JSON block escaped by Jinja's tojson and is put on the page only as text. Positions are
computed ahead, twice: igraph's Fruchterman-Reingold (seeded) for the force layout, and a
timeline with the year on the x axis; the browser draws at once with physics off. vis-network
draws only the dots: the script draws the citations (one canvas path per style, where
vis-network would build and stroke an object per edge) and the labels (most important first,
skipping any that would overlap one already drawn).
"""

from __future__ import annotations

import base64
import hashlib
import math
import random
from collections import defaultdict, deque
from dataclasses import dataclass, field, replace
from pathlib import Path

from kg.clusters import import_igraph
from kg.model import GraphModel, Work, as_model, read_model
from kg.store import KnowledgeGraph, atomic_write

PAGE_NAME = "graph.html"
NODE_BUDGET = 5000
LAYOUT_SEED = 0
LAYOUT_ITERATIONS = 500
# Fruchterman-Reingold costs about (papers + citations) a step: a part past this budget gets fewer
# steps (the 20,000-paper page's main part 150 instead of 500, 2.5 s -> 0.8 s); pages up to a few
# thousand papers, the shipped list's among them, keep all 500.
LAYOUT_BUDGET = 25_000_000
NODE_SPACING = 80  # pixels per paper, about, in the precomputed layout
LABEL_ROOM = 220  # width kept for a lone paper, so labels side by side do not overlap
YEAR_LANE = 44  # pixels between papers of one year in the timeline, across and down
TIMELINE_ASPECT = 1.6  # width over height the timeline aims for
EMPTY_YEARS_WIDTH = 60  # a run of years without papers is drawn this wide
UNKNOWN_YEAR_GAP = 90  # between the papers of unknown year and the first year
# Paul Tol's "muted" qualitative scheme, told apart with every common colour-vision deficiency.
# Beyond its nine colours, the smaller groups share one dark grey (and one legend entry), so a
# colour never means two things; pale grey marks papers outside every group.
PALETTE = ("#CC6677", "#332288", "#DDCC77", "#117733", "#88CCEE", "#882255", "#44AA99", "#999933", "#AA4499")
OTHER_COLOUR = "#555555"
OUTSIDE_COLOUR = "#BBBBBB"
PANEL_WORKS = 10  # works listed in each of the prior and derivative panels
SHOWN_AUTHORS = 10
S2_PAPER_PAGE = "https://www.semanticscholar.org/paper/"
LARGE_NODES, LARGE_EDGES = 2000, 10000  # above either: edges hidden while the view moves
LABEL_SIZE = 12  # pixels on screen, whatever the zoom
# How the page's script strokes citations: width in graph units (it grows as one zooms in).
EDGE_STYLES = {
    "plain": {"width": 1, "colour": "rgba(110, 110, 110, 0.35)"},
    "influential": {"width": 3, "colour": "rgba(60, 60, 60, 0.85)"},
    "selected": {"width": 2, "colour": "rgba(30, 30, 30, 0.9)"},
}
TEMPLATES = Path(__file__).with_name("templates")  # our page template, script and style
TEMPLATE = "graph.html"
STATIC = Path(__file__).with_name("static")  # vendored vis-network, see LICENSES.md


class PageError(Exception):
    """A page that cannot be drawn as asked (no such paper or heading, an ambiguous title)."""


@dataclass
class Heading:
    iri: str
    label: str
    parent: int | None  # index into CitationGraph.headings


@dataclass
class Cluster:
    iri: str
    label: str


@dataclass
class Paper:
    iri: str
    listed: bool
    title: str
    listed_title: str | None = None  # the list's spelling, where it differs from the title
    year: int | None = None
    venue: str | None = None
    authors: list[str] = field(default_factory=list)
    headings: list[int] = field(default_factory=list)  # indices into CitationGraph.headings
    clusters: list[int] = field(default_factory=list)  # indices into CitationGraph.clusters
    citation_count: int | None = None  # Semantic Scholar's count
    influential_count: int | None = None
    cited_by: int = 0  # citing papers in this graph
    cited_in_list: int = 0  # citing listed papers in this graph
    cites_listed: int = 0  # listed papers of this graph it cites
    tldr: str | None = None
    pages: list[str] = field(default_factory=list)
    code: list[str] = field(default_factory=list)
    s2_id: str | None = None


@dataclass
class CitationGraph:
    """Papers, citation edges (citing, cited, influential) and the taxonomy, as the page draws them."""

    title: str
    papers: list[Paper]
    edges: list[tuple[int, int, bool]]
    headings: list[Heading]
    clusters: list[Cluster]

    def subgraph(self, keep: set[int]) -> CitationGraph:
        """The papers in `keep` (in their order here) and the edges among them."""
        order = sorted(keep)
        new_index = {old: new for new, old in enumerate(order)}
        edges = [
            (new_index[a], new_index[b], influential)
            for a, b, influential in self.edges
            if a in new_index and b in new_index
        ]
        return replace(self, papers=[self.papers[i] for i in order], edges=edges)

    def neighbours(self) -> list[set[int]]:
        """Each paper's citation neighbours, either direction."""
        around: list[set[int]] = [set() for _ in self.papers]
        for a, b, _ in self.edges:
            around[a].add(b)
            around[b].add(a)
        return around


def citation_graph(model: GraphModel) -> CitationGraph:
    """The citation graph of a build: every listed paper and every work a citation reaches."""
    iris = sorted({w.iri for w in model.listed} | {iri for c in model.citations for iri in (c.citing, c.cited)})
    index = {iri: i for i, iri in enumerate(iris)}
    heading_index = {iri: i for i, iri in enumerate(model.headings)}
    headings = [
        Heading(h.iri, h.label, None if h.parent is None else heading_index.get(h.parent))
        for h in model.headings.values()
    ]
    papers = [drawn_paper(model.works[iri], heading_index) for iri in iris]
    edges = sorted((index[c.citing], index[c.cited], c.influential) for c in model.citations)
    count_citations(papers, edges)
    for position, cluster in enumerate(model.clusters):
        for member in cluster.members:
            if member in index:
                papers[index[member]].clusters.append(position)
    for paper in papers:
        paper.clusters.sort()
    clusters = [Cluster(c.iri, c.label) for c in model.clusters]
    return CitationGraph(model.title or "Citation graph", papers, edges, headings, clusters)


def count_citations(papers: list[Paper], edges: list[tuple[int, int, bool]]) -> None:
    """How many papers of this graph (and how many listed ones) cite each paper, and how many
    listed papers each paper cites."""
    import numpy as np

    if not edges:
        return
    citing, cited = np.array([(a, b) for a, b, _ in edges]).T
    listed = np.array([p.listed for p in papers])
    cited_by = np.bincount(cited, minlength=len(papers))
    cited_in_list = np.bincount(cited, weights=listed[citing], minlength=len(papers))
    cites_listed = np.bincount(citing, weights=listed[cited], minlength=len(papers))
    for paper, by, in_list, listed_cited in zip(papers, cited_by, cited_in_list, cites_listed, strict=True):
        paper.cited_by, paper.cited_in_list, paper.cites_listed = int(by), int(in_list), int(listed_cited)


def web_links(values: list[str] | None) -> list[str]:
    """Only http(s) links become clickable (a list could hold `javascript:` links)."""
    return [v for v in values or [] if v.lower().startswith(("https://", "http://"))]


def drawn_paper(work: Work, heading_index: dict[str, int]) -> Paper:
    title = work.title or "(untitled)"
    return Paper(
        iri=work.iri,
        listed=work.listed,
        title=title,
        listed_title=work.listed_title if work.listed_title and work.listed_title != title else None,
        year=work.year,
        venue=work.venue,
        authors=list(work.authors),
        headings=[heading_index[h] for h in work.headings],
        citation_count=work.citation_count,
        influential_count=work.influential_count,
        tldr=work.tldr,
        pages=[url for url in web_links(work.pages) if not url.startswith(S2_PAPER_PAGE)],
        code=web_links(work.code),
        s2_id=work.s2_id,
    )


# --- choosing what to draw -----------------------------------------------------------------


def title_words(text: str) -> list[str]:
    """Words as the page's search box compares them (the same rule runs in graph.js)."""
    from kg.identifiers import normalize_title

    return normalize_title(text).split()


def find_paper(graph: CitationGraph, words: str) -> int:
    """The one paper whose title has all these words (listed papers first), else a PageError."""
    wanted = title_words(words)
    if not wanted:
        raise PageError("expected title words to find a paper, e.g. --focus Fiddler")
    titles = [" ".join(title_words(p.title)) for p in graph.papers]
    matches = [i for i, title in enumerate(titles) if all(w in title for w in wanted)]
    listed = [i for i in matches if graph.papers[i].listed]
    candidates = listed or matches
    if not candidates:
        raise PageError(f"no paper title has the words {words!r}")
    exact = [i for i in candidates if title_words(graph.papers[i].title) == wanted]
    if len(candidates) > 1 and len(exact) != 1:
        shown = "\n".join(f"  {graph.papers[i].title}" for i in candidates[:10])
        more = f"\n  ... and {len(candidates) - 10} more" if len(candidates) > 10 else ""
        raise PageError(f"{len(candidates)} papers match {words!r}; give more title words:\n{shown}{more}")
    return exact[0] if len(candidates) > 1 else candidates[0]


def neighbourhood(graph: CitationGraph, centre: int, depth: int) -> CitationGraph:
    """The papers within `depth` citation steps of `centre`, either direction."""
    around = graph.neighbours()
    reached, queue = {centre: 0}, deque([centre])
    while queue:
        i = queue.popleft()
        if reached[i] < depth:
            for j in around[i]:
                if j not in reached:
                    reached[j] = reached[i] + 1
                    queue.append(j)
    return graph.subgraph(set(reached))


def under_heading(graph: CitationGraph, label: str) -> CitationGraph:
    """Listed papers under the heading (or its sub-headings), with the outside works they connect to."""
    wanted = {i for i, h in enumerate(graph.headings) if h.label.casefold() == label.strip().casefold()}
    if not wanted:
        known = ", ".join(sorted({h.label for h in graph.headings}))
        raise PageError(f"no heading is labelled {label!r}; the headings are: {known}")
    for i, heading in enumerate(graph.headings):
        if heading.parent in wanted:
            wanted.add(i)  # headings come parents first, so one pass reaches every depth
    keep = {i for i, p in enumerate(graph.papers) if set(p.headings) & wanted}
    around = graph.neighbours()
    keep |= {j for i in list(keep) for j in around[i] if not graph.papers[j].listed}
    return graph.subgraph(keep)


def within_budget(graph: CitationGraph, max_nodes: int) -> tuple[CitationGraph, str]:
    """Over the budget, the listed papers alone, and a note that says so."""
    if len(graph.papers) <= max_nodes:
        return graph, ""
    listed = {i for i, p in enumerate(graph.papers) if p.listed}
    return graph.subgraph(listed), (
        f"This graph has {len(graph.papers):,} papers, more than the {max_nodes:,} this page draws: only the "
        f"{len(listed):,} listed papers are drawn, the outside works they cite or are cited by are left out."
    )


# --- layout and page -----------------------------------------------------------------------


def layout(count: int, edges: list[tuple[int, int, bool]]) -> list[tuple[int, int]]:
    """Positions in pixels: each connected part laid out with Fruchterman-Reingold (seeded, so the
    same graph gives the same page), then the parts packed in rows, largest first, so papers
    without citations do not push the rest into a corner."""
    igraph = import_igraph()
    network = igraph.Graph(n=count, edges=[(a, b) for a, b, _ in edges if a != b])
    network.simplify()
    parts = sorted(network.connected_components(), key=lambda members: (-len(members), members[0]))
    igraph.set_random_number_generator(random.Random(LAYOUT_SEED))
    try:
        boxes = [part_layout(network, members) for members in parts]
    finally:
        igraph.set_random_number_generator(random)
    return pack(parts, boxes, count)


def part_layout(network, members: list[int]) -> list[tuple[float, float]]:
    """One connected part's positions, from (0, 0), spread to about NODE_SPACING per paper."""
    if len(members) == 1:
        return [(0.0, 0.0)]
    part = network.subgraph(members)
    steps = min(LAYOUT_ITERATIONS, max(50, LAYOUT_BUDGET // (part.vcount() + part.ecount())))
    coords = part.layout_fruchterman_reingold(niter=steps).coords
    xs, ys = [x for x, _ in coords], [y for _, y in coords]
    left, top = min(xs), min(ys)
    scale = NODE_SPACING * math.sqrt(len(members)) / (max(max(xs) - left, max(ys) - top) or 1.0)
    return [((x - left) * scale, (y - top) * scale) for x, y in coords]


def pack(parts: list[list[int]], boxes: list[list[tuple[float, float]]], count: int) -> list[tuple[int, int]]:
    """Place the parts left to right in rows about as wide as the whole is tall."""
    sizes = [
        (max(max(x for x, _ in box) + NODE_SPACING, LABEL_ROOM), max(y for _, y in box) + NODE_SPACING) for box in boxes
    ]
    row_width = max(max((w for w, _ in sizes), default=0), math.sqrt(sum(w * h for w, h in sizes)))
    positions = [(0, 0)] * count
    x = y = row_height = 0.0
    for members, box, (width, height) in zip(parts, boxes, sizes, strict=True):
        if x > 0 and x + width > row_width:
            x, y, row_height = 0.0, y + row_height, 0.0
        for i, (px, py) in zip(members, box, strict=True):
            positions[i] = (round(x + px), round(y + py))
        x, row_height = x + width, max(row_height, height)
    return positions


def timeline(papers: list[Paper], force: list[tuple[int, int]]) -> tuple[list[tuple[int, int]], list[dict]]:
    """Positions with the year on the x axis (as Local Citation Network and Connected Papers
    draw a field), and the bands the page shades and labels. Every year is a band of the same
    width (runs of years without papers are squeezed into one narrow band, papers of unknown
    year stand apart on the left). Within a band papers keep the force layout's vertical order,
    so related papers stay level with each other, packed into lanes so none overlap."""
    by_year: dict[int | None, list[int]] = defaultdict(list)
    for i, paper in enumerate(papers):
        by_year[paper.year].append(i)
    if not papers:
        return [], []
    fullest = max(len(members) for members in by_year.values())
    lanes = max(1, round(math.sqrt(TIMELINE_ASPECT * fullest / len(by_year))))
    height = math.ceil(fullest / lanes) * YEAR_LANE
    target = [0.0] * len(papers)
    for rank, i in enumerate(sorted(range(len(papers)), key=lambda i: (force[i][1], force[i][0], i))):
        target[i] = rank * height / len(papers)
    positions: list[tuple[int, int]] = [(0, 0)] * len(papers)
    bands, left, width = [], 0, lanes * YEAR_LANE

    def place(members: list[int]) -> None:
        free = [0.0] * lanes  # where each lane's next paper may go
        for i in sorted(members, key=lambda i: (target[i], i)):
            # the first lane free by the paper's target height, else the one free soonest (the first of equals)
            soonest = min(free)
            lane = free.index(soonest) if soonest > target[i] else next(k for k, f in enumerate(free) if f <= target[i])
            y = max(free[lane], target[i])
            positions[i] = (round(left + (lane + 0.5) * YEAR_LANE), round(y))
            free[lane] = y + YEAR_LANE

    if None in by_year:
        place(by_year[None])
        bands.append({"label": "year unknown", "left": left, "width": width, "papers": len(by_year[None])})
        left += width + UNKNOWN_YEAR_GAP
    years = sorted(year for year in by_year if year is not None)
    for year, following in zip(years, [*years[1:], None][: len(years)], strict=True):
        place(by_year[year])
        bands.append({"label": str(year), "year": year, "left": left, "width": width, "papers": len(by_year[year])})
        left += width
        if following is not None and following > year + 1:
            gap = f"{year + 1}" if following == year + 2 else f"{year + 1}–{following - 1}"
            bands.append({"label": gap, "left": left, "width": EMPTY_YEARS_WIDTH, "papers": 0})
            left += EMPTY_YEARS_WIDTH
    return positions, bands


def node_size(paper: Paper) -> float:
    """Radius by citation count, log-scaled; the count is at least the citations this graph holds."""
    cited = math.log10(1 + max(paper.citation_count or 0, paper.cited_by))
    return round(10 + 5 * cited, 1) if paper.listed else round(4 + 3 * cited, 1)


def label_order(papers: list[Paper]) -> list[int]:
    """Which papers are labelled first where labels would collide: listed papers, most cited
    first, then the outside works most listed papers cite."""

    def importance(i: int) -> tuple:
        paper = papers[i]
        cited = max(paper.citation_count or 0, paper.cited_by)
        return (0, 0, -cited, i) if paper.listed else (1, -paper.cited_in_list, -cited, i)

    return sorted(range(len(papers)), key=importance)


def most_connected(papers: list[Paper], count_of) -> list[int]:
    """The outside works with the highest count, ties broken by citations then title."""
    ranked = sorted(
        (i for i, p in enumerate(papers) if not p.listed and count_of(p)),
        key=lambda i: (-count_of(papers[i]), -(papers[i].citation_count or 0), papers[i].title, i),
    )
    return ranked[:PANEL_WORKS]


def prior_works(papers: list[Paper]) -> list[int]:
    """Outside works the listed papers cite most (Connected Papers' "prior works")."""
    return most_connected(papers, lambda p: p.cited_in_list)


def derivative_works(papers: list[Paper]) -> list[int]:
    """Outside works that cite the most listed papers (Connected Papers' "derivative works")."""
    return most_connected(papers, lambda p: p.cites_listed)


def group_colours(sizes: list[int]) -> list[str]:
    """A palette colour for each group, the largest first; past the palette, the smaller groups
    share OTHER_COLOUR so that no colour stands for two groups."""
    if len(sizes) <= len(PALETTE):
        return list(PALETTE[: len(sizes)])
    coloured = sorted(range(len(sizes)), key=lambda g: (-sizes[g], g))[: len(PALETTE) - 1]
    colours = [OTHER_COLOUR] * len(sizes)
    for n, group in enumerate(coloured):
        colours[group] = PALETTE[n]
    return colours


def top_heading(headings: list[Heading], index: int) -> int:
    while (parent := headings[index].parent) is not None:
        index = parent
    return index


def heading_counts(graph: CitationGraph) -> list[int]:
    """Listed papers on the page under each heading or any heading below it."""
    under: list[set[int]] = [set() for _ in graph.headings]
    for i, paper in enumerate(graph.papers):
        for first in paper.headings:
            h: int | None = first
            while h is not None:
                under[h].add(i)
                h = graph.headings[h].parent
    return [len(papers) for papers in under]


def page_data(graph: CitationGraph, large: bool, years: list[dict]) -> dict:
    """What the page's script needs beside pyvis's nodes, edges and options: the taxonomy and
    clusters with their colours and counts, the year bands, the order labels are given in, the
    prior and derivative works, and how to draw outside works and influential citations."""
    counts = heading_counts(graph)
    tops = [i for i, h in enumerate(graph.headings) if h.parent is None]
    top_colour = dict(zip(tops, group_colours([counts[i] for i in tops]), strict=True))
    cluster_counts = [0] * len(graph.clusters)
    for paper in graph.papers:
        for c in paper.clusters:
            cluster_counts[c] += 1
    return {
        "large": large,
        "labelSize": LABEL_SIZE,
        "outsideColour": OUTSIDE_COLOUR,
        "otherColour": OTHER_COLOUR,
        "edgeStyles": EDGE_STYLES,
        "s2PaperPage": S2_PAPER_PAGE,
        "headings": [
            {"label": h.label, "parent": h.parent, "count": counts[i], "colour": top_colour.get(i)}
            for i, h in enumerate(graph.headings)
        ],
        "clusters": [
            {"label": c.label, "count": count, "colour": colour}
            for c, count, colour in zip(graph.clusters, cluster_counts, group_colours(cluster_counts), strict=True)
        ],
        "years": years,
        "labelOrder": label_order(graph.papers),
        "prior": prior_works(graph.papers),
        "derivative": derivative_works(graph.papers),
    }


def node_data(paper: Paper, force: tuple[int, int], year: tuple[int, int], headings: list[Heading]) -> dict:
    """One node's drawing and hover facts; empty facts are left out to keep large pages small."""
    node = {
        "iri": paper.iri,
        "title": paper.title,
        "x": force[0],
        "y": force[1],
        "yearX": year[0],
        "yearY": year[1],
        "size": node_size(paper),
    }
    if paper.listed:
        node.update(
            listed=1, headings=paper.headings, top=top_heading(headings, paper.headings[0]) if paper.headings else None
        )
    optional = {
        "listedTitle": paper.listed_title,
        "year": paper.year,
        "venue": paper.venue,
        "authors": paper.authors[:SHOWN_AUTHORS],
        "moreAuthors": max(0, len(paper.authors) - SHOWN_AUTHORS) or None,
        "clusters": paper.clusters,
        "citedInList": paper.cited_in_list or None,
        "citesListed": paper.cites_listed or None,
        "citations": paper.citation_count,
        "influential": paper.influential_count,
        "tldr": paper.tldr,
        "pages": paper.pages,
        "code": paper.code,
        "s2": paper.s2_id,
    }
    node.update({key: value for key, value in optional.items() if value is not None and value != []})
    return node


def vis_options() -> dict:
    """vis-network's options. Positions come from `layout`, so physics starts off (the reader can
    free it). vis-network draws only the dots: the page's script draws the citations (in one
    stroke; vis-network builds and strokes an object per edge, seconds at 100,000 citations)
    and the labels (never overlapping); it hands the citations to vis-network, hidden, only as
    springs once the reader frees the layout."""
    return {
        "autoResize": True,
        "layout": {"improvedLayout": False},
        "physics": {"enabled": False, "solver": "forceAtlas2Based", "stabilization": False},
        "nodes": {"shape": "dot", "borderWidth": 1},
        "edges": {"smooth": False, "hidden": True},
        "interaction": {"hover": True, "keyboard": False},
    }


def inline(text: str, tag: str) -> str:
    """A file to inline in a <tag> element; refuses one that would end it early or, in a
    script, switch the HTML parser into its comment-like escaped states."""
    for marker in (f"</{tag}", "<!--"):
        if marker in text.lower():
            raise PageError(f"cannot inline a file containing {marker}")
    return text


def script_hash(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode() + "'"


def page_network(drawn: CitationGraph, *, scope: str = "", note: str = ""):
    """The page as a pyvis Network over our template, ready for `generate_html`. The nodes and
    edges are handed over as whole lists (pyvis's add_node/add_edge scan a list on every call),
    edges as [citing, cited, influential] triples: as vis's {from, to} objects they would take
    the 20,000-paper page of bench/page.py from 9.0 MB past 10 MB."""
    from markupsafe import Markup
    from pyvis.network import Network

    large = len(drawn.papers) > LARGE_NODES or len(drawn.edges) > LARGE_EDGES
    positions = layout(len(drawn.papers), drawn.edges)
    on_timeline, years = timeline(drawn.papers, positions)
    network = Network(heading=drawn.title)
    network.nodes = [
        node_data(paper, at, when, drawn.headings)
        for paper, at, when in zip(drawn.papers, positions, on_timeline, strict=True)
    ]
    network.edges = [(a, b, 1 if influential else 0) for a, b, influential in drawn.edges]  # tuples: GC skips them
    network.options = vis_options()
    network.set_template_dir(str(TEMPLATES), TEMPLATE)

    vis_js = inline((STATIC / "vis-network.min.js").read_text("utf-8"), "script")
    page_js = inline((TEMPLATES / "graph.js").read_text("utf-8"), "script")
    css = inline((TEMPLATES / "graph.css").read_text("utf-8"), "style")
    # Only our two scripts may run: no inline event handler, no injected script, no request.
    csp = (
        f"default-src 'none'; script-src {script_hash(vis_js)} {script_hash(page_js)}; "
        "style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
    )
    listed = sum(1 for p in drawn.papers if p.listed)
    # pyvis's Jinja environment escapes nothing: turn autoescaping on and make tojson write compact,
    # sorted JSON, before the template is first loaded (as Jinja requires).
    templates = network.templateEnv
    templates.autoescape = True
    templates.policies["json.dumps_kwargs"] = {"sort_keys": True, "separators": (",", ":"), "ensure_ascii": False}
    templates.globals.update(
        page=page_data(drawn, large, years),
        scope=scope,
        note=note,
        csp=csp,
        css=Markup(css),
        vis_js=Markup(vis_js),
        page_js=Markup(page_js),
        summary=f"{len(drawn.papers):,} papers ({listed:,} listed, {len(drawn.papers) - listed:,} outside works), "
        f"{len(drawn.edges):,} citations",
    )
    return network


def page_html(drawn: CitationGraph, *, scope: str = "", note: str = "") -> str:
    """The whole page, drawing every paper given, as one self-contained HTML document."""
    return page_network(drawn, scope=scope, note=note).generate_html()


def write_graph_page(source: KnowledgeGraph | GraphModel, out: str | Path) -> list[Path]:
    """The build's view: graph.html in the build folder, from the build's model (or its graph read into one)."""
    drawn, note = within_budget(citation_graph(as_model(source)), NODE_BUDGET)
    return [atomic_write(Path(out) / PAGE_NAME, page_html(drawn, note=note))]


def view_page(
    build: str | Path,
    *,
    focus: str | None = None,
    depth: int | None = None,
    heading: str | None = None,
    out: str | Path | None = None,
    max_nodes: int = NODE_BUDGET,
) -> tuple[Path, CitationGraph, str]:
    """`kg view`: the whole graph, one paper's neighbourhood or one heading, written as a page;
    gives the page's path, what it draws and the note when the budget left outside works out."""
    from kg.identifiers import slugify

    if depth is not None and focus is None:
        raise PageError("--depth needs --focus (the paper whose neighbourhood to draw)")
    build = Path(build)
    graph = citation_graph(read_model(KnowledgeGraph.open(build)))
    scope, name = [], ["graph"]
    if heading is not None:
        graph = under_heading(graph, heading)
        scope.append(f"Papers under the heading “{heading.strip()}” and the outside works they connect to.")
        name += ["heading", slugify(heading)]
    if focus is not None:
        depth = 1 if depth is None else depth
        centre = find_paper(graph, focus)
        scope.append(
            f"Papers within {depth} citation step{'s' if depth != 1 else ''} of “{graph.papers[centre].title}”."
        )
        graph = neighbourhood(graph, centre, depth)
        name += ["focus", slugify(focus), "depth", str(depth)]
    folder = build if build.is_dir() else build.parent
    path = Path(out) if out else folder / ("-".join(name) + ".html")
    drawn, note = within_budget(graph, max_nodes)
    atomic_write(path, page_html(drawn, scope=" ".join(scope), note=note))
    return path, drawn, note
