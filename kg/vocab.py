"""The vocabulary contract (see DESIGN.md): namespaces, prefixes and how IRIs are minted.

IRIs depend only on identifiers, never on build order or enrichment state, so the
same paper keeps its IRI across rebuilds and across versions of the list.
"""

from __future__ import annotations

from pyoxigraph import NamedNode

from kg.identifiers import iri_path, slugify

AKG = "https://w3id.org/awesome-kg/ontology#"
ID = "https://w3id.org/awesome-kg/id/"

PREFIXES = {
    "akg": AKG,
    "cito": "http://purl.org/spar/cito/",
    "fabio": "http://purl.org/spar/fabio/",
    "dcterms": "http://purl.org/dc/terms/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "prov": "http://www.w3.org/ns/prov#",
    "schema": "https://schema.org/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
}


class Namespace:
    """`ns.term` or `ns["term"]` gives the NamedNode of a term."""

    def __init__(self, base: str):
        self.base = base
        self.terms: dict[str, NamedNode] = {}

    def __getattr__(self, name: str) -> NamedNode:
        if name.startswith("__"):
            raise AttributeError(name)
        term = self.__dict__[name] = self[name]  # later `ns.term` is a plain attribute: the mapping reads millions
        return term

    def __getitem__(self, name: str) -> NamedNode:
        term = self.terms.get(name)
        if term is None:
            term = self.terms[name] = NamedNode(self.base + name)
        return term


class Terms:
    """`terms.name` gives a term's IRI as a plain string: what the build's statements (kg.statements) hold."""

    def __init__(self, base: str):
        self.base = base

    def __getattr__(self, name: str) -> str:
        if name.startswith("__"):
            raise AttributeError(name)
        term = self.__dict__[name] = self.base + name
        return term

    def __getitem__(self, name: str) -> str:
        return self.base + name


akg = Namespace(AKG)
cito = Namespace(PREFIXES["cito"])
fabio = Namespace(PREFIXES["fabio"])
dcterms = Namespace(PREFIXES["dcterms"])
skos = Namespace(PREFIXES["skos"])
foaf = Namespace(PREFIXES["foaf"])
prov = Namespace(PREFIXES["prov"])
schema = Namespace(PREFIXES["schema"])
xsd = Namespace(PREFIXES["xsd"])
rdf = Namespace(PREFIXES["rdf"])
rdfs = Namespace(PREFIXES["rdfs"])

# Named graphs: what the list says and what each outside source says are kept apart.
LIST_GRAPH = NamedNode(ID + "graph/list")
S2_GRAPH = NamedNode(ID + "graph/semantic-scholar")
SNAPSHOT_GRAPH = NamedNode(ID + "graph/snapshot")
PROVENANCE_GRAPH = NamedNode(ID + "graph/provenance")
CLUSTER_GRAPH = NamedNode(ID + "graph/clusters")
COUNTS_GRAPH = NamedNode(ID + "graph/counts")


# The same terms as plain strings, for the build's statements.
TERMS = {name: Terms(base) for name, base in PREFIXES.items()}
GRAPH_IRIS = {
    "list": LIST_GRAPH.value,
    "semantic-scholar": S2_GRAPH.value,
    "snapshot": SNAPSHOT_GRAPH.value,
    "provenance": PROVENANCE_GRAPH.value,
    "clusters": CLUSTER_GRAPH.value,
    "counts": COUNTS_GRAPH.value,
}

# IRIs are minted as strings; `NamedNode(iri)` where a pyoxigraph term is needed.


def paper_iri(key: str) -> str:
    """A paper's IRI from its identity key (`arxiv:2402.07033`, `doi:...`, `s2:...`)."""
    return ID + "paper/" + iri_path(key)


def list_iri(slug: str) -> str:
    return f"{ID}list/{slug}"


def scheme_iri(slug: str) -> str:
    return f"{ID}list/{slug}/taxonomy"


def heading_iri(slug: str, heading_key: str) -> str:
    return f"{ID}list/{slug}/heading/{heading_key}"


def model_iri(name: str) -> str:
    return f"{ID}model/{slugify(name)}"


def person_iri(author_id: str | None, name: str) -> str:
    """Semantic Scholar author id when known, else the name (two people may share it)."""
    return f"{ID}person/s2/{author_id}" if author_id else f"{ID}person/name/{slugify(name)}"
