"""`kg build`: the flow as plain calls, each on what the one before returned (docs/architecture.md):
read -> parse -> enrich -> one node per work -> RDF statements -> model -> clusters -> counts -> write
-> validate -> views, while Oxigraph loads the store (from the moment the stated graphs are known) and
writes the Turtle, TriG and JSON-LD files beside them.

The build folder gets graph.ttl/.nt/.nq/.jsonld/.trig, the on-disk store and manifest.json, then the views
(page, clusters, exports, report). Every file is written whole (temp file, rename),
and nothing is written when the build fails, so an earlier build is never lost. A lock
on the build folder keeps two builds from writing it at once, and the finished build
replaces the old one in one atomic exchange (see `publish`).
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import json
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from importlib import metadata
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING

from kg.clusters import cluster_papers, cluster_quads, cluster_records
from kg.counts import count_statements
from kg.curate.report import write_report
from kg.enrich import EnrichmentError, enrich
from kg.exports import write_cluster_files
from kg.graphmap import enrichment_quads, graph_provenance_quads, list_quads, one_node_per_work
from kg.listparse import ParsedList, collector_paused
from kg.listsource import MAX_BYTES_PER_PAPER, MAX_PAPERS, BuildError, ListSource
from kg.model import read_model
from kg.page import write_graph_page
from kg.statements import StatementIndex, canonical, merged
from kg.store import (
    SERIALIZATIONS,
    KnowledgeGraph,
    StoreWriter,
    atomic_write,
    spill,
    write_graph_files,
    write_serialization,
)
from kg.validate import ValidationFailed, validate
from kg.vocab import TERMS

if TYPE_CHECKING:  # the client and the progress bar are imported where they are used
    from kg.enrich.client import S2Client
    from kg.progress import Silent

MAX_TITLE = 2_000  # characters in a printed title (the longest real one is about 300)
PACKAGES = ("awesome-kg", "rdflib", "pyoxigraph", "pyshacl", "semanticscholar", "markdown-it-py", "pyvis", "igraph")


@dataclass
class BuildResult:
    out: Path
    parsed: ParsedList
    manifest: dict
    files: list[Path]

    @cached_property
    def graph(self) -> KnowledgeGraph:
        """The built graph in memory (read from graph.nq when first asked for)."""
        return KnowledgeGraph.load(self.out / "graph.nq")


def build(
    source: ListSource | None = None,
    out: str | Path | None = None,
    *,
    offline: bool = False,
    strict: bool = False,
    cache_dir: str | Path | None = None,
    refresh_older_than: timedelta | None = None,
    contexts: bool = False,
    progress: Silent | None = None,
    client: S2Client | None = None,
    max_papers: int = MAX_PAPERS,
) -> BuildResult:
    """Build the graph of a list into `out` (default builds/<list name>)."""
    from kg.progress import Silent

    progress = progress or Silent()
    source = source or ListSource.shipped()
    out = Path(out) if out else Path("builds") / source.slug
    with build_lock(out), collector_paused():  # the whole build's objects live until it ends
        if source.size > max_papers * MAX_BYTES_PER_PAPER:
            raise BuildError(
                f"{source.label}: {source.size / 1e6:.1f} MB is more than a list of {max_papers} "
                f"papers can be (--max-papers); nothing was built"
            )
        progress.stage("parsing the list")
        parsed = source.parse()
        if len(parsed.papers) > max_papers:
            raise BuildError(
                f"{source.label}: {len(parsed.papers)} papers, more than the limit of {max_papers} "
                f"(--max-papers); nothing was built"
            )
        check_title_sizes(parsed, source.label)
        if strict and parsed.warnings:
            raise BuildError(
                f"{len(parsed.warnings)} warning(s) and --strict:\n" + "\n".join(str(w) for w in parsed.warnings)
            )
        progress.stage("enriching")
        try:
            enrichments, report = enrich(
                parsed.papers,
                offline=offline,
                cache_dir=cache_dir,
                refresh_older_than=refresh_older_than,
                contexts=contexts,
                progress=progress,
                client=client,
            )
        except EnrichmentError as error:
            raise BuildError(f"{error}; the previous build is kept") from None
        progress.stage("mapping to RDF")
        parsed, enrichments = one_node_per_work(parsed, enrichments)
        index = StatementIndex(
            chain(
                list_quads(parsed, source.slug, enrichments),
                enrichment_quads(parsed, enrichments),
                graph_provenance_quads(source.sha256, source.slug),
            )
        )
        staging = staging_folder(out)
        # Oxigraph's loader and writers hold no Python lock: the store is loaded beside the Python stages
        # from the moment the list's and the sources' graphs are known, and the Turtle, TriG and JSON-LD
        # files are written beside the checks and the views. A build the checks refuse is never published.
        with StoreWriter(staging) as store, ThreadPoolExecutor(2) as serializer:
            progress.stage("writing")
            stated = spill(index.canonical_graphs(), staging)
            store.add(stated)
            progress.stage("reading the model")
            model = read_model(index)
            progress.stage("clustering")
            clustering = cluster_papers(model)
            model.clusters = cluster_records(clustering)
            progress.stage("counting")
            derived = [*cluster_quads(clustering), *count_statements(model)]
            index.extend(derived)
            progress.stage("writing")
            counts = graph_counts(index)
            derived_graphs = canonical(derived)
            store.add(derived_graphs)
            graph_files = write_graph_files(merged(stated, derived_graphs), staging)
            del derived, derived_graphs
            counts.update(quads=graph_files.quads, triples=graph_files.triples)
            written = graph_files.paths
            serialized = [serializer.submit(write_serialization, staging, name) for name in SERIALIZATIONS]
            progress.stage("validating (SHACL)")
            try:
                validate(index)
            except ValidationFailed as failure:
                raise BuildError(f"the graph breaks the SHACL shapes; nothing was written:\n{failure}") from None
            del index
            progress.stage("related-work exports")
            written += write_cluster_files(model, staging, clustering)
            progress.stage("curator's report")
            written += write_report(model, staging)
            progress.stage("graph page")
            written += write_graph_page(model, staging)
            progress.stage("writing Turtle, TriG, JSON-LD and the store")
            written += [file.result() for file in serialized]
            store.close()
            for part in stated.values():
                part.path.unlink()
        manifest = make_manifest(source, parsed, counts, report)
        manifest_text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
        written.append(atomic_write(staging / "manifest.json", manifest_text))
        publish(staging, out)
        return BuildResult(out, parsed, manifest, [out / path.name for path in written])


def graph_counts(index: StatementIndex) -> dict[str, int]:
    """What the manifest counts of the graph: citation edges, and works that are not listed papers."""
    return {
        "citation_edges": len(set(index.pairs(TERMS["cito"].cites))),
        "outside_works": len(
            index.subjects(TERMS["rdf"].type, TERMS["fabio"].Expression)
            - index.subjects(TERMS["rdf"].type, TERMS["akg"].ListedPaper)
        ),
    }


def check_title_sizes(parsed: ParsedList, label: str) -> None:
    """A printed title past MAX_TITLE is refused with its line: no stage has to carry a megabyte title."""
    for paper in parsed.papers:
        for entry in paper.entries:
            if len(entry.title) > MAX_TITLE:
                raise BuildError(
                    f"{label}:{entry.line}: a title of {len(entry.title)} characters, more than the "
                    f"{MAX_TITLE} a title may have; nothing was built"
                )


@contextmanager
def build_lock(out: Path):
    """Hold `.NAME.lock` beside the build folder for the whole build: a second build into the same
    folder fails at once with a clear message instead of mixing its files with ours. The kernel
    releases the lock when the process ends, however it ends; a finished build removes the file."""
    lock = out.parent / f".{out.name}.lock"
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BuildError(f"{out}: cannot create the build folder there ({error.strerror}); nothing was built") from None
    handle = take_lock(lock, out)
    try:
        recover(out)
        yield
    finally:
        lock.unlink(missing_ok=True)  # still held: a build that opened the old file sees it is gone
        handle.close()


def take_lock(lock: Path, out: Path):
    """The open, locked lock file (retried when the holder removed the file as we locked it)."""
    while True:
        try:
            handle = open(lock, "a+")
        except OSError as error:
            raise BuildError(f"{out}: cannot create a lock file there ({error.strerror}); nothing was built") from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise BuildError(
                f"{out}: another build ({holder}) is writing this folder; wait for it to finish "
                f"or give another --out; nothing was built"
            ) from None
        try:
            same = os.stat(lock).st_ino == os.fstat(handle.fileno()).st_ino
        except FileNotFoundError:
            same = False
        if same:
            handle.truncate(0)
            handle.write(f"pid {os.getpid()}\n")
            handle.flush()
            return handle
        handle.close()


def recover(out: Path) -> None:
    """Undo what a killed build left: if it died between the two renames of the fallback swap, the
    old build is put back; then staging folders and retired copies are removed."""
    retired = sorted(out.parent.glob(f".{out.name}.old-*"), key=lambda path: path.stat().st_mtime)
    if retired and not out.exists():
        retired.pop().rename(out)
    for leftover in [*retired, *out.parent.glob(f".{out.name}.staging-*")]:
        shutil.rmtree(leftover, ignore_errors=True)


def staging_folder(out: Path) -> Path:
    """A fresh folder beside `out` to build into (the lock is held, so no other build uses it)."""
    staging = out.parent / f".{out.name}.staging-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    return staging


def publish(staging: Path, out: Path) -> None:
    """Swap the finished build in: readers see the old build or the new, never a mix or nothing.

    Files the build does not write (a screenshot, notes) are linked over from the old folder,
    which stays whole until the swap. On Linux the swap is one renameat2(RENAME_EXCHANGE); where
    that is missing it is two renames, and a build killed between them is undone by `recover`."""
    if not out.exists():
        staging.rename(out)
        return
    carry_over(out, staging)
    if exchange(staging, out):
        shutil.rmtree(staging)
        return
    retired = out.parent / f".{out.name}.old-{os.getpid()}"
    out.rename(retired)
    staging.rename(out)
    shutil.rmtree(retired)


def carry_over(old: Path, staging: Path) -> None:
    """Hard-link (else copy) what only the old build folder has into the new one."""

    def link(source, target):
        try:
            os.link(source, target)
        except OSError:
            shutil.copy2(source, target)

    for path in old.iterdir():
        target = staging / path.name
        if target.exists() or path.name.endswith(".tmp"):
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.copytree(path, target, copy_function=link, symlinks=True)
        else:
            link(path, target)


RENAME_EXCHANGE = 2
AT_FDCWD = -100


def exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2); False where the system cannot, so the caller falls back."""
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        return False
    if renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def make_manifest(source: ListSource, parsed: ParsedList, graph_counts: dict[str, int], report) -> dict:
    """What was built from what: input and its sha256, versions, time, counts, enrichment."""
    counts = {
        "quads": graph_counts["quads"],
        "triples": graph_counts["triples"],
        "entries": parsed.entries,
        "listed_papers": len(parsed.papers),
        "headings": len(parsed.headings),
        "models": len(parsed.models),
        "citation_edges": graph_counts["citation_edges"],
        "outside_works": graph_counts["outside_works"],
        "warnings": len(parsed.warnings),
        "skipped": parsed.skipped_by_kind(),
    }
    return {
        "input": {"file": source.label, "sha256": source.sha256, "name": source.slug, "title": parsed.title},
        "built": build_time().isoformat(),
        "versions": {name: package_version(name) for name in PACKAGES},
        "counts": counts,
        "enrichment": report.as_dict(),
        "warnings": [str(w) for w in parsed.warnings],
    }


def build_time() -> datetime:
    """Now, or SOURCE_DATE_EPOCH where it is set (the reproducible-builds convention): the published
    example sets it to its list's last change, so rebuilding it changes no byte."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    moment = datetime.fromtimestamp(int(epoch), UTC) if epoch.isdigit() else datetime.now(UTC)
    return moment.replace(microsecond=0)


def package_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None
