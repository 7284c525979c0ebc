"""SPARQL over a build: run a query (text or .rq file) and render its results.

Output is an aligned table on a terminal, or SPARQL 1.1 results as CSV, TSV, JSON
or XML; CONSTRUCT/DESCRIBE give Turtle or N-Triples. A syntax error is shown with
the line of the query where it failed.
"""
from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox

RESULT_FORMATS = {"csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV,
                  "json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML}
GRAPH_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES,
                 "jsonld": ox.RdfFormat.JSON_LD}


class QueryError(Exception):
    """A query that cannot run; the message points at the problem."""


def query_text(query: str) -> str:
    """The query itself: a path to a .rq file, or the text as given."""
    if query.endswith((".rq", ".sparql")) and Path(query).is_file():
        return Path(query).read_text(encoding="utf-8")
    return query


def explain_syntax_error(text: str, error: Exception) -> str:
    """The parser's message with the offending query line and a caret under the column."""
    message = str(error)
    m = re.search(r"at (\d+):(\d+)", message)
    if not m:
        return f"query error: {message}"
    line, column = int(m[1]), int(m[2])
    lines = text.splitlines() or [""]
    shown = lines[min(line, len(lines)) - 1]
    first = message.split(": expected")[0]
    expected = message[len(first):].lstrip(": ")
    expected = expected if len(expected) < 160 else expected[:157] + "..."
    return f"query error at line {line}, column {column}: {expected}\n  {shown}\n  {' ' * max(column - 1, 0)}^"


def run_query(graph, text: str, bindings: dict | None = None):
    """Run SPARQL on a KnowledgeGraph; syntax errors become QueryError with a pointer."""
    try:
        return graph.query(text, bindings)
    except SyntaxError as error:
        raise QueryError(explain_syntax_error(text, error)) from None


def render(results, fmt: str | None) -> str:
    """Results as text: `table` (aligned), a SPARQL results format, or an RDF format."""
    if isinstance(results, ox.QueryBoolean):
        return "true" if bool(results) else "false"
    if isinstance(results, ox.QueryTriples):
        rdf_format = GRAPH_FORMATS.get(fmt or "turtle", ox.RdfFormat.TURTLE)
        from kg.vocab import PREFIXES

        prefixes = PREFIXES if rdf_format == ox.RdfFormat.TURTLE else None
        return ox.serialize(list(results), format=rdf_format, prefixes=prefixes).decode("utf-8")
    if fmt in RESULT_FORMATS:
        return results.serialize(format=RESULT_FORMATS[fmt]).decode("utf-8")
    return table(results)


def term_text(term) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.Literal):
        return term.value
    if isinstance(term, ox.NamedNode):
        from kg.vocab import PREFIXES

        for prefix, base in PREFIXES.items():
            if term.value.startswith(base) and re.fullmatch(r"[\w.\-]*", term.value[len(base):]):
                return f"{prefix}:{term.value[len(base):]}"
        return term.value
    return str(term)


def table(solutions) -> str:
    """An aligned plain-text table, one row per solution (rich renders it)."""
    from io import StringIO

    from rich.console import Console
    from rich.table import Table

    names = [v.value for v in solutions.variables]
    grid = Table(*names, show_lines=False, header_style="bold")
    rows = 0
    for solution in solutions:
        grid.add_row(*(term_text(solution[name]) for name in names))
        rows += 1
    buffer = StringIO()
    Console(file=buffer, width=200, force_terminal=False, color_system=None).print(grid)
    return buffer.getvalue() + f"{rows} row{'s' if rows != 1 else ''}\n"
