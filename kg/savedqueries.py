"""The saved queries shipped in kg/queries/: their headers, and binding their parameters.

Each `.rq` file opens with a comment header that `kg queries` shows:

    #+ title: Papers under one heading that cite papers under another
    #+ description: One line saying what the query answers.
    #+ param: from heading -- what the parameter means
    #+ param: depth integer(1..3) = 2 -- a parameter with a range and a default

A parameter is a variable of the query. Values given as text are checked against the
parameter's type, then bound as RDF terms: headings and papers are looked up in the
graph the query runs on, so a user can name them as they appear in the list.

Binding is a VALUES block opening the query's WHERE group, holding the terms as the
RDF library writes them (N-Triples escaping, so a value can never end the block or add
to the query). The SPARQL Protocol has no other way to bind, so the same text runs on
the local store and on any endpoint and means the same there; on the local store it
also runs faster than Oxigraph's substitutions, which its optimizer does not see (2 to
10 times on the synthetic graph where a parameter sits in a join). Parameters are used in
the query's top-level group only, where a VALUES block binds them for the whole query.

A line of the query may end in `#+ when NAME >= N`, NAME an integer parameter: the runner
leaves the line out when NAME is below N. Such a line may only add rows the query's own
filters drop for those values (a deeper hop of a walk whose depth is a parameter), so the
whole text, run anywhere else, answers the same; left out, Oxigraph does not compute what it
would throw away (it cannot tell from a filter on a bound value that a branch is empty).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from pyoxigraph import Literal, NamedNode

from kg.query import QueryError, run_query
from kg.vocab import xsd

QUERY_FILE_SUFFIXES = (".rq", ".sparql")
_HEADER = re.compile(r"^#\+\s*(?P<key>\w+)\s*:\s*(?P<value>.*?)\s*$")
_PARAM = re.compile(
    r"^(?P<name>[A-Za-z_]\w*)\s+(?P<kind>string|integer|heading|paper)"
    r"(?:\((?P<low>-?\d*)\.\.(?P<high>-?\d*)\))?"
    r"(?:\s*=\s*(?P<default>.*?))?\s+--\s+(?P<description>.+)$"
)
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_WHEN = re.compile(r"#\+\s*when\s+(?P<name>[A-Za-z_]\w*)\s*>=\s*(?P<low>-?\d+)\s*")


@dataclass(frozen=True)
class Param:
    """One parameter: a variable of the query, its type, its default (None: required)."""

    name: str
    kind: str
    description: str
    default: str | None = None
    low: int | None = None
    high: int | None = None

    @property
    def type_text(self) -> str:
        if self.kind != "integer" or (self.low is None and self.high is None):
            return self.kind
        return f"integer {'' if self.low is None else self.low}..{'' if self.high is None else self.high}"


@dataclass(frozen=True)
class SavedQuery:
    name: str
    text: str
    title: str = ""
    description: str = ""
    params: tuple[Param, ...] = field(default_factory=tuple)

    def param(self, name: str) -> Param:
        for param in self.params:
            if param.name == name:
                return param
        known = ", ".join(p.name for p in self.params) or "none"
        raise QueryError(f"unknown parameter {name!r} for {self.name} (its parameters: {known})")


def parse_saved_query(name: str, text: str, origin: str) -> SavedQuery:
    """Read the `#+ key: value` header at the top of a query file."""
    fields: dict[str, str] = {}
    params: list[Param] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.startswith("#"):
            if line.strip():
                break
            continue
        m = _HEADER.match(line)
        if not m:
            continue
        key, value = m["key"], m["value"]
        if key == "param":
            params.append(parse_param(value, f"{origin}:{number}"))
        elif key in ("title", "description"):
            fields[key] = value
        else:
            raise QueryError(f"{origin}:{number}: unknown header key {key!r} (expected title, description or param)")
    names = [p.name for p in params]
    if len(set(names)) != len(names):
        raise QueryError(f"{origin}: a parameter is declared twice ({', '.join(names)})")
    for param in params:
        if not re.search(rf"[?$]{param.name}\b", text):
            raise QueryError(f"{origin}: parameter {param.name!r} is not a variable of the query")
    integers = {p.name for p in params if p.kind == "integer"}
    for index, parameter, _ in conditional_lines(text):
        if parameter not in integers:
            raise QueryError(f"{origin}:{index + 1}: `#+ when` names {parameter!r}, not an integer parameter")
    return SavedQuery(name, text, fields.get("title", ""), fields.get("description", ""), tuple(params))


def conditional_lines(text: str) -> list[tuple[int, str, int]]:
    """(line index, parameter, lowest value) of each line that ends in a `#+ when NAME >= N` comment."""
    found = []
    for token in _TOKENS.finditer(text):
        m = _WHEN.fullmatch(token.group()) if token.lastgroup == "comment" else None
        if m:
            found.append((text.count("\n", 0, token.start()), m["name"], int(m["low"])))
    return found


def text_for(query: SavedQuery, bindings: dict[str, NamedNode | Literal]) -> str:
    """The query's text without the lines whose `#+ when` condition the bound values fail."""
    left_out = {line for line, name, low in conditional_lines(query.text) if int(bindings[name].value) < low}
    if not left_out:
        return query.text
    return "\n".join(line for number, line in enumerate(query.text.split("\n")) if number not in left_out)


def parse_param(spec: str, where: str) -> Param:
    m = _PARAM.match(spec)
    if not m:
        raise QueryError(
            f"{where}: cannot read parameter {spec!r}: expected "
            f"'NAME TYPE [= DEFAULT] -- description' with TYPE string, integer, heading or paper"
        )
    low, high = (int(m[k]) if m[k] not in (None, "") else None for k in ("low", "high"))
    default = m["default"].strip('"') if m["default"] else None
    param = Param(m["name"], m["kind"], m["description"], default, low, high)
    if default is not None and param.kind == "integer":
        integer_value(param, default)  # a default outside its own range is a defect of the file
    return param


def saved_queries() -> dict[str, SavedQuery]:
    """Every query shipped in kg/queries, by name (the file's stem)."""
    folder = resources.files("kg").joinpath("queries")
    found = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".rq"):
            name = entry.name[:-3]
            found[name] = parse_saved_query(name, entry.read_text(encoding="utf-8"), f"kg/queries/{entry.name}")
    return found


def load_query(spec: str) -> SavedQuery:
    """A saved query's name, a .rq/.sparql file (its header read the same way), or SPARQL text."""
    queries = saved_queries()
    if spec in queries:
        return queries[spec]
    if spec.endswith(QUERY_FILE_SUFFIXES):
        path = Path(spec)
        if not path.is_file():
            raise QueryError(f"{spec}: no such query file")
        return parse_saved_query(path.stem, path.read_text(encoding="utf-8"), spec)
    if _NAME.match(spec):
        close = difflib.get_close_matches(spec, list(queries), n=3)
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        raise QueryError(f"no saved query named {spec!r}{hint} (`kg queries` lists them)")
    return SavedQuery("query", spec)


def parse_assignments(pairs: tuple[str, ...] | list[str]) -> dict[str, str]:
    """`name=value` pairs from the command line."""
    given: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise QueryError(f"--param {pair!r}: expected NAME=VALUE, e.g. --param depth=2")
        given[name.strip()] = value.strip()
    return given


def run_saved(graph, query: SavedQuery, given: dict[str, str]):
    """Run a saved query with the given parameter values on a KnowledgeGraph or an Endpoint."""
    bindings = bind_params(graph, query, given)
    return run_query(graph, with_values(text_for(query, bindings), bindings))


def bind_params(graph, query: SavedQuery, given: dict[str, str]) -> dict[str, NamedNode | Literal]:
    """Check given values against the query's parameters and turn them into RDF terms.

    `graph` is what the query will run on (a KnowledgeGraph or a remote Endpoint): headings
    and papers are looked up there.
    """
    for name in given:
        query.param(name)
    bindings = {}
    for param in query.params:
        value = given.get(param.name, param.default)
        if value is None:
            raise QueryError(f"parameter {param.name!r} of {query.name} is required (no default): {param.description}")
        bindings[param.name] = term_for(graph, param, value)
    return bindings


def term_for(graph, param: Param, value: str) -> NamedNode | Literal:
    if param.kind == "string":
        if not value:
            raise QueryError(f"parameter {param.name!r}: expected some text, got nothing")
        return Literal(value)
    if param.kind == "integer":
        return Literal(str(integer_value(param, value)), datatype=xsd.integer)
    if param.kind == "heading":
        return find_one(
            graph,
            param,
            value,
            HEADING_LOOKUP,
            "heading",
            "a heading label (Pruning), key (model-compression/pruning) or IRI",
        )
    return find_one(
        graph, param, value, PAPER_LOOKUP, "paper", "an arXiv id, DOI, Semantic Scholar id, IRI, or (part of) its title"
    )


def integer_value(param: Param, value: str) -> int:
    low, high = param.low, param.high
    if low is not None and high is not None:
        expected = f"an integer from {low} to {high}"
    elif low is not None:
        expected = f"an integer of at least {low}"
    elif high is not None:
        expected = f"an integer of at most {high}"
    else:
        expected = "an integer"
    try:
        number = int(value)
    except ValueError:
        raise QueryError(f"parameter {param.name!r}: expected {expected}, got {value!r}") from None
    if (low is not None and number < low) or (high is not None and number > high):
        raise QueryError(f"parameter {param.name!r}: expected {expected}, got {number}")
    return number


# Lookups match a value exactly (case aside) first, then as part of a label or title;
# `?ref`, the value, is bound like any parameter. An IRI, or a value exactly one paper's
# identifier or title is as written, names its node before either (node_named).
HEADING_LOOKUP = """
SELECT DISTINCT ?found ?label ?exact WHERE {
  ?found a skos:Concept ; skos:prefLabel ?label .
  BIND(LCASE(STR(?ref)) AS ?wanted)
  BIND(LCASE(STR(?label)) = ?wanted || STR(?found) = STR(?ref)
       || STRENDS(LCASE(STR(?found)), CONCAT("/", ?wanted)) AS ?exact)
  FILTER(?exact || CONTAINS(LCASE(STR(?label)), ?wanted))
}
ORDER BY ?found
"""

PAPER_PROPERTIES = """dcterms:identifier akg:arxiv akg:doi akg:s2PaperId akg:aclId akg:openReviewId
                     akg:pmlrId akg:ieeeDocument dcterms:title akg:sourceTitle dcterms:alternative"""

PAPER_LOOKUP = f"""
SELECT DISTINCT ?found ?label ?exact WHERE {{
  VALUES ?property {{ {PAPER_PROPERTIES} }}
  ?found a fabio:Expression ; ?property ?value .
  BIND(LCASE(STR(?ref)) AS ?wanted)
  BIND(LCASE(STR(?value)) = ?wanted || STR(?found) = STR(?ref) AS ?exact)
  FILTER(?exact || (?property IN (dcterms:title, akg:sourceTitle, dcterms:alternative)
                    && CONTAINS(LCASE(STR(?value)), ?wanted)))
  OPTIONAL {{ ?found dcterms:title ?title }}
  BIND(COALESCE(?title, STR(?found)) AS ?label)
}}
ORDER BY ?found
"""

# The papers an identifier or a title names exactly as written: look-ups, not a read of every value.
EXACT_PAPER_LOOKUP = f"""
SELECT DISTINCT ?found WHERE {{
  VALUES ?property {{ {PAPER_PROPERTIES} }}
  ?found ?property ?ref .
  ?found a fabio:Expression .
}}
"""


def find_one(graph, param: Param, value: str, lookup: str, what: str, forms: str) -> NamedNode:
    """The one heading or paper a value names; none or several is an error that says which."""
    ref = value.strip().removeprefix("<").removesuffix(">")
    if not ref:
        raise QueryError(f"parameter {param.name!r}: expected {forms}, got nothing")
    named = node_named(graph, ref, what)
    if named is not None:
        return named
    rows = [
        (row["found"], row["label"].value, row["exact"].value == "true")
        for row in run_query(graph, with_values(lookup, {"ref": Literal(ref)}))
    ]
    exact = {node: label for node, label, is_exact in rows if is_exact}
    matches = exact or {node: label for node, label, _ in rows}
    if len(matches) == 1:
        return next(iter(matches))
    if not matches:
        raise QueryError(f"parameter {param.name!r}: no {what} in the graph matches {value!r} (expected {forms})")
    first = sorted(matches.items(), key=lambda match: match[0].value)[:10]
    shown = "\n".join(f"  {node.value}  {label}" for node, label in first)
    more = f"\n  ... and {len(matches) - 10} more" if len(matches) > 10 else ""
    raise QueryError(
        f"parameter {param.name!r}: {value!r} matches {len(matches)} {what}s; "
        f"give one of these IRIs (or a longer key):\n{shown}{more}"
    )


NODE_CLASSES = {"heading": "skos:Concept", "paper": "fabio:Expression"}


def node_named(graph, ref: str, what: str) -> NamedNode | None:
    """The heading or paper whose IRI `ref` is, or the one paper an identifier or title names exactly as
    written, found at once: the lookups read every label or title (10 s a paper at 20,000 papers)."""
    try:
        node = NamedNode(ref)
    except ValueError:
        pass
    else:
        query = f"SELECT ?found WHERE {{ ?found a {NODE_CLASSES[what]} }}"
        if list(run_query(graph, with_values(query, {"found": node}))):
            return node
    if what != "paper":
        return None
    found = {row["found"] for row in run_query(graph, with_values(EXACT_PAPER_LOOKUP, {"ref": Literal(ref)}))}
    return found.pop() if len(found) == 1 else None


_TOKENS = re.compile(
    r"""
    (?P<comment>\#[^\n]*)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
               |"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$]\w+)
  | (?P<word>[A-Za-z_][\w\-.]*(?::[\w\-.%]*)?|:[\w\-.%]*)
  | (?P<open>\{)
  | (?P<close>\})
  | (?P<other>.)
""",
    re.X | re.S,
)


def where_group_start(text: str) -> int:
    """Offset just inside the `{` that opens the query's top-level WHERE group."""
    depth, after_where, first_open = 0, False, None
    for token in _TOKENS.finditer(text):
        kind = token.lastgroup
        if kind == "open":
            if depth == 0:
                if after_where:
                    return token.end()
                first_open = token.end() if first_open is None else first_open
            depth += 1
        elif kind == "close":
            depth -= 1
        elif kind == "word" and depth == 0 and token.group().upper() == "WHERE":
            after_where = True
    if first_open is None:
        raise QueryError("the query has no { ... } group to bind parameters in")
    return first_open


def with_values(text: str, bindings: dict[str, NamedNode | Literal] | None) -> str:
    """The query with its parameters bound by a VALUES block opening its WHERE group."""
    if not bindings:
        return text
    names = " ".join(f"?{name}" for name in bindings)
    terms = " ".join(str(term) for term in bindings.values())
    at = where_group_start(text)
    return f"{text[:at]} VALUES ({names}) {{ ({terms}) }}{text[at:]}"
