"""Related-work clusters: groups of listed papers found in the citation graph.

Four graphs over the listed papers, all from the citations of a build's model:
  direct      D(a,b) = 1 when a cites b or b cites a
  cocitation  C(a,b) = |citers(a) & citers(b)| / sqrt(|citers(a)| |citers(b)|)   (outside citers included)
  coupling    B(a,b) = |refs(a) & refs(b)| / sqrt(|refs(a)| |refs(b)|)          (outside references included)
  hybrid      H(a,b) = (D + C + B) / 3                                           (the default)
Every weight lies in [0, 1] (Salton's cosine keeps surveys with 200 references from
pulling everything in); a work shared by more than 100 listed papers adds to no pair.
Communities come from igraph's Leiden (modularity, a resolution parameter, a fixed
seed, iterated until stable), so the same graph always gives the same clusters; a list of
more than 1,000 papers keeps each paper's 30 strongest links and gets two Leiden iterations
(`links_kept`, `leiden`). Papers with no link in the chosen graph form one "unconnected"
group instead of being scattered. Each cluster is named from the list headings most of its members sit under
("Pruning and knowledge distillation"), keeps its most distinctive terms (c-TF-IDF over
titles, abstracts and TLDRs) as a secondary description, and goes back into the graph
as akg:Cluster nodes in the clusters graph.

At 20,000 papers a hybrid graph has millions of pairs, so no step handles a pair in Python:
the citations are integer arrays, the graphs scipy sparse matrices computed a block of papers
at a time, the pairs reach igraph as index arrays, and what the clusters build on is counted
for all clusters at once.
"""

from __future__ import annotations

import heapq
import json
import math
import random
import re
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain, filterfalse
from operator import attrgetter
from typing import TYPE_CHECKING, TypedDict

from kg.model import ClusterRecord, GraphModel, Heading, Work, as_model
from kg.statements import Literal, Statement, to_quad
from kg.store import KnowledgeGraph
from kg.vocab import GRAPH_IRIS, ID, TERMS

akg, dcterms, prov, rdf, rdfs, xsd = (TERMS[name] for name in ("akg", "dcterms", "prov", "rdf", "rdfs", "xsd"))
CLUSTER_GRAPH, LIST_GRAPH, PROVENANCE_GRAPH, S2_GRAPH, SNAPSHOT_GRAPH = (
    GRAPH_IRIS[name] for name in ("clusters", "list", "provenance", "semantic-scholar", "snapshot")
)

if TYPE_CHECKING:  # numpy, scipy and igraph are imported where they are used: a command that does not
    import numpy as np  # cluster does not pay for them, and igraph is imported without its plotting
    from scipy import sparse

METHODS = ("hybrid", "direct", "cocitation", "coupling")
DEFAULT_METHOD = "hybrid"
DEFAULT_RESOLUTION = 1.0
SEED = 0
UNCONNECTED = "unconnected"
NAME_HEADINGS = 2
KEPT_TERMS = 8
BUILDS_ON = 5
HUB_LIMIT = 100
WHOLE_GRAPH_UP_TO = 1000  # papers: a larger list's graph keeps each paper's STRONGEST_LINKS strongest links
STRONGEST_LINKS = 30
LARGE_LIST_ITERATIONS = 2  # Leiden's iterations on a larger list's graph (a smaller one's: until stable)
BLOCK_ROWS = 2000  # papers whose similarity rows are computed at once
WEIGHT_STEPS = 10**12  # weights are kept to 12 digits
STOPWORDS = frozenset(
    """
a about above across after against all also among an and any are as at based be been being between both but by
can could do does during each either et etc for from further had has have how however if in into is it its
itself large less many may more most much new not novel of on one only or other our over paper per propose
proposed proposes results same several show shows so such than that the their them then there these they this
those through thus to towards toward two under up upon us use used uses using via was we well were what when
where which while who whose why will with within without work yet
""".split()
)
_WORD = re.compile(r"[a-z][a-z0-9]+")  # two characters or more: one-letter words say nothing


class ClusterError(ValueError):
    """A clustering that cannot run: an unknown method or a bad parameter."""


@dataclass
class CitationData:
    """What the clustering reads from a build's model: listed papers, headings, and every citation edge as
    a pair of integer arrays over `works`, where the listed papers come first (so paper i is work i)."""

    papers: dict[str, Work]  # listed papers, sorted by IRI
    headings: dict[str, Heading]
    works: list[Work]  # the listed papers, then the outside works, each part sorted by IRI
    citing: np.ndarray  # citation k: works[citing[k]] cites works[cited[k]]
    cited: np.ndarray

    @cached_property
    def references(self) -> dict[str, set[str]]:
        """Listed paper -> works it cites (for the exports' prose; the clustering reads the arrays)."""
        found: dict[str, set[str]] = {}
        works = self.works
        for a, b in zip(self.citing.tolist(), self.cited.tolist(), strict=True):
            if a < len(self.papers):
                found.setdefault(works[a].iri, set()).add(works[b].iri)
        return found


class Agreement(TypedDict):
    """How a clustering agrees with the list's headings (leaf and top level): NMI and ARI, over `papers`."""

    leaf: dict[str, float]
    top: dict[str, float]
    papers: int


@dataclass
class Cluster:
    id: str  # "1", "2", ... by size, or "unconnected"
    members: list[str]  # paper IRIs, by year then influence
    label: str = ""
    terms: list[str] = field(default_factory=list)
    headings: list[tuple[str, int]] = field(default_factory=list)  # leaf heading IRI, members under it
    top_headings: list[tuple[str, int]] = field(default_factory=list)
    builds_on: list[tuple[str, int]] = field(default_factory=list)  # outside work IRI, members citing it
    elsewhere: list[str] = field(default_factory=list)  # members not under the dominant heading

    @property
    def size(self) -> int:
        return len(self.members)

    @property
    def dominant_heading(self) -> str | None:
        return self.headings[0][0] if self.headings else None


@dataclass
class Clustering:
    method: str
    resolution: float
    seed: int
    data: CitationData
    clusters: list[Cluster]  # the unconnected group, when there is one, comes last
    similarity: SimilarityGraph  # the graph the clusters come from

    @property
    def edges(self) -> SimilarityGraph:
        """The similarity graph's pairs, iterated as (paper, paper, weight) by the exports that list them;
        its length costs nothing (a 20,000-paper graph has millions of pairs)."""
        return self.similarity

    @property
    def parameters(self) -> dict:
        """What the run used; a list of more than WHOLE_GRAPH_UP_TO papers also says how its graph and
        Leiden's iterations were cut (`links_kept`, `leiden`)."""
        found = {"graph": self.method, "objective": "modularity", "resolution": self.resolution, "seed": self.seed}
        keep = links_kept(len(self.data.papers))
        if keep is not None:
            found |= {"strongest_links": keep, "iterations": LARGE_LIST_ITERATIONS}
        return found

    def agreement(self) -> Agreement:
        """NMI and ARI of the clusters against the leaf and top-level headings (connected papers only)."""
        papers, headings = self.data.papers, self.data.headings
        assigned = [
            (c.id, papers[iri].headings[0])
            for c in self.clusters
            if c.id != UNCONNECTED
            for iri in c.members
            if papers[iri].headings
        ]
        found = [cid for cid, _ in assigned]
        leaf = [heading for _, heading in assigned]
        top = [headings[h].top for h in leaf]
        return {
            "leaf": {"nmi": nmi(found, leaf), "ari": ari(found, leaf)},
            "top": {"nmi": nmi(found, top), "ari": ari(found, top)},
            "papers": len(found),
        }


# ---------------------------------------------------------------------------
# Reading the model
# ---------------------------------------------------------------------------


def citation_data(model: GraphModel) -> CitationData:
    """Listed papers with their headings and texts, and every citation edge as integer arrays."""
    import numpy as np

    listed = [w for w in model.works.values() if w.listed]
    works = listed + [w for w in model.works.values() if not w.listed]
    index = {w.iri: k for k, w in enumerate(works)}
    citations, count = model.citations, len(model.citations)
    citing = np.fromiter(map(index.__getitem__, map(attrgetter("citing"), citations)), np.int64, count)
    cited = np.fromiter(map(index.__getitem__, map(attrgetter("cited"), citations)), np.int64, count)
    return CitationData({w.iri: w for w in listed}, model.headings, works, citing, cited)


# ---------------------------------------------------------------------------
# Similarity graphs
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SimilarityGraph:
    """Weighted pairs of listed papers as arrays: pair k joins papers[first[k]] and papers[second[k]]
    (first < second, pairs in (first, second) order). A 20,000-paper hybrid graph has millions of
    pairs, too many for Python tuples."""

    papers: list[str]
    first: np.ndarray
    second: np.ndarray
    weight: np.ndarray

    def __len__(self) -> int:
        return len(self.weight)

    def __iter__(self) -> Iterator[tuple[str, str, float]]:
        papers = self.papers
        for a, b, w in zip(self.first.tolist(), self.second.tolist(), self.weight.tolist(), strict=True):
            yield papers[a], papers[b], w


def links_kept(papers: int) -> int | None:
    """How many of its strongest links each paper keeps: all of them in a list of up to WHOLE_GRAPH_UP_TO
    papers, else STRONGEST_LINKS.

    Co-citation and coupling link a paper to hundreds of others (a 20,000-paper hybrid graph
    has 3.6 million pairs) and Leiden's time and memory grow with the pairs; a pair both papers
    rank below their STRONGEST_LINKS strongest adds little to a community. Keeping each paper's
    k strongest links (a k-nearest-neighbour graph, the usual step before community detection on
    similarity graphs) cuts that graph to about a tenth. Small lists keep every link: their
    graphs are small anyway and nearly complete, where Leiden's result turns on the weakest pairs.
    """
    return None if papers <= WHOLE_GRAPH_UP_TO else STRONGEST_LINKS


def direct_links(data: CitationData) -> sparse.csr_matrix:
    """Weight 1 for each pair of listed papers where one cites the other, both ways round (a paper citing
    itself makes no pair)."""
    import numpy as np
    from scipy import sparse

    size = len(data.papers)
    inside = (data.citing < size) & (data.cited < size) & (data.citing != data.cited)
    a, b = data.citing[inside], data.cited[inside]
    links = sparse.csr_matrix((np.ones(2 * len(a)), (np.concatenate([a, b]), np.concatenate([b, a]))), (size, size))
    links.data[:] = 1.0  # a pair citing both ways is still one link
    return links


@dataclass(frozen=True)
class SharedNeighbours:
    """Listed papers against the works they share (citers for co-citation, references for coupling): the
    rows of a block of papers times the columns of all give that block's shared counts.

    A work shared by more than HUB_LIMIT listed papers (a landmark everyone cites) adds to no
    pair: like a stop word it joins everything to everything, and its pairs grow with the
    square of its degree. It still counts in each paper's degree, the cosine's denominator.
    """

    rows: sparse.csr_matrix  # paper x work
    columns: sparse.csr_matrix  # work x paper
    degree: np.ndarray

    @classmethod
    def of(cls, size: int, papers: np.ndarray, neighbours: np.ndarray, works: int) -> SharedNeighbours:
        """From (paper, neighbour) pairs of work indexes; only the first `size` works are papers."""
        import numpy as np
        from scipy import sparse

        listed = papers < size
        papers, neighbours = papers[listed], neighbours[listed]
        kept = np.bincount(neighbours, minlength=works)[neighbours] <= HUB_LIMIT
        shares = sparse.csr_matrix(
            (np.ones(np.count_nonzero(kept)), (papers[kept], neighbours[kept])), shape=(size, works)
        )
        return cls(shares, shares.T.tocsr(), np.bincount(papers, minlength=size))

    def cosine(self, start: int, stop: int) -> sparse.csr_matrix:
        """Salton's cosine of papers start..stop with every paper (themselves included)."""
        import numpy as np

        product = (self.rows[start:stop] @ self.columns).tocsr()
        rows = np.repeat(np.arange(start, stop), np.diff(product.indptr))
        product.data = product.data / np.sqrt(self.degree[rows] * self.degree[product.indices])
        return product


def similarity(data: CitationData, method: str) -> SimilarityGraph:
    """Edge weights over listed papers for one method, as sparse pairs (first < second) in pair order.

    Computed BLOCK_ROWS papers at a time, each block's rows whole, so no product of all papers
    with all papers is held, and each paper's strongest links (`links_kept`) are chosen from
    its whole row: a pair stays when either paper keeps it. Ties go to the lower index.
    """
    if method not in METHODS:
        raise ClusterError(f"unknown method {method!r}: expected one of {', '.join(METHODS)}")
    import numpy as np

    size, works = len(data.papers), len(data.works)
    direct = direct_links(data) if method in ("direct", "hybrid") else None
    shared = []
    if method in ("cocitation", "hybrid"):
        shared.append(SharedNeighbours.of(size, data.cited, data.citing, works))
    if method in ("coupling", "hybrid"):
        shared.append(SharedNeighbours.of(size, data.citing, data.cited, works))
    parts = len(shared) + (direct is not None)
    keep = links_kept(size)
    found = [(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))]
    for start in range(0, size, BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, size)
        head, *more = ([direct[start:stop]] if direct is not None else []) + [s.cosine(start, stop) for s in shared]
        block = head / parts
        for part in more:
            block = block + part / parts
        rows = np.repeat(np.arange(start, stop), np.diff(block.indptr))
        columns, weights = block.indices, np.round(block.data, 12)
        if keep is None:
            chosen = np.flatnonzero(columns > rows)  # each pair once, from its first paper's row
        else:
            chosen = strongest(rows, columns, weights, keep)
        found.append((rows[chosen], columns[chosen], weights[chosen]))
    first, second, weight = (np.concatenate(part) for part in zip(*found, strict=True))
    first, second = np.minimum(first, second), np.maximum(first, second)
    pairs, where = np.unique(first * size + second, return_index=True)  # a pair both papers keep, once
    first, second = np.divmod(pairs, size)
    return SimilarityGraph(list(data.papers), first, second, weight[where])


def strongest(rows: np.ndarray, columns: np.ndarray, weights: np.ndarray, keep: int) -> np.ndarray:
    """Positions of the `keep` heaviest entries of each row other than the row's own column (rows
    ascending, weights in [0, 1] to 12 digits, rows below 9 million); equal weights go to the lower column.

    Only entries at or above their row's mean weight are sorted when the row has `keep` of them
    (its `keep` heaviest are among them then): most of a row's links are weak, so that sorts a
    fraction of them.
    """
    import numpy as np

    places = np.flatnonzero(columns != rows)
    row, weight = rows[places], weights[places]
    count = np.bincount(row)
    mean = np.bincount(row, weights=weight) / np.maximum(count, 1)
    heavy = weight >= mean[row]
    enough = np.bincount(row[heavy], minlength=len(count)) >= keep
    places = places[heavy | ~enough[row]]
    row = rows[places]
    lightness = WEIGHT_STEPS - np.rint(weights[places] * WEIGHT_STEPS).astype(np.int64)
    order = places[np.lexsort((columns[places], row * (WEIGHT_STEPS + 1) + lightness))]
    starts = np.concatenate([[0], np.cumsum(np.bincount(row))])
    return order[np.arange(len(order)) - starts[rows[order]] < keep]


# ---------------------------------------------------------------------------
# Communities
# ---------------------------------------------------------------------------


def import_igraph():
    """igraph without its plotting. `import igraph` imports matplotlib.pyplot (0.4 s of its 0.5 s) for
    plots nothing here draws; while igraph loads, matplotlib reads as not installed, so igraph keeps
    stubs for its plotting, and matplotlib imports as usual afterwards."""
    if "igraph" in sys.modules or "matplotlib.pyplot" in sys.modules:
        import igraph

        return igraph
    matplotlib = sys.modules.get("matplotlib")
    sys.modules["matplotlib"] = None  # type: ignore[assignment]  # Python's mark of a module that cannot load
    try:
        import igraph
    finally:
        if matplotlib is None:
            del sys.modules["matplotlib"]
        else:
            sys.modules["matplotlib"] = matplotlib
    return igraph


def leiden(graph: SimilarityGraph, resolution: float, seed: int) -> list[list[str]]:
    """Communities of the linked papers by igraph's Leiden (modularity), with a seeded generator.
    Vertices are the linked papers in IRI order, edges in pair order: the same input, the same run.

    Iterated until stable on a list of up to WHOLE_GRAPH_UP_TO papers; a larger list's graph gets
    LARGE_LIST_ITERATIONS, igraph's default: at 100,000 papers iterating until stable took 2.5 times
    as long (8.5 s of CPU against 3.4 s) for the same modularity and NMI 0.9995 between the two.
    """
    import numpy as np

    igraph = import_igraph()
    ends = np.concatenate([graph.first, graph.second])
    linked = np.flatnonzero(np.bincount(ends, minlength=len(graph.papers)))
    if not len(linked):
        return []
    vertex = np.zeros(len(graph.papers), dtype=np.int64)
    vertex[linked] = np.arange(len(linked))
    # igraph reads tuples from a generator fastest: a list of lists takes twice as long, and so does a
    # memoryview, which igraph's abi3 build reads through a list of lists
    pairs = zip(vertex[graph.first].tolist(), vertex[graph.second].tolist(), strict=True)
    g = igraph.Graph(n=len(linked), edges=pairs, edge_attrs={"weight": graph.weight.tolist()})
    iterations = -1 if len(graph.papers) <= WHOLE_GRAPH_UP_TO else LARGE_LIST_ITERATIONS
    igraph.set_random_number_generator(random.Random(seed))
    try:
        found = g.community_leiden(
            objective_function="modularity", weights="weight", resolution=resolution, n_iterations=iterations
        )
    finally:
        igraph.set_random_number_generator(random)
    groups: dict[int, list[str]] = {}
    for node, community in zip(linked.tolist(), found.membership, strict=True):
        groups.setdefault(community, []).append(graph.papers[node])
    return list(groups.values())


def cluster_papers(
    source: KnowledgeGraph | GraphModel,
    method: str = DEFAULT_METHOD,
    resolution: float = DEFAULT_RESOLUTION,
    seed: int = SEED,
) -> Clustering:
    """Cluster the listed papers of a build (its model, or its graph read into one): similarity graph, Leiden,
    labels. Reads the model only; `cluster_quads` turns the result into RDF."""
    if not (isinstance(resolution, (int, float)) and resolution > 0 and math.isfinite(resolution)):
        raise ClusterError(f"resolution must be a positive number (e.g. 1.0), got {resolution!r}")
    data = citation_data(as_model(source))
    weights = similarity(data, method)
    groups = leiden(weights, float(resolution), seed)
    groups.sort(key=lambda members: (-len(members), min(members)))
    clusters = [Cluster(str(n), members) for n, members in enumerate(groups, 1)]
    linked = {iri for members in groups for iri in members}
    alone = [iri for iri in data.papers if iri not in linked]
    if alone:
        clusters.append(Cluster(UNCONNECTED, alone))
    for cluster, bases in zip(clusters, outside_bases(clusters, data), strict=True):
        describe(cluster, data)
        cluster.builds_on = bases
    label_clusters(clusters, data)
    return Clustering(method, float(resolution), seed, data, clusters, weights)


def describe(cluster: Cluster, data: CitationData) -> None:
    """Order members, count their headings, find who sits elsewhere."""
    papers = data.papers
    cluster.members.sort(
        key=lambda iri: (
            papers[iri].year or 9999,
            -(papers[iri].influential_count or 0),
            -(papers[iri].citation_count or 0),
            papers[iri].title,
            iri,
        )
    )
    leaf = Counter(h for iri in cluster.members for h in papers[iri].headings)
    top = Counter(t for iri in cluster.members for t in {data.headings[h].top for h in papers[iri].headings})
    position = lambda item: (-item[1], data.headings[item[0]].position)  # noqa: E731 - a sort key
    cluster.headings = sorted(leaf.items(), key=position)
    cluster.top_headings = sorted(top.items(), key=position)
    dominant = cluster.dominant_heading
    if cluster.id != UNCONNECTED and dominant:
        cluster.elsewhere = [iri for iri in cluster.members if dominant not in papers[iri].headings]


def outside_bases(clusters: list[Cluster], data: CitationData) -> list[list[tuple[str, int]]]:
    """For each cluster, the BUILDS_ON outside works most of its members cite, with how many cite each
    (ties: the more cited work, then by title and IRI). Counted for every cluster at once, on the arrays."""
    import numpy as np

    size, works = len(data.papers), data.works
    cluster_of = np.empty(size, dtype=np.int64)
    index = {iri: k for k, iri in enumerate(data.papers)}
    for n, cluster in enumerate(clusters):
        cluster_of[[index[iri] for iri in cluster.members]] = n
    outward = (data.citing < size) & (data.cited >= size)
    pairs, cites = np.unique(cluster_of[data.citing[outward]] * len(works) + data.cited[outward], return_counts=True)
    group, work = np.divmod(pairs, len(works))
    by_title = sorted(range(size, len(works)), key=lambda k: works[k].title)  # IRI order within a title
    title_rank = np.zeros(len(works), dtype=np.int64)
    title_rank[by_title] = np.arange(len(by_title))
    counts = np.array([w.citation_count or 0 for w in works], dtype=np.int64)
    order = np.lexsort((title_rank[work], -counts[work], -cites, group))
    group, work, cites = group[order], work[order], cites[order]
    starts = np.searchsorted(group, np.arange(len(clusters)))
    ends = np.minimum(np.searchsorted(group, np.arange(len(clusters)), side="right"), starts + BUILDS_ON)
    found, counted = work.tolist(), cites.tolist()
    return [
        [(works[w].iri, n) for w, n in zip(found[a:b], counted[a:b], strict=True)]
        for a, b in zip(starts.tolist(), ends.tolist(), strict=True)
    ]


def label_clusters(clusters: list[Cluster], data: CitationData) -> None:
    """Name each cluster from what its members share, short enough for a section title; keep its
    distinctive terms (c-TF-IDF, shared by two members or more) for a secondary line."""
    texts = [[data.papers[iri].text for iri in c.members] for c in clusters]
    for cluster, found in zip(clusters, distinctive_terms(texts), strict=True):
        cluster.terms = found
        cluster.label = "Unconnected" if cluster.id == UNCONNECTED else cluster_name(cluster, data)
    named = Counter(c.label for c in clusters)
    for cluster in clusters:  # two clusters under one name: each adds the term that sets it apart
        if named[cluster.label] > 1 and cluster.id != UNCONNECTED:
            words = {stem(w) for w in tokens(cluster.label)}
            term = next((t for t in cluster.terms if stem(t) not in words), None)
            cluster.label += f" ({term})" if term else f" ({cluster.id})"


def cluster_name(cluster: Cluster, data: CitationData) -> str:
    """The list headings most members sit under, as a reader would say them ("Pruning and knowledge
    distillation"): the largest leaf heading, with the next one when the first holds less than half
    of the members or the next holds a third; else the top-level heading that holds half; else the
    two most distinctive terms."""
    leaf = [(data.headings[h].label, n) for h, n in cluster.headings]
    names: list[str] = []
    held = 0
    for label, n in leaf[:NAME_HEADINGS]:
        if names and held * 2 >= cluster.size and n * 3 < cluster.size:
            break
        names.append(label)
        held += n
    if held * 2 < cluster.size:
        top = [(data.headings[h].label, n) for h, n in cluster.top_headings]
        names = [top[0][0]] if top and top[0][1] * 2 >= cluster.size else []
    if not names:
        return sentence_case("Work on " + " and ".join(cluster.terms[:2])) if cluster.terms else f"Cluster {cluster.id}"
    return sentence_case(" and ".join(names))


def sentence_case(text: str) -> str:
    """`Expert Offloading and Knowledge Distillation` -> `Expert offloading and knowledge distillation`;
    acronyms and names (`MoE`, `LLMs`, `SOTA`) keep their capitals."""
    words = text.split(" ")
    kept = [w if i == 0 or any(c.isupper() for c in w[1:]) else w.lower() for i, w in enumerate(words)]
    return (kept[0][:1].upper() + kept[0][1:] if kept else "") + "".join(" " + w for w in kept[1:])


def tokens(text: str) -> list[str]:
    """Words of a text, hyphenated compounds split, stop words and one-letter words left out."""
    return list(filterfalse(STOPWORDS.__contains__, _WORD.findall(text.lower())))


def stem(word: str) -> str:
    """A plural and its singular count as one term ("experts", "expert")."""
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "as")) else word


def distinctive_terms(classes: list[list[str]]) -> list[list[str]]:
    """The KEPT_TERMS most distinctive terms of each class of texts, by c-TF-IDF (Grootendorst 2022):
    tf(t,c)/|c| * log(1 + A / f(t)), A = mean words per class.

    Terms found in more than a third of all papers ("mixture-of-experts" in a list about
    MoE) say nothing about one cluster and are left out, as a vectorizer's max_df would;
    a class of three papers or more keeps only terms two of them share, when it has any.
    Each text is split into words once, and each distinct word stemmed once.
    """
    words = [[tokens(text) for text in texts] for texts in classes]
    forms = Counter(chain.from_iterable(chain.from_iterable(words)))
    stems = {w: stem(w) for w in forms}
    documents = [[set(map(stems.__getitem__, text)) for text in texts] for texts in words]
    spread = Counter(chain.from_iterable(chain.from_iterable(documents)))
    common = {t for t, n in spread.items() if n > max(2, sum(map(len, documents)) / 3)}
    shown = display_forms(forms)
    counts = [Counter(map(stems.__getitem__, chain.from_iterable(texts))) for texts in words]
    for c in counts:
        for t in common & c.keys():
            del c[t]
    overall: Counter[str] = Counter()
    for c in counts:
        overall.update(c)
    average = sum(overall.values()) / max(len(counts), 1)
    ranked = []
    for c, texts in zip(counts, documents, strict=True):
        size = sum(c.values()) or 1
        scores = {t: n / size * math.log(1 + average / overall[t]) for t, n in c.items()}
        terms = list(scores)
        if len(texts) >= 3:
            shared = Counter(chain.from_iterable(texts))
            terms = [t for t in terms if shared[t] >= 2] or terms
        best = heapq.nsmallest(KEPT_TERMS, terms, key=lambda t: (-round(scores[t], 12), t))
        ranked.append([shown[t] for t in best])
    return ranked


def display_forms(forms: Counter[str]) -> dict[str, str]:
    """Each term's most frequent spelling (ties: alphabetical), to show instead of its stem."""
    best: dict[str, str] = {}
    for word, _ in sorted(forms.items(), key=lambda item: (-item[1], item[0])):
        best.setdefault(stem(word), word)
    return best


# ---------------------------------------------------------------------------
# Agreement with the headings
# ---------------------------------------------------------------------------


def entropy(counts) -> float:
    total = sum(counts)
    return -sum(n / total * math.log(n / total) for n in counts if n)


def nmi(a: list, b: list) -> float:
    """Normalized mutual information, arithmetic-mean normalization (as scikit-learn's default)."""
    if not a:
        return 0.0
    joint = Counter(zip(a, b, strict=True))
    ha, hb = entropy(Counter(a).values()), entropy(Counter(b).values())
    if ha == 0 and hb == 0:
        return 1.0
    mutual = ha + hb - entropy(joint.values())
    return round(max(mutual, 0.0) / ((ha + hb) / 2), 6) if ha + hb else 0.0


def ari(a: list, b: list) -> float:
    """Adjusted Rand index (Hubert and Arabie 1985)."""
    n = len(a)
    if n < 2:
        return 1.0
    both, rows, cols = (pairs_within(Counter(x).values()) for x in (list(zip(a, b, strict=True)), a, b))
    expected = rows * cols / (n * (n - 1) / 2)
    most = (rows + cols) / 2
    if most == expected:
        return 1.0
    return round((both - expected) / (most - expected), 6)


def pairs_within(group_sizes) -> float:
    return sum(k * (k - 1) / 2 for k in group_sizes)


# ---------------------------------------------------------------------------
# Back into the graph
# ---------------------------------------------------------------------------


def clustering_iri(clustering: Clustering) -> str:
    return f"{ID}clustering/{clustering.method}-resolution-{clustering.resolution:g}-seed-{clustering.seed}"


def cluster_quads(clustering: Clustering) -> Iterator[Statement]:
    """akg:Cluster nodes with members, label, size, method and parameters; the run as a prov:Activity."""
    g = CLUSTER_GRAPH
    run = clustering_iri(clustering)
    parameters = Literal(json.dumps(clustering.parameters, sort_keys=True))
    yield (run, rdf.type, prov.Activity, g)
    yield (
        run,
        rdfs.label,
        Literal(
            f"Leiden clustering of the {clustering.method} citation graph "
            f"(resolution {clustering.resolution:g}, seed {clustering.seed})"
        ),
        g,
    )
    for source in (LIST_GRAPH, S2_GRAPH, SNAPSHOT_GRAPH):
        yield (run, prov.used, source, g)
    for cluster in clustering.clusters:
        node = f"{run}/cluster/{cluster.id}"
        yield (node, rdf.type, akg.Cluster, g)
        if cluster.id == UNCONNECTED:
            yield (node, rdf.type, akg.UnconnectedGroup, g)
        yield (node, akg.clusterLabel, Literal(cluster.label), g)
        yield (node, akg.clusterSize, Literal(str(cluster.size), xsd.integer), g)
        yield (node, akg.clusterMethod, Literal("leiden"), g)
        yield (node, akg.clusterParameters, parameters, g)
        yield (node, prov.wasGeneratedBy, run, g)
        if cluster.dominant_heading and cluster.id != UNCONNECTED:
            yield (node, dcterms.subject, cluster.dominant_heading, g)
        for member in cluster.members:
            yield (node, akg.clusterMember, member, g)
            yield (member, akg.memberOf, node, g)
    yield (CLUSTER_GRAPH, rdf.type, prov.Entity, PROVENANCE_GRAPH)
    yield (CLUSTER_GRAPH, prov.wasGeneratedBy, run, PROVENANCE_GRAPH)


def cluster_records(clustering: Clustering) -> list[ClusterRecord]:
    """The clusters as the model reads them back from `cluster_quads`, largest first."""
    run = clustering_iri(clustering)
    records = [ClusterRecord(f"{run}/cluster/{c.id}", c.label, set(c.members)) for c in clustering.clusters]
    return sorted(records, key=lambda c: (-len(c.members), c.label, c.iri))


def add_clusters(graph: KnowledgeGraph, model: GraphModel) -> Clustering:
    """Build step: the default clustering of the build's model goes into the clusters graph (before
    validation), and to the model; the build's exports reuse it instead of clustering again."""
    clustering = cluster_papers(model)
    graph.store.extend([to_quad(statement) for statement in cluster_quads(clustering)])
    model.clusters = cluster_records(clustering)
    return clustering
