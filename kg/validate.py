"""SHACL validation of a build against ontology/shapes.ttl.

Graphs of list size go through pyshacl. Past PYSHACL_LIMIT triples pyshacl takes
minutes (about 0.1 ms a triple here), so the same shapes are compiled to SPARQL and
run inside Oxigraph: the SHACL core subset our shapes use (targetClass,
targetSubjectsOf, class, datatype, min/maxCount, nodeKind, pattern, numeric ranges;
IRI and inverse paths). Class membership is rdf:type as stated: a build holds no
rdfs:subClassOf triples, so this is what pyshacl sees too. tests/test_validate.py
holds both engines to the same verdicts. A shape using anything else is refused
rather than skipped.

The queries are written for speed at 20,000 papers (139 checks over 1.4 M triples took 15 s):
a constraint is tested on every subject of its property, without joining the shape's
target class (the join is most of the cost), and only the few subjects that fail are then
checked for the target; a minCount of 1 is a NOT EXISTS, a class a MINUS.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from operator import itemgetter

import pyoxigraph as ox

from kg.statements import XSD, StatementIndex, Term, from_quad
from kg.store import KnowledgeGraph

PYSHACL_LIMIT = 20_000
SH = "http://www.w3.org/ns/shacl#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
SUPPORTED = {
    "path",
    "message",
    "minCount",
    "maxCount",
    "datatype",
    "class",
    "nodeKind",
    "pattern",
    "minInclusive",
    "maxInclusive",
    "minExclusive",
    "maxExclusive",
    "property",
    "targetClass",
    "targetSubjectsOf",
    "severity",
    "name",
    "description",
    "order",
    "flags",
}
NODE_KIND_TESTS = {"IRI": "isIRI(?v)", "Literal": "isLiteral(?v)", "BlankNode": "isBlank(?v)"}
RANGE_TESTS = {"minInclusive": ">=", "maxInclusive": "<=", "minExclusive": ">", "maxExclusive": "<"}


class ValidationFailed(Exception):
    """The graph breaks the shapes; the message is a readable report."""


@dataclass(frozen=True)
class Violation:
    focus: str
    path: str | None
    value: str | None
    message: str

    def __str__(self) -> str:
        where = f" {self.path}" if self.path else ""
        value = f" (value {self.value})" if self.value is not None else ""
        return f"{self.focus}{where}: {self.message}{value}"


@dataclass(frozen=True)
class Check:
    """One constraint as a SPARQL query; its solutions are the violations of its focus nodes that
    have the shape's target (when `targeted` is false, the query leaves the target to Python)."""

    sparql: str
    bindings: dict
    path: ox.NamedNode | None
    message: str
    per_value: bool = True
    python_pattern: re.Pattern | None = None  # solutions are violations only where this does not match
    target: tuple[str, ox.NamedNode] | None = None  # ("targetClass" | "targetSubjectsOf", node) still to test


def shapes_text() -> str:
    return resources.files("kg.ontology").joinpath("shapes.ttl").read_text(encoding="utf-8")


def validate(graph: KnowledgeGraph | StatementIndex, engine: str | None = None) -> None:
    """Raise ValidationFailed with a report when any shape is violated. The engine is "pyshacl",
    "sparql" or "python"; by default a build's statements are checked in Python, and a graph by
    pyshacl up to PYSHACL_LIMIT triples, by the SPARQL checks past it."""
    if isinstance(graph, StatementIndex):
        engine = engine or "python"
        if engine != "python":
            graph = KnowledgeGraph(graph.statements())
    else:
        engine = engine or ("pyshacl" if len(graph) <= PYSHACL_LIMIT else "sparql")
    violations = ENGINES[engine](graph)  # type: ignore[operator,arg-type]
    if violations:
        shown = sorted(str(v) for v in violations)
        more = f"\n... and {len(shown) - 50} more" if len(shown) > 50 else ""
        raise ValidationFailed(f"{len(shown)} violation(s):\n" + "\n".join(shown[:50]) + more)


def pyshacl_violations(graph: KnowledgeGraph) -> set[Violation]:
    import rdflib
    from pyshacl import validate as shacl_validate

    data = rdflib.Graph()
    union = dict.fromkeys(q.triple for q in graph.store)
    data.parse(data=ox.serialize(list(union), format=ox.RdfFormat.N_TRIPLES), format="nt")
    shapes = rdflib.Graph().parse(data=shapes_text(), format="turtle")
    conforms, results, _ = shacl_validate(data, shacl_graph=shapes, inference="none", advanced=False)
    sh = rdflib.Namespace(SH)
    found = set()
    for result in results.subjects(rdflib.RDF.type, sh.ValidationResult):
        path = results.value(result, sh.resultPath)
        value = results.value(result, sh.value)
        found.add(
            Violation(
                f"<{results.value(result, sh.focusNode)}>",
                f"<{path}>" if isinstance(path, rdflib.URIRef) else None,
                None if value is None else str(value),
                str(results.value(result, sh.resultMessage)),
            )
        )
    return found


def sparql_violations(graph: KnowledgeGraph) -> set[Violation]:
    from kg.vocab import PREFIXES

    same_query: dict[tuple, list[Check]] = {}  # shapes sharing a property constraint share its query
    for check in compile_shapes(shapes_text()):
        same_query.setdefault((check.sparql, tuple(sorted(check.bindings.items(), key=str))), []).append(check)
    found = set()
    for (sparql, _), checks in same_query.items():
        rows = list(
            solutions(
                graph.store.query(
                    sparql, substitutions=checks[0].bindings, prefixes=PREFIXES, use_default_graph_as_union=True
                )
            )
        )
        for check in checks:
            for row in rows:
                value = row["v"].value if check.per_value else None
                if (
                    check.python_pattern
                    and not isinstance(row["v"], ox.BlankNode)
                    and check.python_pattern.search(value)
                ):
                    continue
                if check.target and not has_target(graph.store, row["focus"], check.target):
                    continue
                found.add(Violation(str(row["focus"]), str(check.path) if check.path else None, value, check.message))
    return found


def has_target(store: ox.Store, focus, target: tuple[str, ox.NamedNode]) -> bool:
    """Whether a node is a focus node of a shape: of its target class, or a subject of its target property."""
    kind, node = target
    pattern = (focus, RDF_TYPE, node) if kind == "targetClass" else (focus, node, None)
    return next(iter(store.quads_for_pattern(*pattern)), None) is not None


def python_violations(source: KnowledgeGraph | StatementIndex) -> set[Violation]:
    """The shapes checked in Python over the statements grouped by predicate: what the build runs on
    the statements it has just made, before a file is written (the same subset and verdicts as the
    SPARQL checks; tests/test_validate.py holds all three engines to pyshacl's)."""
    index = StatementIndex(map(from_quad, source.store)) if isinstance(source, KnowledgeGraph) else source
    checker = PythonChecker(index)
    found: set[Violation] = set()
    for shape in read_shapes(shapes_text()):
        found |= checker.shape(shape)
    return found


@dataclass
class Shape:
    """A node shape's constraints: local names of sh: properties -> their values (pyoxigraph terms)."""

    node: dict[str, list]
    properties: list[dict[str, list]]


def read_shapes(turtle: str) -> list[Shape]:
    shapes = ox.Store()
    shapes.load(turtle.encode("utf-8"), format=ox.RdfFormat.TURTLE)
    found = []
    for (shape,) in solutions(shapes.query(f"SELECT DISTINCT ?s WHERE {{ ?s a <{SH}NodeShape> }} ORDER BY ?s")):
        node = constraints_of(shapes, shape)
        target_pattern(node)  # refuses a shape without a target
        properties = [
            constraints_of(shapes, quad.object)
            for quad in shapes.quads_for_pattern(shape, ox.NamedNode(SH + "property"), None)
        ]
        found.append(Shape(node, properties))
    return found


NUMERIC = {XSD + name for name in ("integer", "decimal", "double", "float", "int", "long", "nonNegativeInteger")}


class PythonChecker:
    """SHACL core constraints over a StatementIndex, with the SPARQL checks' semantics. A value
    constraint tests each distinct value of its property once, and only a refused value is looked for
    among the statements and matched to the focus nodes; counts are of statements per node, and of
    distinct values only where a node has more statements than the limit allows. No (node, value) pair
    is made for what passes: at 100,000 papers those pairs were most of the checks' 14 s of CPU (now 4 s)."""

    def __init__(self, index: StatementIndex):
        self.index = index
        self.members: dict[str, set[str]] = {}  # class -> nodes typed with it
        for subject, value, _ in index.by_predicate.get(RDF_TYPE.value, ()):
            if type(value) is str:
                found = self.members.get(value)
                if found is None:
                    found = self.members[value] = set()
                found.add(subject)
        self.edges_cache: dict[tuple[str, bool], list[tuple[str, Term, str]]] = {}
        self.counts_cache: dict[tuple[str, bool], Counter[str]] = {}
        self.values_cache: dict[tuple[str, bool], set[Term]] = {}

    def edges(self, path: str, inverse: bool) -> list[tuple[str, Term, str]]:
        """(focus node, value, graph) of every statement along the path (for an inverse path the
        value is the subject, and only IRI objects are focus nodes); repeats across graphs kept."""
        rows = self.index.by_predicate.get(path, [])
        if not inverse:
            return rows
        key = (path, inverse)
        if key not in self.edges_cache:
            self.edges_cache[key] = [(value, subject, graph) for subject, value, graph in rows if type(value) is str]
        return self.edges_cache[key]

    def statement_counts(self, path: str, inverse: bool) -> Counter[str]:
        """Statements per focus node along the path: at least its distinct values, so a node is checked
        value by value only where this passes a limit."""
        key = (path, inverse)
        if key not in self.counts_cache:
            self.counts_cache[key] = Counter(map(itemgetter(0), self.edges(path, inverse)))
        return self.counts_cache[key]

    def distinct_values(self, path: str, inverse: bool) -> set[Term]:
        """The distinct values along the path: each is tested once, however many nodes have it."""
        key = (path, inverse)
        if key not in self.values_cache:
            self.values_cache[key] = set(map(itemgetter(1), self.edges(path, inverse)))
        return self.values_cache[key]

    def focus_nodes(self, node: dict) -> set[str]:
        if "targetClass" in node:
            return self.members.get(node["targetClass"][0].value, set())
        return set(self.statement_counts(node["targetSubjectsOf"][0].value, False))

    def shape(self, shape: Shape) -> set[Violation]:
        focus = self.focus_nodes(shape.node)
        message = text_of(shape.node, "message", "the shape's node constraint")
        found = set()
        for kind in shape.node.get("class", []):
            found |= {Violation(f"<{f}>", None, None, message) for f in focus - self.members.get(kind.value, set())}
        for prop in shape.properties:
            found |= self.property(prop, focus)
        return found

    def property(self, prop: dict, focus: set[str]) -> set[Violation]:
        inverse = "inverse" in prop
        path = (prop["inverse"] if inverse else prop["path"])[0].value
        shown = None if inverse else f"<{path}>"
        message = text_of(prop, "message", f"constraint on {path}")
        rows = self.edges(path, inverse)
        failing: set[str] = set()  # focus nodes with too few or too many distinct values
        if "minCount" in prop or "maxCount" in prop:
            counts = self.statement_counts(path, inverse)
            for limit in prop.get("minCount", []):
                least = int(limit.value)
                fewer = focus - counts.keys() if least == 1 else {f for f in focus if counts[f] < least}
                maybe = set() if least == 1 else {f for f in focus if counts[f] >= least}
                failing |= fewer | {f for f, n in distinct_counts(rows, maybe).items() if n < least}
            for limit in prop.get("maxCount", []):
                most = int(limit.value)
                maybe = {f for f, n in counts.items() if n > most and f in focus}
                failing |= {f for f, n in distinct_counts(rows, maybe).items() if n > most}
        values = self.distinct_values(path, inverse)
        refused: set[Term] = set()  # values a value constraint refuses
        for datatype in prop.get("datatype", []):
            kind = datatype.value
            refused |= {v for v in values if type(v) is str or v[1] != kind}
        for kind in prop.get("class", []):
            refused |= values - self.members.get(kind.value, set())
        for kind in prop.get("nodeKind", []):
            iri = kind.value == SH + "IRI"
            refused |= {v for v in values if (type(v) is str) != iri}
        for pattern in prop.get("pattern", []):
            regex = re.compile(pattern.value)
            refused |= {v for v in values if not regex.search(v if type(v) is str else v[0])}
        for name, operator in RANGE_TESTS.items():
            for limit in prop.get(name, []):
                bound = float(limit.value)
                refused |= {v for v in values if not in_range(v, operator, bound)}
        bad = {(f, v) for f, v, _ in rows if v in refused and f in focus} if refused else set()
        return {Violation(f"<{f}>", shown, None, message) for f in failing} | {
            Violation(f"<{f}>", shown, v if type(v) is str else v[0], message) for f, v in bad
        }


def distinct_counts(rows: list[tuple[str, Term, str]], nodes: set[str]) -> Counter[str]:
    """Distinct values per node, for the few nodes given (a value stated in two graphs counts once)."""
    if not nodes:
        return Counter()
    return Counter(f for f, _ in {(f, v) for f, v, _ in rows if f in nodes})


def in_range(value, operator: str, limit: float) -> bool:
    """A numeric literal's comparison; anything else cannot be compared, which SPARQL's FILTER and so
    the SPARQL checks take as no violation."""
    if type(value) is str or value[1] not in NUMERIC:
        return True
    try:
        number = float(value[0])
    except ValueError:
        return True
    return {">=": number >= limit, "<=": number <= limit, ">": number > limit, "<": number < limit}[operator]


ENGINES = {"pyshacl": pyshacl_violations, "sparql": sparql_violations, "python": python_violations}


def solutions(result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples) -> ox.QuerySolutions:
    """The rows of a SELECT (every check and shape query here is one)."""
    assert isinstance(result, ox.QuerySolutions), "expected a SELECT query"
    return result


def compile_shapes(turtle: str) -> list[Check]:
    """Every constraint of every shape as one SPARQL check (targets, path and values bound)."""
    shapes = ox.Store()
    shapes.load(turtle.encode("utf-8"), format=ox.RdfFormat.TURTLE)
    checks: list[Check] = []
    for (shape,) in solutions(shapes.query(f"SELECT DISTINCT ?s WHERE {{ ?s a <{SH}NodeShape> }} ORDER BY ?s")):
        node = constraints_of(shapes, shape)
        target = target_pattern(node)
        message = text_of(node, "message", "the shape's node constraint")
        for kind in node.get("class", []):
            checks.append(
                Check(
                    f"SELECT DISTINCT ?focus ?target ?class WHERE {{ {target} FILTER NOT EXISTS "
                    "{ ?focus a ?class } }",
                    {**target_binding(node), "class": kind},
                    None,
                    message,
                    per_value=False,
                )
            )
        for quad in shapes.quads_for_pattern(shape, ox.NamedNode(SH + "property"), None):
            checks.extend(
                property_checks(constraints_of(shapes, quad.object), target, target_binding(node), target_of(node))
            )
    return [
        Check(
            c.sparql,
            {ox.Variable(k): v for k, v in c.bindings.items()},
            c.path,
            c.message,
            c.per_value,
            c.python_pattern,
            c.target,
        )
        for c in checks
    ]


def constraints_of(shapes: ox.Store, node) -> dict[str, list]:
    """A shape's sh: constraints by local name; refuses what the SPARQL engine cannot check."""
    values: dict[str, list] = {}
    for quad in shapes.quads_for_pattern(node, None, None):
        name = quad.predicate.value.removeprefix(SH)
        if quad.predicate.value.startswith(SH):
            if name not in SUPPORTED:
                raise ValueError(f"shapes.ttl uses sh:{name}, which the SPARQL validator does not implement")
            values.setdefault(name, []).append(quad.object)
    if "path" in values and isinstance(values["path"][0], ox.BlankNode):
        inverse = list(shapes.quads_for_pattern(values["path"][0], ox.NamedNode(SH + "inversePath"), None))
        if not inverse:
            raise ValueError("shapes.ttl uses a property path other than an IRI or sh:inversePath")
        values["inverse"] = [inverse[0].object]
    return values


def target_pattern(node: dict) -> str:
    if "targetClass" in node:
        return "?focus a ?target ."
    if "targetSubjectsOf" in node:
        return "?focus ?target ?anything ."
    raise ValueError("every shape in shapes.ttl needs sh:targetClass or sh:targetSubjectsOf")


def target_binding(node: dict) -> dict:
    return {"target": (node.get("targetClass") or node["targetSubjectsOf"])[0]}


def target_of(node: dict) -> tuple[str, ox.NamedNode]:
    kind = "targetClass" if "targetClass" in node else "targetSubjectsOf"
    return kind, node[kind][0]


def text_of(values: dict, name: str, default: str) -> str:
    return values[name][0].value if values.get(name) else default


def property_checks(prop: dict, target: str, bound: dict, focus_of: tuple[str, ox.NamedNode]) -> list[Check]:
    """One check per constraint of a property shape. Only minCount joins the target (it is about
    nodes with no value); the others run over the property's triples and leave the target to Python."""
    inverse = "inverse" in prop
    path = (prop["inverse"] if inverse else prop["path"])[0]
    step = "?v ?path ?focus ." if inverse else "?focus ?path ?v ."
    message = text_of(prop, "message", f"constraint on {path.value}")
    shown_path = None if inverse else path
    targeted = {**bound, "path": path}
    bound = {"path": path}
    checks = []

    def each_value(condition: str, extra: dict) -> None:
        names = " ".join(f"?{k}" for k in extra)
        checks.append(
            Check(
                f"SELECT DISTINCT ?focus ?v ?path {names} WHERE {{ {step} FILTER({condition}) }}",
                {**bound, **extra},
                shown_path,
                message,
                target=focus_of,
            )
        )

    if "minCount" in prop:
        keys = " ".join(f"?{k}" for k in targeted)
        if prop["minCount"][0].value == "1":
            checks.append(
                Check(
                    f"SELECT ?focus {keys} WHERE {{ {target} FILTER NOT EXISTS {{ {step} }} }}",
                    targeted,
                    shown_path,
                    message,
                    per_value=False,
                )
            )
        else:
            checks.append(
                Check(
                    f"SELECT ?focus {keys} ?min WHERE {{ {target} OPTIONAL {{ {step} }} }} "
                    f"GROUP BY ?focus {keys} ?min HAVING (COUNT(DISTINCT ?v) < ?min)",
                    {**targeted, "min": prop["minCount"][0]},
                    shown_path,
                    message,
                    per_value=False,
                )
            )
    if "maxCount" in prop:
        checks.append(
            Check(
                f"SELECT ?focus ?path ?max WHERE {{ {step} }} "
                "GROUP BY ?focus ?path ?max HAVING (COUNT(DISTINCT ?v) > ?max)",
                {**bound, "max": prop["maxCount"][0]},
                shown_path,
                message,
                per_value=False,
                target=focus_of,
            )
        )
    for datatype in prop.get("datatype", []):
        each_value("!isLiteral(?v) || datatype(?v) != ?datatype", {"datatype": datatype})
    for kind in prop.get("class", []):
        checks.append(
            Check(
                f"SELECT DISTINCT ?focus ?v ?path ?class WHERE {{ {step} MINUS {{ ?v a ?class }} }}",
                {**bound, "class": kind},
                shown_path,
                message,
                target=focus_of,
            )
        )
    for kind in prop.get("nodeKind", []):
        each_value(f"!{NODE_KIND_TESTS[kind.value.removeprefix(SH)]}", {})
    for pattern in prop.get("pattern", []):  # matched in Python: Oxigraph compiles a bound regex per row
        checks.append(
            Check(
                f"SELECT DISTINCT ?focus ?v ?path WHERE {{ {step} }}",
                bound,
                shown_path,
                message,
                python_pattern=re.compile(pattern.value),
                target=focus_of,
            )
        )
    for name, operator in RANGE_TESTS.items():
        for limit in prop.get(name, []):
            each_value(f"!(?v {operator} ?limit)", {"limit": limit})
    return checks
