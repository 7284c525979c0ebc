"""The build's RDF as plain statements, and their canonical N-Quads text.

A build states about 70 facts a paper (1.4 M at 20,000 papers). Made as pyoxigraph Quads
each fact is five Rust objects, and writing them back out meant parsing and sorting
millions more; as tuples of Python strings they cost a tenth, and the N-Quads text
(the form every graph file and the store are made from) is one f-string per fact.

A statement is (subject IRI, predicate IRI, object, graph IRI); the object is an IRI
(a `str`) or a `Literal`. The text is what Oxigraph's N-Triples writer prints for the same
terms, byte for byte, so graph files keep their bytes (tests/test_statements.py holds it); typed
values a store would rewrite (a decimal's trailing zeros, a UTC offset) are made canonical first.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from itertools import groupby
from typing import NamedTuple

import pyoxigraph as ox

XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING = XSD + "string"


class Literal(NamedTuple):
    """A literal's lexical form and datatype IRI (xsd:string unless said)."""

    value: str
    datatype: str = XSD_STRING


def decimal_literal(value: str) -> Literal:
    """An xsd:decimal in its canonical form ("1.50" -> "1.5"), as a store would give it back."""
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", value):
        return Literal(value, XSD + "decimal")  # not a decimal: kept as written, as a store keeps it
    text = format(Decimal(value).normalize(), "f")
    return Literal(text if text != "-0" else "0", XSD + "decimal")


def datetime_literal(value: str) -> Literal:
    """An xsd:dateTime in its canonical form (UTC as "Z", no trailing zero seconds fraction)."""
    if m := re.fullmatch(r"(\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?", value):
        fraction = (m[2] or "").rstrip("0")
        zone = "Z" if m[3] in ("+00:00", "-00:00") else (m[3] or "")
        value = m[1] + (f".{fraction}" if fraction else "") + zone
    return Literal(value, XSD + "dateTime")


Term = str | Literal  # an IRI, or a literal
Statement = tuple[str, str, Term, str]  # subject, predicate, object, graph

# N-Triples escapes as Oxigraph writes them: the short forms, then \uXXXX for other controls.
ESCAPES = str.maketrans(
    {
        **{code: f"\\u{code:04X}" for code in [*range(0x20), 0x7F]},
        0x08: "\\b",
        0x09: "\\t",
        0x0A: "\\n",
        0x0C: "\\f",
        0x0D: "\\r",
        0x22: '\\"',
        0x5C: "\\\\",
    }
)


def term_text(term: Term) -> str:
    """A term as N-Triples writes it."""
    if isinstance(term, str):
        return f"<{term}>"
    value, datatype = term
    if not value.isprintable() or '"' in value or "\\" in value:  # else there is nothing to escape
        value = value.translate(ESCAPES)
    quoted = f'"{value}"'
    return quoted if datatype == XSD_STRING else f"{quoted}^^<{datatype}>"


def canonical(statements: Iterable[Statement]) -> dict[str, list[str]]:
    """Graph IRI -> the distinct triple lines stated in it, sorted: the canonical form of the build's
    graph, whatever order the statements came in."""
    return StatementIndex(statements).canonical()


def merged(*parts: Mapping[str, Iterable[str]]) -> dict[str, Iterable[str]]:
    """Canonical graphs made in parts, as one: a graph stated in two parts gets the union of its lines."""
    graphs: dict[str, Iterable[str]] = {}
    for part in parts:
        for graph, lines in part.items():
            graphs[graph] = sorted(set(graphs[graph]).union(lines)) if graph in graphs else lines
    return {graph: graphs[graph] for graph in sorted(graphs)}


def nquads_lines(graphs: Mapping[str, Iterable[str]]) -> Iterator[str]:
    """The N-Quads file of canonical graphs: graph by graph, each graph's lines in order ("" is the
    default graph)."""
    for graph, lines in graphs.items():
        suffix = graph_suffix(graph)
        for line in lines:
            yield line + suffix


def graph_suffix(graph: str) -> str:
    """What follows a triple's text on its N-Quads line ("" is the default graph)."""
    return f" <{graph}> .\n" if graph else " .\n"


def ntriples_lines(graphs: Mapping[str, Iterable[str]]) -> Iterator[str]:
    """The union of the graphs as sorted N-Triples lines (a triple stated in two graphs once), merged
    from the sorted graphs as it is written: no second copy of the graph is held."""
    previous = None
    for line in heapq.merge(*graphs.values()):
        if line != previous:
            yield line + " .\n"
            previous = line


def to_oxigraph(term: Term) -> ox.NamedNode | ox.Literal:
    """A statement's term as a pyoxigraph term (for the few places that add statements to a store)."""
    if isinstance(term, str):
        return ox.NamedNode(term)
    value, datatype = term
    return ox.Literal(value, datatype=ox.NamedNode(datatype))


def to_quad(statement: Statement) -> ox.Quad:
    subject, predicate, value, graph = statement
    return ox.Quad(ox.NamedNode(subject), ox.NamedNode(predicate), to_oxigraph(value), ox.NamedNode(graph))


def from_oxigraph(term) -> Term:
    """A pyoxigraph IRI or literal as a statement's term."""
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.Literal):
        return Literal(term.value, term.datatype.value)
    raise TypeError(f"a build states IRIs and literals only, not {term!r}")


def from_quad(quad: ox.Quad) -> Statement:
    if not isinstance(quad.subject, ox.NamedNode):
        raise TypeError(f"a build states IRIs and literals only, not {quad.subject!r}")
    return (
        quad.subject.value,
        quad.predicate.value,
        from_oxigraph(quad.object),
        quad.graph_name.value if isinstance(quad.graph_name, ox.NamedNode) else "",
    )


def distinct_sorted(lines: list[str]) -> list[str]:
    """The lines sorted in place, each kept once."""
    lines.sort()
    return [line for line, _ in groupby(lines)]


class StatementIndex:
    """The build's statements grouped by predicate: what the read model and the validator look up,
    made in one pass (the store would be filled and read back term by term)."""

    def __init__(self, statements: Iterable[Statement] = ()):
        self.by_predicate: dict[str, list[tuple[str, Term, str]]] = {}
        self.extend(statements)

    def extend(self, statements: Iterable[Statement]) -> None:
        by_predicate = self.by_predicate
        for subject, predicate, value, graph in statements:
            found = by_predicate.get(predicate)
            if found is None:
                found = by_predicate[predicate] = []
            found.append((subject, value, graph))

    def statements(self) -> Iterator[Statement]:
        for predicate, found in self.by_predicate.items():
            for subject, value, graph in found:
                yield subject, predicate, value, graph

    def canonical(self) -> dict[str, list[str]]:
        """Graph IRI -> its distinct triple lines, sorted."""
        return dict(self.canonical_graphs())

    def canonical_graphs(self) -> Iterator[tuple[str, list[str]]]:
        """Each graph's distinct triple lines, sorted, one graph at a time (in graph order): a caller that
        writes a graph out before it asks for the next holds one graph's text, not all (the list's and the
        sources' text is 1 GB at 100,000 papers). The text is made a predicate at a time, and a build
        states next to no statement twice, so the lines are sorted as they are and the few repeats dropped
        after (a set of 1.4 M lines cost a second at 20,000 papers)."""
        graphs_of = {predicate: {graph for _, _, graph in rows} for predicate, rows in self.by_predicate.items()}
        for graph in sorted(set().union(*graphs_of.values())):
            lines: list[str] = []
            for predicate, rows in self.by_predicate.items():
                if graph not in graphs_of[predicate]:
                    continue
                middle = f"> <{predicate}> "
                only = len(graphs_of[predicate]) == 1
                for subject, value, found in rows:
                    if only or found == graph:
                        lines.append(f"<{subject}{middle}{term_text(value)}")
            yield graph, distinct_sorted(lines)

    def pairs(self, predicate: str, graph: str | None = None) -> Iterator[tuple[str, str]]:
        """(subject, value) of every statement with this predicate (in this graph); a value is an IRI
        or a literal's lexical form. Made as it is read, not kept (the model reads most predicates once)."""
        for subject, value, found in self.by_predicate.get(predicate, ()):
            if graph is None or found == graph:
                yield subject, value if type(value) is str else value[0]

    def subjects(self, predicate: str, value: str) -> set[str]:
        """Subjects with this IRI (or lexical form) as the predicate's value."""
        return {
            subject
            for subject, found, _ in self.by_predicate.get(predicate, ())
            if found == value or (type(found) is not str and found[0] == value)
        }
