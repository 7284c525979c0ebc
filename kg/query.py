"""SPARQL over a build: run a query and write its results.

Results come out as an aligned table on a terminal, or as SPARQL 1.1 results in JSON,
XML, CSV or TSV; CONSTRUCT/DESCRIBE give Turtle, N-Triples, JSON-LD or RDF/XML. The same
writers serve `kg query` and `kg serve`, and they take a row limit: results are cut
while they stream, so a query that matches millions of rows never materializes them.
A syntax error is shown with the line of the query where it failed.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from xml.etree import ElementTree

import pyoxigraph as ox

RESULT_FORMATS = ("json", "xml", "csv", "tsv")
GRAPH_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
}
MEDIA_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
    "turtle": "text/turtle; charset=utf-8",
    "ntriples": "application/n-triples",
    "jsonld": "application/ld+json",
    "rdfxml": "application/rdf+xml",
}
RESULTS_NS = "http://www.w3.org/2005/sparql-results#"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
SHOWN_CHARS = 120  # of the query line a syntax error points into


class QueryError(Exception):
    """A query that cannot run; the message points at the problem."""


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
    expected = message[len(first) :].lstrip(": ")
    expected = expected if len(expected) < 160 else expected[:157] + "..."
    start = max(column - 1 - SHOWN_CHARS // 2, 0)  # a long line is shown around the column, never whole
    excerpt = shown[start : start + SHOWN_CHARS]
    caret = column - 1 - start
    excerpt, caret = ("..." + excerpt, caret + 3) if start else (excerpt, caret)
    excerpt += "..." if start + SHOWN_CHARS < len(shown) else ""
    return f"query error at line {line}, column {column}: {expected}\n  {excerpt}\n  {' ' * max(caret, 0)}^"


def run_query(graph, text: str, bindings: dict | None = None):
    """Run SPARQL on a KnowledgeGraph (or an Endpoint); syntax errors become QueryError with a pointer."""
    try:
        return graph.query(text, bindings)
    except SyntaxError as error:
        raise QueryError(explain_syntax_error(text, error)) from None
    except OSError as error:  # Oxigraph reports evaluation errors (e.g. a bad SERVICE) this way
        raise QueryError(f"query error: {error}") from None


@dataclass
class Answer:
    """A query's results held in memory, at most `limit` rows or triples of them."""

    variables: list[str] = field(default_factory=list)
    rows: list[list] = field(default_factory=list)
    boolean: bool | None = None
    triples: list[ox.Triple] | None = None
    truncated: bool = False

    @property
    def size(self) -> int:
        return len(self.triples) if self.triples is not None else len(self.rows)


def collect(results, limit: int | None = None) -> Answer:
    """Read results (pyoxigraph's, local or parsed from an endpoint) up to `limit` items."""
    if isinstance(results, (bool, ox.QueryBoolean)):
        return Answer(boolean=bool(results))
    if isinstance(results, ox.QuerySolutions):
        names = [v.value for v in results.variables]
        answer = Answer(variables=names)
        for solution in results:
            if limit is not None and len(answer.rows) >= limit:
                answer.truncated = True
                break
            answer.rows.append([solution[name] for name in names])
        return answer
    triples: list[ox.Triple] = []
    answer = Answer(triples=triples)
    for item in results:
        if limit is not None and len(triples) >= limit:
            answer.truncated = True
            break
        triples.append(item.triple if isinstance(item, ox.Quad) else item)
    return answer


def write(answer: Answer, fmt: str) -> bytes:
    """The answer in a SPARQL results format (json, xml, csv, tsv) or an RDF format for triples."""
    if answer.triples is not None:
        rdf_format = GRAPH_FORMATS[fmt]
        from kg.vocab import PREFIXES

        prefixes = PREFIXES if rdf_format == ox.RdfFormat.TURTLE else None
        return ox.serialize(answer.triples, format=rdf_format, prefixes=prefixes) or b""
    return {"json": write_json, "xml": write_xml, "csv": write_csv, "tsv": write_tsv}[fmt](answer)


def json_term(term) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Triple):
        return {
            "type": "triple",
            "value": {
                "subject": json_term(term.subject),
                "predicate": json_term(term.predicate),
                "object": json_term(term.object),
            },
        }
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value != XSD_STRING:
        out["datatype"] = term.datatype.value
    return out


def write_json(answer: Answer) -> bytes:
    if answer.boolean is not None:
        document = {"head": {}, "boolean": answer.boolean}
    else:
        document = {
            "head": {"vars": answer.variables},
            "results": {
                "bindings": [
                    {
                        name: json_term(term)
                        for name, term in zip(answer.variables, row, strict=True)
                        if term is not None
                    }
                    for row in answer.rows
                ]
            },
        }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def write_xml(answer: Answer) -> bytes:
    ElementTree.register_namespace("", RESULTS_NS)
    root = ElementTree.Element(f"{{{RESULTS_NS}}}sparql")
    head = ElementTree.SubElement(root, f"{{{RESULTS_NS}}}head")
    if answer.boolean is not None:
        ElementTree.SubElement(root, f"{{{RESULTS_NS}}}boolean").text = "true" if answer.boolean else "false"
    else:
        for name in answer.variables:
            ElementTree.SubElement(head, f"{{{RESULTS_NS}}}variable", name=name)
        results = ElementTree.SubElement(root, f"{{{RESULTS_NS}}}results")
        for row in answer.rows:
            result = ElementTree.SubElement(results, f"{{{RESULTS_NS}}}result")
            for name, term in zip(answer.variables, row, strict=True):
                if term is not None:
                    binding = ElementTree.SubElement(result, f"{{{RESULTS_NS}}}binding", name=name)
                    xml_term(binding, term)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def xml_term(parent, term) -> None:
    if isinstance(term, ox.NamedNode):
        ElementTree.SubElement(parent, f"{{{RESULTS_NS}}}uri").text = term.value
    elif isinstance(term, ox.BlankNode):
        ElementTree.SubElement(parent, f"{{{RESULTS_NS}}}bnode").text = term.value
    elif isinstance(term, ox.Triple):
        triple = ElementTree.SubElement(parent, f"{{{RESULTS_NS}}}triple")
        for part in ("subject", "predicate", "object"):
            xml_term(ElementTree.SubElement(triple, f"{{{RESULTS_NS}}}{part}"), getattr(term, part))
    else:
        literal = ElementTree.SubElement(parent, f"{{{RESULTS_NS}}}literal")
        literal.text = term.value
        if term.language:
            literal.set("{http://www.w3.org/XML/1998/namespace}lang", term.language)
        elif term.datatype.value not in (XSD_STRING, RDF_LANG_STRING):
            literal.set("datatype", term.datatype.value)


def write_csv(answer: Answer, for_spreadsheets: bool = False) -> bytes:
    """SPARQL 1.1 CSV: plain values (blank nodes as _:id), CRLF line ends. The protocol's answers
    (`kg serve`) keep every value exact, as the standard requires; CSV written for spreadsheets
    (`kg query --format csv`) gets OWASP's rule (see spreadsheet_cell)."""
    if answer.boolean is not None:
        return b"true\r\n" if answer.boolean else b"false\r\n"
    cell = spreadsheet_cell if for_spreadsheets else str
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(answer.variables)
    for row in answer.rows:
        writer.writerow(
            [
                cell(
                    ""
                    if t is None
                    else f"_:{t.value}"
                    if isinstance(t, ox.BlankNode)
                    else t.value
                    if isinstance(t, (ox.NamedNode, ox.Literal))
                    else str(t)
                )
                for t in row
            ]
        )
    return out.getvalue().encode("utf-8")


SPREADSHEET_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")  # OWASP: a cell starting so is a formula


def spreadsheet_cell(value) -> str:
    """OWASP's rule against CSV injection: a cell that starts with = + - @, a tab or a carriage return
    gets a leading `'`, so a spreadsheet shows it as text instead of running it as a formula."""
    text = str(value)
    return "'" + text if text.startswith(SPREADSHEET_TRIGGERS) else text


def write_tsv(answer: Answer) -> bytes:
    """SPARQL 1.1 TSV: terms in their N-Triples form, so types and languages survive."""
    if answer.boolean is not None:
        return b"true\n" if answer.boolean else b"false\n"
    lines = ["\t".join(f"?{name}" for name in answer.variables)]
    lines += ["\t".join("" if term is None else str(term) for term in row) for row in answer.rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def render(results, fmt: str | None = None, limit: int | None = None) -> str:
    """Results as text for the terminal: `table` (aligned) or any format `write` knows."""
    answer = collect(results, limit)
    if answer.triples is not None:
        return write(answer, fmt if fmt in GRAPH_FORMATS else "turtle").decode("utf-8")
    if answer.boolean is not None and fmt not in ("json", "xml"):
        return "true\n" if answer.boolean else "false\n"
    if fmt == "csv":
        return write_csv(answer, for_spreadsheets=True).decode("utf-8")
    if fmt in RESULT_FORMATS:
        return write(answer, fmt).decode("utf-8")
    return table(answer, limit)


def term_text(term) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.Literal):
        return term.value
    if isinstance(term, ox.NamedNode):
        from kg.vocab import PREFIXES

        for prefix, base in PREFIXES.items():
            if term.value.startswith(base) and re.fullmatch(r"[\w.\-]*", term.value[len(base) :]):
                return f"{prefix}:{term.value[len(base) :]}"
        return term.value
    return str(term)


def table(answer: Answer, limit: int | None = None) -> str:
    """An aligned plain-text table, one row per solution, as wide as the terminal; values as inert text."""
    from kg.terminal import text_table

    rendered = text_table(answer.variables, [[term_text(term) for term in row] for row in answer.rows])
    rows = len(answer.rows)
    count = f"{rows} row{'s' if rows != 1 else ''}"
    if answer.truncated:
        count = f"first {count} (--limit {limit}; there are more)"
    return rendered + count + "\n"
