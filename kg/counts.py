"""Per-work, per-author and per-heading counts, materialised as triples at build time.

The saved queries that rank papers, authors and headings would otherwise aggregate every
citation and authorship on each call (0.4-1.2 s at 20,000 papers); with these triples they
are look-ups. The counts are derived from the other graphs, so they live in a graph of
their own with a provenance record saying so, and are recomputed by every build.
"""

from __future__ import annotations

from collections.abc import Iterator

from pyoxigraph import Literal, Quad

from kg.store import KnowledgeGraph
from kg.vocab import COUNTS_GRAPH, LIST_GRAPH, PROVENANCE_GRAPH, S2_GRAPH, SNAPSHOT_GRAPH, akg, prov, rdf, xsd

# Each count: the property it is stated with, and the query that computes it (one row per subject).
# Listed papers get every paper count, zero included, so "isolated" is a look-up too.
COUNTS: dict[str, str] = {
    "citedByListedCount": """
        SELECT ?s (COUNT(DISTINCT ?citer) AS ?n) WHERE {
          { SELECT ?citer WHERE { ?citer a akg:ListedPaper } }
          ?citer cito:cites ?s . FILTER(?citer != ?s)
        } GROUP BY ?s""",
    "citesListedCount": """
        SELECT ?s (COUNT(DISTINCT ?cited) AS ?n) WHERE {
          { SELECT ?s WHERE { ?s a akg:ListedPaper } }
          { SELECT ?cited WHERE { ?cited a akg:ListedPaper } }
          ?s cito:cites ?cited . FILTER(?cited != ?s)
        } GROUP BY ?s""",  # both ends as subqueries: Oxigraph joins them by hash, half the time at 20,000 papers
    "listedPaperCount": """
        SELECT ?s (COUNT(DISTINCT ?paper) AS ?n) WHERE {
          { ?paper a akg:ListedPaper ; dcterms:creator ?s } UNION { ?paper a akg:ListedPaper ; akg:listedUnder ?s }
        } GROUP BY ?s""",
    "firstAuthoredCount": """
        SELECT ?s (COUNT(DISTINCT ?paper) AS ?n) WHERE {
          ?paper a akg:ListedPaper ; akg:authorship ?authorship . ?authorship akg:position 1 ; akg:author ?s
        } GROUP BY ?s""",
    "rolledUpPaperCount": """
        SELECT ?s (COUNT(DISTINCT ?paper) AS ?n) WHERE {
          ?s a skos:Concept . ?paper akg:listedUnder ?under . ?under skos:broader* ?s . ?paper a akg:ListedPaper
        } GROUP BY ?s""",
    # How many headings a listed paper sits under: multi-heading-papers looks up those over 1.
    "listedUnderCount": """
        SELECT ?s (COUNT(DISTINCT ?under) AS ?n) WHERE { ?s a akg:ListedPaper ; akg:listedUnder ?under } GROUP BY ?s""",
    # The year papers-by-year counts a listed paper under: its publication date's, else its
    # list tag's (the earliest if the graphs give several); papers with neither get none.
    "countedYear": """
        SELECT ?s (MIN(?year) AS ?n) WHERE {
          ?s a akg:ListedPaper .
          OPTIONAL { ?s dcterms:issued ?issued }
          OPTIONAL { ?s akg:listedYear ?listedYear }
          BIND(xsd:integer(COALESCE(SUBSTR(STR(?issued), 1, 4), STR(?listedYear))) AS ?year)
          FILTER(BOUND(?year))
        } GROUP BY ?s""",
}
# Counts every listed paper carries even when they are zero.
ZERO_FOR_LISTED = ("citedByListedCount", "citesListedCount")
ZERO_FOR_HEADINGS = ("listedPaperCount", "rolledUpPaperCount")


def count_quads(graph: KnowledgeGraph) -> Iterator[Quad]:
    """The counts of a finished graph (before validation), in the counts graph, with their provenance."""
    listed = {row["p"] for row in graph.query("SELECT DISTINCT ?p WHERE { ?p a akg:ListedPaper }")}
    headings = {row["h"] for row in graph.query("SELECT DISTINCT ?h WHERE { ?h a skos:Concept }")}
    for name, sparql in COUNTS.items():
        found = {row["s"]: int(row["n"].value) for row in graph.query(sparql)}
        zeros = (listed if name in ZERO_FOR_LISTED else set()) | (headings if name in ZERO_FOR_HEADINGS else set())
        for subject in zeros - found.keys():
            found[subject] = 0
        for subject, number in found.items():
            yield Quad(subject, akg[name], Literal(str(number), datatype=xsd.integer), COUNTS_GRAPH)
    yield Quad(COUNTS_GRAPH, rdf.type, prov.Entity, PROVENANCE_GRAPH)
    for source in (LIST_GRAPH, S2_GRAPH, SNAPSHOT_GRAPH):
        yield Quad(COUNTS_GRAPH, prov.wasDerivedFrom, source, PROVENANCE_GRAPH)


def add_counts(graph: KnowledgeGraph) -> None:
    """Build step: the counts go into the graph once everything they count is in it."""
    graph.store.extend(list(count_quads(graph)))
