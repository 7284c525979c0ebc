"""The graph of a build, held in the embedded Oxigraph store.

Loading and serializing go straight through Oxigraph (rdflib's own Turtle writer is
about 40 times slower); quads are sorted before writing so the same graph always
gives byte-identical files. SPARQL runs in Oxigraph with the common prefixes
predeclared and the union of the named graphs as the default graph.
"""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox

from kg.vocab import PREFIXES

GRAPH_FILES = {
    "graph.ttl": ox.RdfFormat.TURTLE,
    "graph.nt": ox.RdfFormat.N_TRIPLES,
    "graph.jsonld": ox.RdfFormat.JSON_LD,
    "graph.trig": ox.RdfFormat.TRIG,
}


class KnowledgeGraph:
    """A build's quads in an embedded Oxigraph store, queryable with SPARQL."""

    def __init__(self, quads: Iterable[ox.Quad] = ()):
        self.store = ox.Store()
        self.store.extend(list(quads))

    @classmethod
    def load(cls, path: str | Path) -> KnowledgeGraph:
        """A build folder (its graph.trig) or any RDF file Oxigraph reads."""
        path = Path(path)
        if path.is_dir():
            path = path / "graph.trig"
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such graph file (run `kg build` first?)")
        graph = cls()
        fmt = ox.RdfFormat.from_extension(path.suffix.lstrip(".")) or ox.RdfFormat.TURTLE
        graph.store.bulk_load(path=str(path), format=fmt)
        return graph

    def __len__(self) -> int:
        return len(self.store)

    def query(self, sparql: str, bindings: dict[str, ox.NamedNode | ox.Literal] | None = None):
        """Run SPARQL with the common prefixes; `bindings` are substituted, never pasted in."""
        substitutions: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = {
            ox.Variable(name): value for name, value in (bindings or {}).items()}
        return self.store.query(sparql, prefixes=PREFIXES, use_default_graph_as_union=True,
                                substitutions=substitutions)

    def write(self, folder: str | Path) -> list[Path]:
        """Write graph.ttl/.nt/.jsonld (union of graphs) and graph.trig (named graphs kept).

        Each named graph is dumped by Oxigraph as N-Triples and its lines sorted: a canonical
        order that does not depend on how the store was filled, with no Python object per
        triple until the Turtle, JSON-LD and TriG writers need them.
        """
        folder = Path(folder)
        graphs = {str(g): sorted_lines(in_memory(self.store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=g)))
                  for g in [ox.DefaultGraph(), *self.store.named_graphs()]}
        union = "".join(sorted({line for lines in graphs.values() for line in lines}))
        triples = list(ox.parse(union.encode("utf-8"), format=ox.RdfFormat.N_TRIPLES))
        quads_text = "".join(f"{line[:-3]} {name} .\n" if name != "DEFAULT" else line
                             for name, lines in sorted(graphs.items()) for line in lines)
        quads = list(ox.parse(quads_text.encode("utf-8"), format=ox.RdfFormat.N_QUADS))
        contents = {
            "graph.ttl": in_memory(ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=PREFIXES)),
            "graph.nt": union.encode("utf-8"),
            "graph.jsonld": in_memory(ox.serialize(triples, format=ox.RdfFormat.JSON_LD)),
            "graph.trig": in_memory(ox.serialize(quads, format=ox.RdfFormat.TRIG, prefixes=PREFIXES)),
        }
        return [atomic_write(folder / name, data) for name, data in contents.items()]


def in_memory(data: bytes | None) -> bytes:
    """What Oxigraph's dump and serialize give when no output file is named: always bytes."""
    if data is None:
        raise TypeError("expected Oxigraph to return the serialization")
    return data


def sorted_lines(dump: bytes) -> list[str]:
    """The distinct lines of an N-Triples dump, sorted."""
    return sorted(set(dump.decode("utf-8").splitlines(keepends=True)))


def atomic_write(path: Path, data: bytes | str) -> Path:
    """Write next to the target, then rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    tmp.replace(path)
    return path
