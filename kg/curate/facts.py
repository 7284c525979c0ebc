"""What the curation commands weigh, over a build's read model (kg.model).

The model gives the taxonomy, every work (listed or reached through citations) and the
citation edges; Facts adds the lookups the commands need (neighbours, heading paths, a
work by identifier), so each command stays a small piece of logic.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cached_property

from kg.model import GraphModel, Heading, Work, as_model
from kg.store import KnowledgeGraph

PATH_SEPARATOR = " › "


def topic_text(work: Work) -> str:
    """Everything the paper says about its topic: titles, abstract, TL;DR."""
    return " ".join(p for p in (work.title, work.source_title, work.abstract, work.tldr) if p)


class Facts:
    """Headings, works and citation edges of one build, with the lookups the commands need."""

    def __init__(self, title: str, headings: dict[str, Heading], works: dict[str, Work], pairs: list[tuple[str, str]]):
        self.title = title
        self.headings = headings
        self.works = works
        # (citing, cited), distinct, in the model's order: what is read pair by pair reads this list, in memory
        # order (iterating the set took twice as long at 230,000 citations); the set answers look-ups
        self.pairs = pairs
        self.cites = set(pairs)
        self._paths: dict[str, str] = {}
        self.neighbours: dict[str, set[str]] = defaultdict(set)
        neighbours = self.neighbours
        for a, b in pairs:
            neighbours[a].add(b)
            neighbours[b].add(a)

    @classmethod
    def from_model(cls, source: KnowledgeGraph | GraphModel) -> Facts:
        """The facts of a build's model (or of its graph, read into one)."""
        model = as_model(source)
        return cls(
            model.title or "the list", model.headings, dict(model.works), [(c.citing, c.cited) for c in model.citations]
        )

    @cached_property
    def listed(self) -> list[Work]:
        """By IRI (sorted once: add_outside_work adds no listed paper)."""
        return sorted((w for w in self.works.values() if w.listed), key=lambda w: w.iri)

    def path(self, heading: str) -> str:
        """`Model-Level Optimizations › Model Compression › Pruning` (remembered: reports ask often)."""
        if heading not in self._paths:
            node: str | None = heading
            labels, seen = [], set()
            while node and node in self.headings and node not in seen:
                seen.add(node)
                labels.append(self.headings[node].label)
                node = self.headings[node].parent
            self._paths[heading] = PATH_SEPARATOR.join(reversed(labels))
        return self._paths[heading]

    def add_outside_work(self, work: Work, cited: set[str], citing: set[str]) -> None:
        """A paper fetched for `kg classify` that the build does not hold, linked to its neighbours."""
        self.works[work.iri] = work
        for a, b in [(work.iri, other) for other in cited] + [(other, work.iri) for other in citing]:
            if (a, b) not in self.cites:
                self.cites.add((a, b))
                self.pairs.append((a, b))
            self.neighbours[a].add(b)
            self.neighbours[b].add(a)

    def find(self, identifier: str) -> Work | None:
        """The work carrying `dcterms:identifier` (e.g. `arXiv:2401.14361`), listed papers first."""
        hits = [w for w in self.works.values() if identifier in w.identifiers]
        return min(hits, key=lambda w: (not w.listed, w.iri)) if hits else None
