"""The read model of a build: works, headings, listings, citations and clusters as Python records.

Every view (page, exports, clusters, curator tools, the published site) reads a build
through this one model, made once from a KnowledgeGraph: the graph a build just made,
or a finished build opened with KnowledgeGraph.open. It is read predicate by predicate
from the store's quads (no SPARQL), and the rules for a work's title, year and venue
live here only:
  title  the real title: an outside source's (akg:sourceTitle, which dcterms:title repeats), else
         dcterms:title, else the list's spelling (akg:listedTitle, kept beside it in any case).
  year   the earliest year a source gives (dcterms:issued), else the year the list prints.
  venue  where the paper was published (akg:publishedVenue), else the venue the list prints.
Where sources disagree on a value the alphabetically first is taken, so the choice is stable.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox

from kg.statements import StatementIndex
from kg.store import KnowledgeGraph
from kg.vocab import GRAPH_IRIS, TERMS

akg, cito, dcterms, fabio, foaf, rdf, skos = (
    TERMS[name] for name in ("akg", "cito", "dcterms", "fabio", "foaf", "rdf", "skos")
)
LIST_GRAPH = GRAPH_IRIS["list"]


@dataclass
class Heading:
    """A heading of the list's taxonomy."""

    iri: str
    label: str
    position: int
    parent: str | None
    top: str  # IRI of its top-level heading (itself when it is one)
    line: int | None


@dataclass
class Work:
    """A paper in the graph: one the list names (listed) or one reached through citations."""

    iri: str
    listed: bool = False
    title: str = ""  # the real title (see the module's rules)
    listed_title: str | None = None  # the list's spelling
    source_title: str | None = None  # an outside source's spelling of a listed paper
    issued: str | None = None  # earliest date a source gives: 2024, 2024-02, 2024-02-10
    listed_year: int | None = None
    listed_month: int | None = None
    published_year: int | None = None  # the venue's year where a source gives it apart
    published_venue: str | None = None
    listed_venue: str | None = None
    abstract: str | None = None
    tldr: str | None = None
    citation_count: int | None = None  # Semantic Scholar's counts
    influential_count: int | None = None
    s2_id: str | None = None
    arxiv: str | None = None
    doi: str | None = None
    identifiers: list[str] = field(default_factory=list)  # dcterms:identifier, sorted
    listed_identified: bool = False  # the list's own link carries an identifier
    pages: list[str] = field(default_factory=list)  # foaf:page, sorted
    listed_pages: list[str] = field(default_factory=list)  # the pages the list gives, sorted
    code: list[str] = field(default_factory=list)
    types: set[str] = field(default_factory=set)  # Semantic Scholar's publication types
    authors: list[str] = field(default_factory=list)  # byline order
    creators: list[str] = field(default_factory=list)  # the authors' IRIs, sorted
    first_authors: list[str] = field(default_factory=list)  # IRIs of the author in first position (one, as a rule)
    headings: list[str] = field(default_factory=list)  # heading IRIs, in list order

    @property
    def year(self) -> int | None:
        """The earliest year a source gives, else the year the list prints."""
        return int(self.issued[:4]) if self.issued and self.issued[:4].isdigit() else self.listed_year

    @property
    def venue(self) -> str | None:
        """Where it was published, else the venue the list prints."""
        return self.published_venue or self.listed_venue

    @property
    def resolved(self) -> bool:
        """An outside source (Semantic Scholar or the snapshot) knows the work."""
        return bool(self.s2_id or self.source_title)

    @property
    def listed_link(self) -> str | None:
        """The first link the list gives for it."""
        return self.listed_pages[0] if self.listed_pages else None

    @property
    def text(self) -> str:
        """What the work says about its topic: title, abstract and TL;DR."""
        return " ".join(part for part in (self.title, self.abstract, self.tldr) if part)


@dataclass
class Listing:
    """One line of the list naming a paper under a heading."""

    iri: str
    paper: str
    heading: str
    printed: str
    line: int
    tag: str | None


@dataclass
class Citation:
    citing: str
    cited: str
    influential: bool = False


@dataclass
class ClusterRecord:
    """A related-work cluster a build stored (akg:Cluster)."""

    iri: str
    label: str
    members: set[str]


@dataclass
class TechReport:
    """What a model-table row says of its report: the model's affiliation and release month."""

    work: str
    affiliation: str | None
    release_month: str | None


@dataclass
class GraphModel:
    """A build read once: the list's title, taxonomy, works, listings, citations and clusters."""

    title: str | None
    headings: dict[str, Heading]  # in list order
    works: dict[str, Work]  # by IRI, sorted
    listings: list[Listing]  # by line
    citations: list[Citation]  # distinct (citing, cited), sorted; a work citing itself left out
    clusters: list[ClusterRecord]
    tech_reports: list[TechReport]
    list_sha256: set[str]
    filed_under: set[str]  # headings something (a paper, a model-table row) is listed under
    person_names: dict[str, str] = field(default_factory=dict)  # person IRI -> name (the first, sorted)

    @property
    def listed(self) -> list[Work]:
        return [w for w in self.works.values() if w.listed]

    def references(self) -> dict[str, set[str]]:
        """Work -> works it cites."""
        found: dict[str, set[str]] = defaultdict(set)
        for c in self.citations:
            found[c.citing].add(c.cited)
        return found

    def citers(self) -> dict[str, set[str]]:
        """Work -> works citing it."""
        found: dict[str, set[str]] = defaultdict(set)
        for c in self.citations:
            found[c.cited].add(c.citing)
        return found


def read_model(source: KnowledgeGraph | StatementIndex) -> GraphModel:
    """The model of a build's graph, read predicate by predicate: from the statements a build has just
    made, or from the store of a finished build."""
    read = StoreValues(source.store) if isinstance(source, KnowledgeGraph) else source
    headings = read_headings(read)
    listed = read.subjects(rdf.type, akg.ListedPaper)
    expressions = read.subjects(rdf.type, fabio.Expression)
    cites = {(s, o) for s, o in read.pairs(cito.cites) if s != o}
    iris = sorted(listed | expressions | {iri for pair in cites for iri in pair})
    works = {iri: Work(iri, listed=iri in listed) for iri in iris}
    names = first_of(read, foaf.name)
    fill_works(works, read, headings)
    read_authors(works, read, names)
    influential = read_influential(read)
    citations = [Citation(a, b, (a, b) in influential) for a, b in sorted(cites)]
    titles = values_of(read, dcterms.title)
    list_titles = sorted(t for iri in read.subjects(rdf.type, akg.PaperList) for t in titles.get(iri, ()))
    return GraphModel(
        list_titles[0] if list_titles else None,
        headings,
        works,
        read_listings(read),
        citations,
        read_clusters(read),
        read_tech_reports(read),
        {v for values in values_of(read, akg.sha256).values() for v in values},
        {heading for _, heading in read.pairs(akg.listedUnder)},
        names,
    )


class StoreValues:
    """The store's values by predicate (lexical forms), each predicate read from the store once: the
    same look-ups as a StatementIndex, on a finished build."""

    def __init__(self, store: ox.Store):
        self.store = store
        self.cache: dict[tuple[str, str | None], list[tuple[str, str]]] = {}

    def pairs(self, predicate: str, graph: str | None = None) -> list[tuple[str, str]]:
        """(subject, value) of every quad with this predicate (in this graph). A build holds no quoted
        triples (RDF-star), so every term has a value."""
        key = (predicate, graph)
        if key not in self.cache:
            self.cache[key] = [
                (q.subject.value, q.object.value)  # type: ignore[union-attr]
                for q in self.store.quads_for_pattern(
                    None, ox.NamedNode(predicate), None, ox.NamedNode(graph) if graph else None
                )
            ]
        return self.cache[key]

    def subjects(self, predicate: str, value: str) -> set[str]:
        return {
            q.subject.value  # type: ignore[union-attr]
            for q in self.store.quads_for_pattern(None, ox.NamedNode(predicate), ox.NamedNode(value), None)
        }


Values = StoreValues | StatementIndex


def values_of(read: Values, predicate: str, graph: str | None = None) -> dict[str, list[str]]:
    """Subject -> its distinct values, sorted."""
    found: dict[str, set[str]] = defaultdict(set)
    for s, o in read.pairs(predicate, graph):
        found[s].add(o)
    return {s: sorted(v) if len(v) > 1 else list(v) for s, v in found.items()}


def first_of(read: Values, predicate: str) -> dict[str, str]:
    """Subject -> its alphabetically first value."""
    found: dict[str, str] = {}
    for s, o in read.pairs(predicate):
        if s not in found or o < found[s]:
            found[s] = o
    return found


def read_headings(read: Values) -> dict[str, Heading]:
    concepts = read.subjects(rdf.type, skos.Concept)
    labels, positions = first_of(read, skos.prefLabel), values_of(read, akg.position)
    parents, lines = first_of(read, skos.broader), values_of(read, akg.sourceLine)
    found = []
    for iri in concepts:
        if iri in labels and iri in positions:
            line = min(int(v) for v in lines[iri]) if iri in lines else None
            found.append(Heading(iri, labels[iri], min(int(v) for v in positions[iri]), parents.get(iri), iri, line))
    found.sort(key=lambda h: (h.position, h.iri))
    headings = {h.iri: h for h in found}
    for heading in found:
        node, seen = heading, {heading.iri}
        while node.parent in headings and node.parent not in seen:
            seen.add(node.parent)
            node = headings[node.parent]
        heading.top = node.iri
    return headings


def fill_works(works: dict[str, Work], read: Values, headings: dict[str, Heading]) -> None:
    """Each work's facts: titles, dates, venues, texts, counts, identifiers, links, authors, headings."""

    def each(predicate: str, graph: str | None = None):
        for iri, values in values_of(read, predicate, graph).items():
            if iri in works:
                yield works[iri], values

    def first(predicate: str):
        for iri, value in first_of(read, predicate).items():
            if iri in works:
                yield works[iri], value

    for work, value in first(akg.sourceTitle):
        work.source_title = work.title = value
    for work, value in first(dcterms.title):
        work.title = work.title or value
    for work, value in first(akg.listedTitle):
        work.listed_title = value
        work.title = work.title or value
    for work, values in each(dcterms.issued):  # the earliest year, as precisely as a source gives it
        work.issued = min(values, key=lambda v: (v[:4], -len(v)))
    for work, values in each(akg.listedYear):
        work.listed_year = min(int(v[:4]) for v in values)
    for work, value in first(akg.listedMonth):
        work.listed_month = int(value)
    for work, value in first(akg.publishedYear):
        work.published_year = int(value[:4])
    for prop, attribute in (
        (akg.publishedVenue, "published_venue"),
        (akg.listedVenue, "listed_venue"),
        (dcterms.abstract, "abstract"),
        (akg.tldr, "tldr"),
        (akg.s2PaperId, "s2_id"),
        (akg.arxiv, "arxiv"),
        (akg.doi, "doi"),
    ):
        for work, value in first(prop):
            setattr(work, attribute, value)
    for prop, attribute in ((akg.citationCount, "citation_count"), (akg.influentialCitationCount, "influential_count")):
        for work, values in each(prop):
            setattr(work, attribute, max(int(v) for v in values))
    for work, values in each(dcterms.identifier):
        work.identifiers = values
    for work, _ in each(dcterms.identifier, LIST_GRAPH):
        work.listed_identified = True
    for work, values in each(foaf.page):
        work.pages = values
    for work, values in each(foaf.page, LIST_GRAPH):
        work.listed_pages = values
    for work, values in each(akg.codeRepository):
        work.code = values
    for work, values in each(akg.publicationType):
        work.types = set(values)
    for work, values in each(akg.listedUnder):
        work.headings = sorted((h for h in values if h in headings), key=lambda h: headings[h].position)


def read_authors(works: dict[str, Work], read: Values, names: dict[str, str]) -> None:
    """Author names in byline order (a person known under two names gets the first, sorted)."""
    positions, people = first_of(read, akg.position), first_of(read, akg.author)
    authorships_of = values_of(read, akg.authorship)
    bylines: dict[str, dict[int, str]] = defaultdict(dict)
    for iri, authorships in authorships_of.items():
        for authorship in authorships:
            name = names.get(people.get(authorship, ""))
            if iri in works and authorship in positions and name is not None:
                n = int(positions[authorship])
                bylines[iri][n] = min(bylines[iri].get(n, name), name)
    for iri, byline in bylines.items():
        works[iri].authors = [byline[n] for n in sorted(byline)]
    for iri, creators in values_of(read, dcterms.creator).items():
        if iri in works:
            works[iri].creators = creators
    for iri, authorships in authorships_of.items():
        firsts = sorted(people[a] for a in authorships if a in people and positions.get(a) == "1")
        if iri in works:
            works[iri].first_authors = firsts


def read_influential(read: Values) -> set[tuple[str, str]]:
    citing, cited = first_of(read, cito.hasCitingEntity), first_of(read, cito.hasCitedEntity)
    return {
        (citing[c], cited[c])
        for c, values in values_of(read, akg.isInfluential).items()
        if "true" in values and c in citing and c in cited
    }


def read_listings(read: Values) -> list[Listing]:
    papers, under, printed = (
        first_of(read, akg.listedPaper),
        first_of(read, akg.underHeading),
        first_of(read, akg.printedTitle),
    )
    lines, tags = first_of(read, akg.sourceLine), first_of(read, akg.venueTag)
    listings = [
        Listing(iri, papers[iri], under[iri], printed[iri], int(lines[iri]), tags.get(iri))
        for iri in read.subjects(rdf.type, akg.Listing)
        if iri in papers and iri in under and iri in printed and iri in lines
    ]
    return sorted(listings, key=lambda listing: (listing.line, listing.paper, listing.iri))


def read_clusters(read: Values) -> list[ClusterRecord]:
    """Stored clusters with their members (either direction of the link), largest first."""
    members: dict[str, set[str]] = defaultdict(set)
    for cluster, member in read.pairs(akg.clusterMember):
        members[cluster].add(member)
    for member, cluster in read.pairs(akg.memberOf):
        members[cluster].add(member)
    labels = first_of(read, akg.clusterLabel)
    clusters = [
        ClusterRecord(iri, labels.get(iri, iri.rsplit("/", 1)[-1]), members[iri])
        for iri in read.subjects(rdf.type, akg.Cluster)
    ]
    return sorted(clusters, key=lambda c: (-len(c.members), c.label, c.iri))


def read_tech_reports(read: Values) -> list[TechReport]:
    affiliations, months = first_of(read, akg.affiliation), first_of(read, akg.releaseMonth)
    return [
        TechReport(work, affiliations.get(model), months.get(model))
        for model, work in sorted(read.pairs(akg.techReport))
    ]


def as_model(source: KnowledgeGraph | GraphModel) -> GraphModel:
    """The model a view was given, or the model of the graph it was given (read once, here)."""
    return source if isinstance(source, GraphModel) else read_model(source)
