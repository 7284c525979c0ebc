"""What the curation commands read from a build's graph, as plain Python objects.

One pass of SPARQL over the graph gives the taxonomy, every work (listed or reached
through citations) with the facts the commands weigh, and the citation edges. The
commands then work on these objects, so each of them stays a small piece of logic.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from kg.store import KnowledgeGraph

PATH_SEPARATOR = " › "


@dataclass
class Heading:
    iri: str
    label: str
    parent: str | None
    position: int
    line: int | None


@dataclass
class Work:
    """A paper in the graph: listed (with its headings) or an outside work."""
    iri: str
    listed: bool
    title: str = ""
    source_title: str | None = None
    issued: str | None = None
    abstract: str | None = None
    tldr: str | None = None
    venue: str | None = None
    identifiers: list[str] = field(default_factory=list)
    headings: list[str] = field(default_factory=list)

    @property
    def year(self) -> int | None:
        return int(self.issued[:4]) if self.issued else None

    @property
    def text(self) -> str:
        """Everything the paper says about its topic: titles, abstract, TL;DR."""
        parts = [self.title, self.source_title or "", self.abstract or "", self.tldr or ""]
        return " ".join(p for p in parts if p)


WORKS = """
SELECT ?w (COUNT(?listed) AS ?isListed) (MIN(?t) AS ?title) (MIN(?st) AS ?sourceTitle) (MIN(STR(?i)) AS ?issued)
       (MIN(?a) AS ?abstract) (MIN(?tl) AS ?tldr) (MIN(?v) AS ?venue)
WHERE {
  ?w a fabio:Expression .
  OPTIONAL { ?w a akg:ListedPaper . BIND(1 AS ?listed) }
  OPTIONAL { ?w dcterms:title ?t }
  OPTIONAL { ?w akg:sourceTitle ?st }
  OPTIONAL { ?w dcterms:issued ?i }
  OPTIONAL { ?w dcterms:abstract ?a }
  OPTIONAL { ?w akg:tldr ?tl }
  OPTIONAL { ?w akg:publishedVenue ?v }
} GROUP BY ?w
"""
HEADINGS = """
SELECT ?h ?label ?parent ?position ?line WHERE {
  ?h a skos:Concept ; skos:prefLabel ?label ; akg:position ?position .
  OPTIONAL { ?h skos:broader ?parent }
  OPTIONAL { ?h akg:sourceLine ?line }
}
"""
LISTED_UNDER = "SELECT ?p ?h WHERE { ?p a akg:ListedPaper ; akg:listedUnder ?h }"
IDENTIFIERS = "SELECT ?w ?id WHERE { ?w a fabio:Expression ; dcterms:identifier ?id }"
CITES = "SELECT DISTINCT ?a ?b WHERE { ?a cito:cites ?b FILTER(?a != ?b) }"
LIST_TITLE = "SELECT (MIN(?title) AS ?t) WHERE { ?list a akg:PaperList ; dcterms:title ?title }"


def value(term) -> str | None:
    return None if term is None else term.value


def list_title(graph: KnowledgeGraph) -> str:
    return value(next(iter(graph.query(LIST_TITLE)))["t"]) or "the list"


class Facts:
    """Headings, works and citation edges of one build, with the lookups the commands need."""

    def __init__(self, title: str, headings: dict[str, Heading], works: dict[str, Work],
                 cites: set[tuple[str, str]]):
        self.title = title
        self.headings = headings
        self.works = works
        self.cites = cites
        self._paths: dict[str, str] = {}
        self.neighbours: dict[str, set[str]] = defaultdict(set)
        for a, b in cites:
            self.neighbours[a].add(b)
            self.neighbours[b].add(a)

    @classmethod
    def from_graph(cls, graph: KnowledgeGraph) -> Facts:
        headings = {}
        for row in graph.query(HEADINGS):
            iri = row["h"].value
            headings[iri] = Heading(iri, row["label"].value, value(row["parent"]), int(row["position"].value),
                                    int(row["line"].value) if row["line"] else None)
        works = {}
        for row in graph.query(WORKS):
            iri, source_title = row["w"].value, value(row["sourceTitle"])
            works[iri] = Work(iri, int(row["isListed"].value) > 0, value(row["title"]) or source_title or "",
                              source_title, value(row["issued"]), value(row["abstract"]), value(row["tldr"]),
                              value(row["venue"]))
        for row in graph.query(LISTED_UNDER):
            if row["p"].value in works:
                works[row["p"].value].headings.append(row["h"].value)
        for row in graph.query(IDENTIFIERS):
            works[row["w"].value].identifiers.append(row["id"].value)
        for work in works.values():
            work.headings.sort(key=lambda h: headings[h].position if h in headings else 1 << 30)
            work.identifiers.sort()
        cites = {(row["a"].value, row["b"].value) for row in graph.query(CITES)}
        return cls(list_title(graph), headings, works, cites)

    @property
    def listed(self) -> list[Work]:
        return sorted((w for w in self.works.values() if w.listed), key=lambda w: w.iri)

    def path(self, heading: str) -> str:
        """`Model-Level Optimizations › Model Compression › Pruning` (remembered: reports ask often)."""
        if heading not in self._paths:
            labels, node, seen = [], heading, set()
            while node and node in self.headings and node not in seen:
                seen.add(node)
                labels.append(self.headings[node].label)
                node = self.headings[node].parent
            self._paths[heading] = PATH_SEPARATOR.join(reversed(labels))
        return self._paths[heading]

    def add_outside_work(self, work: Work, cited: set[str], citing: set[str]) -> None:
        """A paper fetched for `kg classify` that the build does not hold, linked to its neighbours."""
        self.works[work.iri] = work
        for other in cited:
            self.cites.add((work.iri, other))
            self.neighbours[work.iri].add(other)
            self.neighbours[other].add(work.iri)
        for other in citing:
            self.cites.add((other, work.iri))
            self.neighbours[work.iri].add(other)
            self.neighbours[other].add(work.iri)

    def find(self, identifier: str) -> Work | None:
        """The work carrying `dcterms:identifier` (e.g. `arXiv:2401.14361`), listed papers first."""
        hits = [w for w in self.works.values() if identifier in w.identifiers]
        return min(hits, key=lambda w: (not w.listed, w.iri)) if hits else None
