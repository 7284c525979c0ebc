"""The graph of a build: the embedded Oxigraph store, its files and its on-disk copy.

Loading and serializing go straight through Oxigraph (rdflib's own Turtle writer is
about 40 times slower); quads are sorted before writing so the same graph always
gives byte-identical files. SPARQL runs in Oxigraph with the common prefixes
predeclared and the union of the named graphs as the default graph.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TextIO

import pyoxigraph as ox

from kg.statements import Statement, canonical, graph_suffix, nquads_lines, ntriples_lines
from kg.vocab import PREFIXES

GRAPH_FILES = {
    "graph.ttl": ox.RdfFormat.TURTLE,
    "graph.nt": ox.RdfFormat.N_TRIPLES,
    "graph.nq": ox.RdfFormat.N_QUADS,
    "graph.jsonld": ox.RdfFormat.JSON_LD,
    "graph.trig": ox.RdfFormat.TRIG,
}
# The build's graph as an on-disk Oxigraph store: opened read-only in milliseconds by `kg query`
# and `kg serve`, where parsing graph.trig takes seconds at 20,000 papers.
STORE_FOLDER = "graph.oxigraph"


class GraphFileError(ValueError):
    """A file that is not an RDF graph in the format its name says (a clear message, not a traceback)."""


class KnowledgeGraph:
    """A build's quads, queryable with SPARQL."""

    def __init__(self, quads: Iterable[ox.Quad | Statement] = ()):
        """A graph in memory of pyoxigraph Quads or build statements (kg.statements), loaded as N-Quads text."""
        self.store = ox.Store()
        statements: list[Statement] = []
        oxigraph_quads: list[ox.Quad] = []
        for item in quads:
            if isinstance(item, ox.Quad):
                oxigraph_quads.append(item)
            else:
                statements.append(item)
        if statements:
            self.store.load("".join(nquads_lines(canonical(statements))), format=ox.RdfFormat.N_QUADS)
        self.store.extend(oxigraph_quads)

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
        try:
            graph.store.bulk_load(path=str(path), format=fmt)
        except (SyntaxError, ValueError, OSError) as error:
            raise GraphFileError(f"{path}: not an RDF graph (read as {fmt.name}): {error}") from None
        return graph

    @classmethod
    def open(cls, path: str | Path) -> KnowledgeGraph:
        """A build folder's on-disk store, read-only (fast); else whatever `load` reads. A graph.trig
        changed after the store was written (edited by hand) wins: the store would no longer say the same."""
        folder = Path(path)
        if (folder / STORE_FOLDER).is_dir() and not newer_than_store(folder / "graph.trig", folder / STORE_FOLDER):
            graph = cls.__new__(cls)
            try:
                graph.store = ox.Store.read_only(str(folder / STORE_FOLDER))
            except OSError:
                return cls.load(folder)  # a store from another Oxigraph version: the files still serve
            return graph
        return cls.load(folder)

    def __len__(self) -> int:
        return len(self.store)

    def query(self, sparql: str, bindings: dict[str, ox.NamedNode | ox.Literal] | None = None):
        """Run SPARQL with the common prefixes; `bindings` are substituted, never pasted in."""
        substitutions: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = {
            ox.Variable(name): value for name, value in (bindings or {}).items()
        }
        return self.store.query(sparql, prefixes=PREFIXES, use_default_graph_as_union=True, substitutions=substitutions)

    def canonical(self) -> dict[str, list[str]]:
        """Graph IRI -> its sorted, distinct N-Triples lines (without ` .`), as kg.statements.canonical
        gives them: each graph dumped by Oxigraph, then sorted."""
        graphs = {}
        for g in [ox.DefaultGraph(), *sorted(self.store.named_graphs(), key=lambda g: g.value)]:
            lines = sorted_lines(in_memory(self.store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=g)))
            if lines:
                graphs[g.value if isinstance(g, ox.NamedNode) else ""] = [line.removesuffix(" .\n") for line in lines]
        return graphs

    def write(self, folder: str | Path) -> list[Path]:
        """Write every graph file of this graph (see write_graph_files and write_serializations)."""
        return write_graph_files(self.canonical(), folder).paths + write_serializations(folder)


@dataclass
class GraphFiles:
    paths: list[Path]
    quads: int
    triples: int


@dataclass
class GraphPart:
    """A canonical graph's N-Quads lines kept in a file of the staging folder (see spill) until the graph
    files are assembled: at 20,000 papers the list's and the sources' text is 300 MB that would otherwise
    sit in memory through the model, clusters and views. Iterating it gives its triple lines, in order."""

    path: Path
    graph: str
    quads: int

    def __iter__(self) -> Iterator[str]:
        cut = len(graph_suffix(self.graph))
        with open(self.path, encoding="utf-8", newline="\n") as part:  # an N-Quads line holds no raw \r
            for line in part:
                yield line[:-cut]


Graphs = Mapping[str, Iterable[str]]  # canonical graphs (kg.statements), some of them GraphParts


def spill(graphs: Iterable[tuple[str, list[str]]], folder: Path) -> dict[str, GraphPart]:
    """Canonical graphs written to part files in `folder` as they come (see StatementIndex.canonical_graphs),
    their text made once: it is what the store loads, and graph.nq later copies."""
    parts = {}
    for number, (graph, lines) in enumerate(graphs):
        path = atomic_write_lines(folder / f".part-{number}.nq", nquads_lines({graph: lines}))
        parts[graph] = GraphPart(path, graph, len(lines))
        del lines  # let go before the next graph's text is made
    return parts


def write_graph_files(graphs: Graphs, folder: str | Path) -> GraphFiles:
    """graph.nq (named graphs kept) and graph.nt (their union) from canonical lines: the same graph
    always gives the same bytes. A graph in a part file is copied as it is."""
    folder = Path(folder)
    triples = quads = 0

    def counted(lines: Iterable[str]) -> Iterator[str]:
        nonlocal triples
        for line in lines:
            triples += 1
            yield line

    def sections(out: TextIO) -> None:
        nonlocal quads
        for graph, lines in graphs.items():
            if isinstance(lines, GraphPart):
                with open(lines.path, encoding="utf-8", newline="") as part:
                    shutil.copyfileobj(part, out)
                quads += lines.quads
            else:
                for line in nquads_lines({graph: lines}):
                    out.write(line)
                    quads += 1

    paths = [
        atomic_write_lines(folder / "graph.nt", counted(ntriples_lines(graphs))),
        atomic_write_with(folder / "graph.nq", sections),
    ]
    return GraphFiles(paths, quads, triples)


SERIALIZATIONS = {  # file -> (the graph file it is streamed from, its format)
    "graph.ttl": ("graph.nt", ox.RdfFormat.TURTLE),
    "graph.jsonld": ("graph.nt", ox.RdfFormat.JSON_LD),
    "graph.trig": ("graph.nq", ox.RdfFormat.TRIG),
}


def write_serializations(folder: str | Path) -> list[Path]:
    """graph.ttl and graph.jsonld (the union) and graph.trig (named graphs) by Oxigraph's writers."""
    return [write_serialization(folder, name) for name in SERIALIZATIONS]


def write_serialization(folder: str | Path, name: str) -> Path:
    """One of SERIALIZATIONS, streamed by Oxigraph from graph.nt or graph.nq: no Python term is made, and
    no Python lock is held (the build writes them in threads)."""
    source, fmt = SERIALIZATIONS[name]
    folder = Path(folder)
    input_format = ox.RdfFormat.N_TRIPLES if source == "graph.nt" else ox.RdfFormat.N_QUADS
    prefixes = PREFIXES if fmt != ox.RdfFormat.JSON_LD else None
    return atomic_serialize(folder / name, ox.parse(path=str(folder / source), format=input_format), fmt, prefixes)


# Quads a bulk load holds in memory: 120 MB; 200,000 held 310 MB and loaded no faster, the whole
# 20,000-paper graph at once 1.2 GB.
STORE_BATCH = 50_000


class StoreWriter:
    """The on-disk store `open` reads, bulk-loaded by Oxigraph in a thread of its own as the build's graphs
    are ready: the list's and the sources' graphs (nearly all the quads) while the model, clusters and
    counts are made, the derived graphs after. Oxigraph holds no Python lock while it loads, so loading
    (the build's single largest cost past a few thousand papers) runs beside the Python stages."""

    def __init__(self, folder: str | Path):
        self.path = Path(folder) / STORE_FOLDER
        self.store = ox.Store(str(self.path))
        self.worker = ThreadPoolExecutor(1)  # one loader: the loads run in the order they were added
        self.loads: list[Future] = []

    def add(self, graphs: Graphs) -> None:
        """Load canonical graphs (kg.statements), a batch of N-Quads lines at a time: memory stays bounded."""
        self.loads.append(self.worker.submit(load_lines, self.store, graphs))

    def close(self) -> Path:
        """Wait for every load (a load's error is raised here), then close the store: the folder can be renamed."""
        self.worker.shutdown()
        for load in self.loads:
            load.result()
        self.store.flush()
        del self.store
        return self.path

    def __enter__(self) -> StoreWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.worker.shutdown(cancel_futures=True)  # a failed build: the load under way ends, the rest never starts


def load_lines(store: ox.Store, graphs: Graphs) -> None:
    for graph, lines in graphs.items():
        if isinstance(lines, GraphPart):
            with open(lines.path, "rb") as part:
                while batch := list(islice(part, STORE_BATCH)):
                    store.bulk_load(b"".join(batch), format=ox.RdfFormat.N_QUADS)
        else:
            text = nquads_lines({graph: lines})
            while chunk := "".join(islice(text, STORE_BATCH)):
                store.bulk_load(chunk, format=ox.RdfFormat.N_QUADS)


def in_memory(data: bytes | None) -> bytes:
    """What Oxigraph's dump and serialize give when no output file is named: always bytes."""
    if data is None:
        raise TypeError("expected Oxigraph to return the serialization")
    return data


def newer_than_store(graph_file: Path, store: Path) -> bool:
    """Whether `graph_file` was written after every file of the on-disk `store`."""
    if not graph_file.exists():
        return False
    written = max((entry.stat().st_mtime for entry in store.iterdir()), default=0.0)
    return graph_file.stat().st_mtime > written


def sorted_lines(dump: bytes) -> list[str]:
    """The distinct lines of an N-Triples dump, sorted. Split on "\\n" only: N-Triples writes
    U+2028, U+2029 and U+0085 raw inside literals, and str.splitlines would cut there."""
    return sorted({line + "\n" for line in dump.decode("utf-8").split("\n") if line})


def atomic_serialize(path: Path, items, fmt: ox.RdfFormat, prefixes: dict[str, str] | None) -> Path:
    """Serialize an iterator of triples or quads straight into a file, then rename (see atomic_write)."""
    tmp = path.with_name(f".{path.name}.tmp")
    ox.serialize(items, output=str(tmp), format=fmt, prefixes=prefixes or None)
    tmp.replace(path)
    return path


def atomic_write_lines(path: Path, lines: Iterable[str]) -> Path:
    """Write lines of text next to the target, then rename (see atomic_write)."""
    return atomic_write_with(path, lambda out: out.writelines(lines))


def atomic_write_with(path: Path, write: Callable[[TextIO], object]) -> Path:
    """Let `write` fill a text file next to the target, then rename (see atomic_write)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as out:
        write(out)
    tmp.replace(path)
    return path


def atomic_write(path: Path, data: bytes | str) -> Path:
    """Write next to the target, then rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    tmp.replace(path)
    return path
