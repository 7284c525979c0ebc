"""Per-work, per-author and per-heading counts, materialised as triples at build time.

The saved queries that rank papers, authors and headings would otherwise aggregate every
citation and authorship on each call (0.4-1.2 s at 20,000 papers); with these triples they
are look-ups. The counts are derived from the other graphs, so they live in a graph of
their own with a provenance record saying so, and are recomputed by every build, from the
read model (counting in SPARQL over the whole graph took 4 s at 20,000 papers).

  citedByListedCount   a work: how many listed papers cite it (every listed paper, zero too)
  citesListedCount     a listed paper: how many listed papers it cites (zero too)
  listedPaperCount     a person: listed papers they wrote; a heading: papers listed under it (zero too)
  firstAuthoredCount   a person: listed papers they wrote first
  rolledUpPaperCount   a heading: papers listed under it or under a heading below it (zero too)
  listedUnderCount     a listed paper: how many headings it is listed under
  countedYear          a listed paper: the year papers-by-year counts it under (the model's year:
                       the earliest a source gives, else the list's); none when neither says
  citationRank         a listed paper: its place (1, 2, ...) in most-cited's ranking
  inListCitationRank   a listed paper other listed papers cite: its place in most-cited-in-list's
  authorRank           a person with listed papers: their place in top-authors' ranking
  outsideCitationRank  a work the list does not name but a listed paper cites: its place in
                       missing-candidates' ranking
A ranking query then reads one page of its ranking (the ranks from OFFSET + 1 to OFFSET +
LIMIT) instead of sorting every paper: on the on-disk store, sorting 20,000 rows alone
takes 80 ms, and reading back every title 0.3 s.
A work citing itself is not counted. And for each pair of headings whose listed papers share
authors, an akg:HeadingPair: pairFrom (the earlier heading), pairTo, sharedAuthorCount and
exampleAuthorName (the alphabetically first shared name); for each heading and year with
listed papers under it (sub-headings rolled up), an akg:HeadingYear: yearHeading, yearLabel
(the countedYear, or "unknown") and yearPaperCount.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from kg.model import GraphModel, read_model
from kg.statements import Literal, Statement, to_quad
from kg.store import KnowledgeGraph
from kg.vocab import GRAPH_IRIS, TERMS

akg, prov, rdf, xsd = TERMS["akg"], TERMS["prov"], TERMS["rdf"], TERMS["xsd"]
COUNTS_GRAPH, PROVENANCE_GRAPH = GRAPH_IRIS["counts"], GRAPH_IRIS["provenance"]


def counts(model: GraphModel) -> dict[str, Counter[str]]:
    """Each count property -> subject IRI -> number."""
    listed = {work.iri for work in model.listed}
    found: dict[str, Counter[str]] = {
        name: Counter()
        for name in (
            "citedByListedCount",
            "citesListedCount",
            "listedPaperCount",
            "firstAuthoredCount",
            "rolledUpPaperCount",
            "listedUnderCount",
            "countedYear",
        )
    }
    for iri in listed:
        found["citedByListedCount"][iri] += 0
        found["citesListedCount"][iri] += 0
    for heading in model.headings:
        found["listedPaperCount"][heading] += 0
        found["rolledUpPaperCount"][heading] += 0
    for citation in model.citations:  # distinct pairs, none a work citing itself
        if citation.citing in listed:
            found["citedByListedCount"][citation.cited] += 1
            if citation.cited in listed:
                found["citesListedCount"][citation.citing] += 1
    for work in model.listed:
        for person in work.creators:
            found["listedPaperCount"][person] += 1
        for person in set(work.first_authors):
            found["firstAuthoredCount"][person] += 1
        for heading in work.headings:
            found["listedPaperCount"][heading] += 1
        for heading in rolled_up(model, work.headings):
            found["rolledUpPaperCount"][heading] += 1
        if work.headings:
            found["listedUnderCount"][work.iri] = len(work.headings)
        if work.year is not None:
            found["countedYear"][work.iri] = work.year
    found.update(ranks(model, found))
    return found


def ranks(model: GraphModel, found: dict[str, Counter[str]]) -> dict[str, Counter[str]]:
    """The saved queries' rankings, as each query's ORDER BY orders them (SPARQL sorts an unbound
    value first, so last when descending; strings by code point, as Python does)."""
    in_list, papers, led = found["citedByListedCount"], found["listedPaperCount"], found["firstAuthoredCount"]

    def by_citations(work):
        return (work.citation_count is None, -(work.citation_count or 0), -in_list[work.iri], work.title, work.iri)

    def by_cited_in_list(work):
        return (-in_list[work.iri], work.citation_count is None, -(work.citation_count or 0), work.title, work.iri)

    def by_cited_outside(iri):
        title = model.works[iri].title if iri in model.works else ""
        return (-in_list[iri], bool(title), title, iri)

    listed = {work.iri for work in model.listed}
    authors = [(person, model.person_names[person]) for person in papers if person in model.person_names]
    orders = {
        "citationRank": [work.iri for work in sorted(model.listed, key=by_citations)],
        "inListCitationRank": [
            work.iri for work in sorted((w for w in model.listed if in_list[w.iri]), key=by_cited_in_list)
        ],
        "outsideCitationRank": sorted((w for w, n in in_list.items() if n and w not in listed), key=by_cited_outside),
        "authorRank": [
            person for person, name in sorted(authors, key=lambda a: (-papers[a[0]], -led[a[0]], a[1], a[0]))
        ],
    }
    return {name: Counter({iri: place for place, iri in enumerate(order, 1)}) for name, order in orders.items()}


def rolled_up(model: GraphModel, headings: list[str]) -> set[str]:
    """The headings and every heading above them."""
    found: set[str] = set()
    for heading in headings:
        while heading in model.headings and heading not in found:
            found.add(heading)
            heading = model.headings[heading].parent or ""
    return found


def heading_years(model: GraphModel) -> Counter[tuple[str, str]]:
    """(heading, year or "unknown") -> listed papers under the heading or a heading below it."""
    found: Counter[tuple[str, str]] = Counter()
    for work in model.listed:
        year = "unknown" if work.year is None else str(work.year)
        for heading in rolled_up(model, work.headings):
            found[heading, year] += 1
    return found


def shared_authors(model: GraphModel) -> dict[tuple[str, str], list[str]]:
    """(earlier heading, later heading) -> the names of the people with listed papers under both."""
    headings_of: dict[str, set[str]] = {}
    for work in model.listed:
        for person in work.creators:
            headings_of.setdefault(person, set()).update(h for h in work.headings if h in model.headings)
    pairs: dict[tuple[str, str], list[str]] = {}
    for person, headings in headings_of.items():
        name = model.person_names.get(person)
        ordered = sorted(headings, key=lambda h: (model.headings[h].position, h))
        for i, first in enumerate(ordered):
            for second in ordered[i + 1 :]:
                if name is not None and model.headings[first].position < model.headings[second].position:
                    pairs.setdefault((first, second), []).append(name)
    return pairs


def count_statements(model: GraphModel) -> Iterator[Statement]:
    """The counts of a finished model, in the counts graph, with their provenance."""
    for name, numbers in counts(model).items():
        for subject, number in numbers.items():
            yield subject, akg[name], Literal(str(number), xsd.integer), COUNTS_GRAPH
    for (first, second), names in shared_authors(model).items():
        pair = f"{first}/shared-authors/{second.split('/heading/', 1)[-1]}"
        yield pair, rdf.type, akg.HeadingPair, COUNTS_GRAPH
        yield pair, akg.pairFrom, first, COUNTS_GRAPH
        yield pair, akg.pairTo, second, COUNTS_GRAPH
        yield pair, akg.sharedAuthorCount, Literal(str(len(names)), xsd.integer), COUNTS_GRAPH
        yield pair, akg.exampleAuthorName, Literal(min(names)), COUNTS_GRAPH
    for (heading, year), number in sorted(heading_years(model).items()):
        cell = f"{heading}/papers-in/{year}"
        yield cell, rdf.type, akg.HeadingYear, COUNTS_GRAPH
        yield cell, akg.yearHeading, heading, COUNTS_GRAPH
        yield cell, akg.yearLabel, Literal(year), COUNTS_GRAPH
        yield cell, akg.yearPaperCount, Literal(str(number), xsd.integer), COUNTS_GRAPH
    yield COUNTS_GRAPH, rdf.type, prov.Entity, PROVENANCE_GRAPH
    for source in ("list", "semantic-scholar", "snapshot"):
        yield COUNTS_GRAPH, prov.wasDerivedFrom, GRAPH_IRIS[source], PROVENANCE_GRAPH


def add_counts(graph: KnowledgeGraph) -> None:
    """The counts of a graph made elsewhere (a test's, a benchmark's), added to it."""
    graph.store.extend([to_quad(statement) for statement in count_statements(read_model(graph))])
