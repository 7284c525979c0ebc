"""SHACL validation of a build against ontology/shapes.ttl (pyshacl)."""
from __future__ import annotations

from importlib import resources

from kg.store import KnowledgeGraph


class ValidationFailed(Exception):
    """The graph breaks the shapes; the message is pyshacl's readable report."""


def shapes_text() -> str:
    return resources.files("kg.ontology").joinpath("shapes.ttl").read_text(encoding="utf-8")


def validate(graph: KnowledgeGraph) -> None:
    """Raise ValidationFailed with the report when any shape is violated."""
    import pyoxigraph as ox
    import rdflib
    from pyshacl import validate as shacl_validate

    data = rdflib.Graph()
    union = dict.fromkeys(q.triple for q in graph.store)
    data.parse(data=ox.serialize(list(union), format=ox.RdfFormat.N_TRIPLES), format="nt")
    shapes = rdflib.Graph().parse(data=shapes_text(), format="turtle")
    conforms, _, report = shacl_validate(data, shacl_graph=shapes, inference="none", advanced=False)
    if not conforms:
        raise ValidationFailed(report)
