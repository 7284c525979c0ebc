"""`kg build`: list -> identifiers -> enrichment -> RDF -> validation -> files.

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
import hashlib
import json
import os
import shutil
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import metadata, resources
from pathlib import Path
from typing import TYPE_CHECKING

from kg.counts import add_counts
from kg.graphmap import Enrichment, enrichment_quads, graph_provenance_quads, list_quads, one_node_per_work
from kg.listparse import (
    ListFiles,
    ListTooLarge,
    ParsedList,
    ParseWarning,
    decode_list,
    parse_list_files,
    read_list_files,
    read_list_files_at,
)
from kg.store import KnowledgeGraph, atomic_write

if TYPE_CHECKING:  # the client and the progress bar are imported where they are used
    from kg.enrich.client import S2Client
    from kg.enrich.enricher import EnrichReport
    from kg.progress import Silent

DEFAULT_NAME = "awesome-moe-inference"
# Steps that add to the graph before it is validated and written (module:function(graph, parsed)).
GRAPH_STEPS: tuple[str, ...] = ("kg.clusters:add_clusters",)
# Views written from the finished graph into the build folder (module:function(graph, out) -> [Path]).
VIEWS: tuple[str, ...] = ("kg.exports:write_cluster_files", "kg.curate.report:write_report", "kg.page:write_graph_page")
MAX_PAPERS = 100_000          # a list past this is refused (--max-papers)
MAX_BYTES_PER_PAPER = 500     # real entries take 150-350 bytes: a bigger file is refused before parsing
MAX_TITLE = 2_000             # characters in a printed title (the longest real one is about 300)
PACKAGES = ("awesome-kg", "rdflib", "pyoxigraph", "pyshacl", "semanticscholar", "markdown-it-py",
            "pyvis", "igraph")


class BuildError(Exception):
    """A build that must not be written (strict warnings, SHACL violations, unreadable list)."""


@dataclass
class ListSource:
    """The list to build: its text, a name for messages and manifest, and its slug."""
    text: str
    label: str
    slug: str
    sha256: str
    warnings: list[ParseWarning] = field(default_factory=list)
    files: ListFiles | None = None    # the README and the local pages it links, as read (raw bytes)

    @property
    def size(self) -> int:
        """Bytes as read, before decoding: what the size limit is checked on."""
        return self.files.size if self.files else len(self.text.encode("utf-8"))

    @classmethod
    def shipped(cls) -> ListSource:
        data = resources.files("kg").joinpath("data", DEFAULT_NAME, "README.md").read_bytes()
        return cls.from_bytes(data, f"awesome-kg:data/{DEFAULT_NAME}/README.md", DEFAULT_NAME)

    @classmethod
    def from_path(cls, path: str | Path, name: str | None = None,
                  max_bytes: int = MAX_PAPERS * MAX_BYTES_PER_PAPER) -> ListSource:
        """A list file, or a folder's README, with the local pages it links; read with a bound."""
        path = Path(path)
        try:
            files = read_list_files(path, max_bytes)
        except ListTooLarge as error:
            raise BuildError(f"{error} (--max-papers); nothing was built") from None
        except OSError as error:
            raise BuildError(f"{path}: cannot read the list ({error.strerror or error})") from None
        label = str(path / files.root if path.is_dir() else path)
        return cls.from_files(files, label, name or slug_for(Path(label)))

    @classmethod
    def from_git(cls, path: str | Path, commit: str, name: str | None = None,
                 max_bytes: int = MAX_PAPERS * MAX_BYTES_PER_PAPER) -> ListSource:
        """The list as it was at a commit of the git repository it is in (a folder means its README)."""
        import subprocess

        path = Path(path).resolve()
        folder = path if path.is_dir() else path.parent
        top = subprocess.run(["git", "-C", str(folder), "rev-parse", "--show-toplevel"], capture_output=True,
                             text=True, check=False)
        if top.returncode != 0:
            raise BuildError(f"{path}: not in a git repository ({top.stderr.strip()})")
        root = Path(top.stdout.strip()).resolve()
        relative = (path / "README.md" if path.is_dir() else path).relative_to(root).as_posix()
        try:
            files = read_list_files_at(root, commit, relative, max_bytes)
        except ListTooLarge as error:
            raise BuildError(f"{error} (--max-papers); nothing was built") from None
        except FileNotFoundError:
            raise BuildError(f"{path}: no list at commit {commit}") from None
        return cls.from_files(files, f"{relative}@{commit}", name or slug_for(root / relative))

    @classmethod
    def from_files(cls, files: ListFiles, label: str, slug: str) -> ListSource:
        """A list read with the pages its README links; its sha256 covers every page."""
        source = cls.from_bytes(files.pages[files.root], label, slug)
        source.files = files
        if len(files.pages) > 1:
            source.sha256 = hashlib.sha256(b"".join(files.pages[page] for page in sorted(files.pages))).hexdigest()
        return source

    @classmethod
    def from_build(cls, folder: Path) -> ListSource:
        """The list a build folder was built from (its manifest says which)."""
        try:
            given = json.loads((Path(folder) / "manifest.json").read_text(encoding="utf-8"))["input"]
        except (OSError, ValueError, KeyError):
            raise BuildError(f"{folder}: no readable manifest.json (is it a build folder?)") from None
        if given["file"] == cls.shipped().label:
            return cls.shipped()
        return cls.from_path(given["file"], given["name"])

    @classmethod
    def from_bytes(cls, data: bytes, label: str, slug: str) -> ListSource:
        text, warnings = decode_list(data, label)
        return cls(text, label, slug, hashlib.sha256(data).hexdigest(), warnings)

    def parse(self) -> ParsedList:
        files = self.files or ListFiles("README.md", {"README.md": self.text.encode("utf-8")})
        parsed = parse_list_files(files, self.label)
        if not self.files:
            parsed.warnings = sorted(self.warnings + parsed.warnings, key=lambda w: w.line)
        return parsed


def slug_for(path: Path) -> str:
    """A list's name: its folder's name (a repository's README), else the file's stem."""
    from kg.listparse import slugify

    resolved = path.resolve()
    if resolved.stem.lower() == "readme" or resolved.parent.name == DEFAULT_NAME:
        return slugify(resolved.parent.name)
    return slugify(resolved.stem)


@dataclass
class BuildResult:
    out: Path
    parsed: ParsedList
    graph: KnowledgeGraph
    manifest: dict
    files: list[Path]


def build(source: ListSource | None = None, out: str | Path | None = None, *, offline: bool = False,
          strict: bool = False, cache_dir: str | Path | None = None, refresh_older_than: timedelta | None = None,
          contexts: bool = False, progress: Silent | None = None, client: S2Client | None = None,
          max_papers: int = MAX_PAPERS) -> BuildResult:
    """Build the graph of a list into `out` (default builds/<list name>)."""
    from kg.progress import Silent

    progress = progress or Silent()
    source = source or ListSource.shipped()
    out = Path(out) if out else Path("builds") / source.slug
    with build_lock(out):
        return locked_build(source, out, offline=offline, strict=strict, cache_dir=cache_dir,
                            refresh_older_than=refresh_older_than, contexts=contexts, progress=progress,
                            client=client, max_papers=max_papers)


def locked_build(source: ListSource, out: Path, *, offline: bool, strict: bool, cache_dir: str | Path | None,
                 refresh_older_than: timedelta | None, contexts: bool, progress: Silent, client: S2Client | None,
                 max_papers: int) -> BuildResult:
    """The build itself, run while this process holds the lock on `out`."""
    if source.size > max_papers * MAX_BYTES_PER_PAPER:
        raise BuildError(f"{source.label}: {source.size / 1e6:.1f} MB is more than a list of {max_papers} "
                         f"papers can be (--max-papers); nothing was built")
    progress.stage("parsing the list")
    parsed = source.parse()
    if len(parsed.papers) > max_papers:
        raise BuildError(f"{source.label}: {len(parsed.papers)} papers, more than the limit of {max_papers} "
                         f"(--max-papers); nothing was built")
    check_title_sizes(parsed, source.label)
    if strict and parsed.warnings:
        raise BuildError(f"{len(parsed.warnings)} warning(s) and --strict:\n" +
                         "\n".join(str(w) for w in parsed.warnings))
    progress.stage("enriching")
    enrichments, report = enrich(parsed, offline=offline, cache_dir=cache_dir, refresh_older_than=refresh_older_than,
                                 contexts=contexts, progress=progress, client=client)
    progress.stage("mapping to RDF")
    parsed, enrichments = one_node_per_work(parsed, enrichments)
    graph = KnowledgeGraph(list(list_quads(parsed, source.slug, enrichments)) +
                           list(enrichment_quads(parsed, enrichments)) +
                           list(graph_provenance_quads(source.sha256, source.slug)))
    for step in GRAPH_STEPS:
        progress.stage(step.split(":")[-1].replace("_", " "))
        load_step(step)(graph, parsed)
    progress.stage("counting")
    add_counts(graph)
    progress.stage("validating (SHACL)")
    from kg.validate import ValidationFailed, validate

    try:
        validate(graph)
    except ValidationFailed as failure:
        raise BuildError(f"the graph breaks the SHACL shapes; nothing was written:\n{failure}") from None
    progress.stage("writing")
    staging = staging_folder(out)
    written = graph.write(staging)
    graph.write_store(staging)
    for view in VIEWS:
        progress.stage(view.split(":")[-1].replace("_", " "))
        written.extend(load_step(view)(graph, staging))
    manifest = make_manifest(source, parsed, graph, report)
    written.append(atomic_write(staging / "manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"))
    publish(staging, out)
    return BuildResult(out, parsed, graph, manifest, [out / path.name for path in written])


def check_title_sizes(parsed: ParsedList, label: str) -> None:
    """A printed title past MAX_TITLE is refused with its line: no stage has to carry a megabyte title."""
    for paper in parsed.papers:
        for entry in paper.entries:
            if len(entry.title) > MAX_TITLE:
                raise BuildError(f"{label}:{entry.line}: a title of {len(entry.title)} characters, more than the "
                                 f"{MAX_TITLE} a title may have; nothing was built")


@contextmanager
def build_lock(out: Path):
    """Hold `.NAME.lock` beside the build folder for the whole build: a second build into the same
    folder fails at once with a clear message instead of mixing its files with ours. The kernel
    releases the lock when the process ends, however it ends; a finished build removes the file."""
    lock = out.parent / f".{out.name}.lock"
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BuildError(f"{out}: cannot create the build folder there ({error.strerror}); nothing was built") \
            from None
    handle = take_lock(lock, out)
    try:
        recover(out)
        yield
    finally:
        lock.unlink(missing_ok=True)   # still held: a build that opened the old file sees it is gone
        handle.close()


def take_lock(lock: Path, out: Path):
    """The open, locked lock file (retried when the holder removed the file as we locked it)."""
    while True:
        try:
            handle = open(lock, "a+")
        except OSError as error:
            raise BuildError(f"{out}: cannot create a lock file there ({error.strerror}); nothing was built") \
                from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise BuildError(f"{out}: another build ({holder}) is writing this folder; wait for it to finish "
                             f"or give another --out; nothing was built") from None
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


def load_step(path: str):
    """`module:function` imported when the build reaches it (keeps `kg --help` fast)."""
    from importlib import import_module

    module, _, function = path.partition(":")
    return getattr(import_module(module), function)


def enrich(parsed: ParsedList, *, offline: bool, cache_dir: str | Path | None, refresh_older_than: timedelta | None,
           contexts: bool, progress: Silent, client: S2Client | None) -> tuple[dict[str, Enrichment], EnrichReport]:
    """Run enrichment with a cache and (unless offline) a client; closes what it opened."""
    from kg.enrich.cache import Cache, CacheError
    from kg.enrich.client import S2Client
    from kg.enrich.enricher import Enricher

    try:
        cache = Cache(cache_dir)
    except CacheError as error:
        raise BuildError(f"{error}; the previous build is kept") from None
    own_client = S2Client(on_event=progress.event) if client is None and not offline else None
    if own_client is not None:
        client = own_client
    try:
        progress.start_enrichment(len(parsed.papers))
        enricher = Enricher(cache, offline=offline, client=client, refresh_older_than=refresh_older_than,
                            contexts=contexts, progress=progress)
        enrichments, report = enricher.run(parsed)
        report.errors.extend(cache.dropped)
        return enrichments, report
    except sqlite3.DatabaseError as error:
        raise BuildError(str(CacheError(cache.path, str(error))) + "; the previous build is kept") from None
    finally:
        cache.close()
        if own_client:
            own_client.close()


def count(graph: KnowledgeGraph, sparql: str) -> int:
    return int(next(iter(graph.query(sparql)))[0].value)


def make_manifest(source: ListSource, parsed: ParsedList, graph: KnowledgeGraph, report) -> dict:
    """What was built from what: input and its sha256, versions, time, counts, enrichment."""
    counts = {
        "quads": len(graph),
        "triples": count(graph, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"),
        "entries": parsed.entries,
        "listed_papers": len(parsed.papers),
        "headings": len(parsed.headings),
        "models": len(parsed.models),
        "citation_edges": count(graph, "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?a ?b "
                                       "WHERE { ?a cito:cites ?b } }"),
        "outside_works": count(graph, "SELECT (COUNT(DISTINCT ?w) AS ?n) WHERE { ?w a fabio:Expression "
                                      "FILTER NOT EXISTS { ?w a akg:ListedPaper } }"),
        "warnings": len(parsed.warnings),
        "skipped": parsed.skipped_by_kind(),
    }
    return {
        "input": {"file": source.label, "sha256": source.sha256, "name": source.slug, "title": parsed.title},
        "built": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "versions": {name: package_version(name) for name in PACKAGES},
        "counts": counts,
        "enrichment": report.as_dict(),
        "warnings": [str(w) for w in parsed.warnings],
    }


def package_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None
