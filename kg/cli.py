"""The `kg` command: a thin layer over the library (every command is one library call)."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import NoReturn

import click


def fail(message: str) -> NoReturn:
    from kg.terminal import inert

    click.echo(f"Error: {inert(message)}", err=True)
    sys.exit(1)


def say(message: str) -> None:
    """A warning or note on stderr; text from lists and the API in it is shown, never obeyed."""
    from kg.terminal import inert

    click.echo(inert(message), err=True)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def parse_age(text: str | None):
    """`30d`, `12h`, `90m` as a timedelta."""
    if text is None:
        return None
    from datetime import timedelta

    units = {"d": "days", "h": "hours", "m": "minutes"}
    if len(text) < 2 or text[-1] not in units or not text[:-1].isdigit():
        raise click.BadParameter(f"expected a number and a unit (d, h, m), e.g. 30d; got {text!r}")
    return timedelta(**{units[text[-1]]: int(text[:-1])})


CLUSTER_METHODS = ("hybrid", "direct", "cocitation", "coupling")  # kg.clusters.METHODS, not imported: fast --help
EXPORT_FORMATS = ("markdown", "latex", "bibtex", "csl-json", "json", "csv", "graphml", "gexf")  # kg.exports.FORMATS
REPORT_FORMATS = ("markdown", "json")
QUERY_FORMATS = ("table", "csv", "tsv", "json", "xml", "turtle", "ntriples", "jsonld", "rdfxml")


# --- options several commands share, defined once ------------------------------------------------
def cache_option(command):
    """--cache: where the enrichment cache lives."""
    return click.option(
        "--cache",
        "cache_dir",
        type=click.Path(file_okay=False, path_type=Path),
        help="Cache folder (default: the user cache directory).",
    )(command)


def offline_option(help_text: str):
    """--offline: use the cache and the shipped snapshot, send no request."""
    return click.option("--offline", is_flag=True, help=help_text)


def quiet_option(command):
    """--quiet/-q: no progress and no summary."""
    return click.option("--quiet", "-q", is_flag=True, help="No progress and no summary.")(command)


def enrichment_options(command):
    """--refresh-older-than and --contexts: what enrichment fetches again or in addition."""
    command = click.option(
        "--contexts", is_flag=True, help="Also fetch citation intents and influence (one request per paper)."
    )(command)
    return click.option("--refresh-older-than", "refresh", help="Refetch cached records older than this (30d, 12h).")(
        command
    )


def out_file_option(help_text: str = "File to write (default: stdout)."):
    """--out for commands that write one file."""
    return click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help=help_text)


def out_folder_option(help_text: str):
    """--out for commands that write a folder."""
    return click.option("--out", type=click.Path(file_okay=False, path_type=Path), help=help_text)


def format_option(choices, default: str | None = None, required: bool = False, help_text: str | None = None):
    """--format, stored as `fmt` (`format` is a builtin)."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(list(choices)),
        default=default,
        required=required,
        show_default=default is not None,
        help=help_text,
    )


def clustering_options(command):
    """--method and --resolution: how the related-work clusters are made."""
    command = click.option(
        "--resolution",
        type=float,
        default=1.0,
        show_default=True,
        help="Leiden resolution: higher gives more, smaller clusters.",
    )(command)
    return click.option(
        "--method",
        type=click.Choice(CLUSTER_METHODS),
        default="hybrid",
        show_default=True,
        help="Citation graph over the listed papers (hybrid = mean of direct, co-citation, coupling).",
    )(command)


@click.group()
@click.version_option(package_name="awesome-kg")
def main() -> None:
    """awesome-kg: an awesome list of papers as a citation knowledge graph."""


@main.command()
@click.argument("list_file", required=False, type=click.Path(path_type=Path))
@out_folder_option("Build folder (default builds/NAME).")
@click.option("--name", help="The list's name, for IRIs and the build folder (default: from the file).")
@click.option("--at", "commit", metavar="COMMIT", help="Read the list as it was at this commit of its git repository.")
@offline_option("Use cache and shipped snapshot only; send no request.")
@click.option("--strict", is_flag=True, help="Fail (exit 1) on any parse warning.")
@cache_option
@enrichment_options
@click.option(
    "--max-papers",
    type=click.IntRange(min=1),
    default=100_000,
    show_default=True,
    help="Refuse a list with more papers than this.",
)
@quiet_option
def build(list_file, out, name, commit, offline, strict, cache_dir, refresh, contexts, max_papers, quiet):
    """Build the graph of LIST_FILE (default: the shipped awesome-moe-inference list).

    LIST_FILE may be a folder (a checkout of a list's repository): its README and the local pages it links
    are read as one list.
    """
    from kg.build import BuildError, ListSource, build as run_build
    from kg.progress import progress_for

    try:
        if commit:
            source = ListSource.from_git(list_file or Path("."), commit, name)
        else:
            source = ListSource.from_path(list_file, name) if list_file else ListSource.shipped()
        with progress_for(quiet) as progress:
            result = run_build(
                source,
                out,
                offline=offline,
                strict=strict,
                cache_dir=cache_dir,
                refresh_older_than=parse_age(refresh),
                contexts=contexts,
                progress=progress,
                max_papers=max_papers,
            )
    except BuildError as error:
        fail(str(error))
    if not quiet:
        print_build_summary(result)


def print_build_summary(result) -> None:
    """Warnings, what enrichment did or could not do, and what was written."""
    parsed = result.parsed
    empty = [w for w in parsed.warnings if w.code == "heading-empty"]
    for warning in parsed.warnings:
        if warning.code != "heading-empty":
            say(f"warning: {warning}")
    if empty:
        labels = ", ".join(h.label for h in parsed.headings if any(w.line == h.line for w in empty))
        say(f"note: {plural(len(empty), 'heading')} with no entries yet: {labels}")
    skipped = ", ".join(f"{count} {kind}" for kind, count in parsed.skipped_by_kind().items()) or "none"
    entries = f"{parsed.entries} {'entry' if parsed.entries == 1 else 'entries'}"
    click.echo(
        f"read: {entries} -> {plural(len(parsed.papers), 'paper')}; skipped lines: {skipped}; "
        f"{plural(len(parsed.warnings), 'warning')}",
        err=True,
    )
    manifest = result.manifest
    counts, enrichment = manifest["counts"], manifest["enrichment"]
    if enrichment["offline"]:
        say(f"offline: Semantic Scholar not asked ({enrichment['offline_reason']}); used cache and shipped snapshot")
    click.echo(
        f"enrichment: {enrichment['enriched']} from Semantic Scholar, {enrichment['from_snapshot']} from "
        f"the snapshot, {len(enrichment['unresolved'])} not enriched; "
        f"{plural(enrichment['requests'], 'request')}, {plural(enrichment['cache_hits'], 'cache hit')}",
        err=True,
    )
    for key, reason in enrichment["unresolved"].items():
        say(f"  not enriched: {key}: {reason}")
    for problem in enrichment["errors"] + enrichment["incomplete_edge_lists"]:
        say(f"  incomplete: {problem}")
    click.echo(
        f"built {result.out}: {counts['listed_papers']} listed papers, {counts['headings']} headings, "
        f"{counts['citation_edges']} citation edges, {counts['outside_works']} outside works, "
        f"{counts['triples']} triples"
    )


@main.command()
@click.argument("build_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@enrichment_options
@cache_option
@quiet_option
def enrich(build_dir, refresh, contexts, cache_dir, quiet):
    """Enrich BUILD_DIR's list again (what the cache lacks or is stale), then rebuild it."""
    from kg.build import BuildError, ListSource, build as run_build
    from kg.progress import progress_for

    try:
        source = ListSource.from_build(build_dir)
        with progress_for(quiet) as progress:
            result = run_build(
                source,
                build_dir,
                cache_dir=cache_dir,
                refresh_older_than=parse_age(refresh),
                contexts=contexts,
                progress=progress,
            )
    except BuildError as error:
        fail(str(error))
    if not quiet:
        print_build_summary(result)


@main.group()
def cache():
    """The enrichment cache: stats, export and import (JSONL records)."""


@cache.command("stats")
@cache_option
def cache_stats(cache_dir):
    """How many papers, lookups and edge lists the cache holds, and how old they are."""
    store = open_cache(cache_dir)
    for name, value in store.stats().items():
        click.echo(f"{name:>22}: {value}")
    store.close()


@cache.command("reset")
@click.option("--cache", "cache_dir", type=click.Path(file_okay=False, path_type=Path), help="Cache folder.")
def cache_reset(cache_dir):
    """Start the cache afresh: remove its file (a broken one too); the next build fetches again."""
    from kg.enrich.cache import reset

    try:
        touched = reset(cache_dir)
    except OSError as error:
        fail(f"{error.filename}: cannot remove the cache ({error.strerror})")
    for path in touched:
        click.echo(f"{'moved aside' if path.name.count('.moved-') else 'removed'} {path}")
    if not touched:
        click.echo("the cache was empty: nothing to remove")


def open_cache(cache_dir):
    """The cache, or a clear error naming the file and the ways out."""
    from kg.enrich.cache import Cache, CacheError

    try:
        return Cache(cache_dir)
    except CacheError as error:
        fail(str(error))


@cache.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@cache_option
def cache_export(file, cache_dir):
    """Write every cached record to FILE (JSONL), e.g. to share a warm cache."""
    from kg.enrich.snapshot import write_jsonl

    store = open_cache(cache_dir)
    rows = list(store.rows())
    store.close()
    for why in store.dropped:
        say(f"warning: {why}")
    try:
        write_jsonl(rows, file)
    except OSError as error:
        fail(f"{file}: cannot write ({error.strerror}); the cache is unchanged")
    click.echo(f"exported {len(rows)} records to {file}")


@cache.command("import")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@cache_option
def cache_import(file, cache_dir):
    """Add the records of FILE (JSONL, as `kg cache export` writes) to the cache, all or nothing."""
    from kg.enrich.snapshot import read_jsonl

    try:
        rows = read_jsonl(file.read_text(encoding="utf-8"), str(file))
    except ValueError as error:
        fail(f"{error}; nothing was imported")
    store = open_cache(cache_dir)
    count = store.write(rows)
    store.close()
    click.echo(f"imported {count} records from {file}")


@main.command()
@click.argument("target", required=False)
@click.argument("query", required=False)
@click.option(
    "--param", "params", multiple=True, metavar="NAME=VALUE", help="A parameter of a saved query (repeatable)."
)
@click.option("--limit", type=click.IntRange(min=0), help="Show at most this many rows.")
@click.option("--endpoint", metavar="URL", help="Query this SPARQL endpoint instead of a build (then give QUERY only).")
@format_option(QUERY_FORMATS, help_text="Output format (default: table).")
def query(target, query, params, limit, endpoint, fmt):
    """Run QUERY on TARGET (a build folder or graph file), or on a SPARQL endpoint.

    QUERY is the name of a saved query (`kg queries` lists them), a .rq file, or SPARQL text.
    """
    from kg.query import QueryError, render
    from kg.savedqueries import load_query, parse_assignments, run_saved

    if endpoint and target and query:
        fail("with --endpoint give only the query: kg query --endpoint URL most-cited")
    if endpoint:
        query = query or target
    if not query or not (target or endpoint):
        fail(
            "expected a build folder (or graph file) and a query: kg query BUILD most-cited, "
            "or kg query --endpoint URL most-cited"
        )
    try:
        saved = load_query(query)
        given = parse_assignments(params)
        click.echo(render(run_saved(open_graph(target, endpoint), saved, given), fmt, limit), nl=False)
    except (QueryError, FileNotFoundError) as error:
        fail(str(error))


def open_graph(target: str | None, endpoint: str | None):
    """What a query runs on: a remote SPARQL endpoint, or a build's store opened read-only."""
    if endpoint:
        from kg.push import Endpoint

        return Endpoint(endpoint)
    if target is None:
        fail("expected a build folder (or graph file) to query")
    return load_build(target)


@main.command("validate")
@click.argument("target")
@click.option(
    "--engine",
    type=click.Choice(["pyshacl", "sparql", "python"]),
    default="pyshacl",
    show_default=True,
    help="pyshacl over the whole shapes file (slow past 20,000 triples), the shapes compiled to SPARQL, "
    "or the checks a build runs in Python.",
)
def validate_build(target, engine):
    """Check TARGET (a build folder or graph file) against the SHACL shapes; exit 1 with the violations."""
    from kg.validate import ValidationFailed, validate

    graph = load_build(target)
    try:
        validate(graph, engine)
    except ValidationFailed as failure:
        fail(f"{target}: {failure}")
    say(f"{target}: conforms to the shapes ({len(graph):,} triples, checked by {engine})")


@main.command()
@click.argument("target")
@clustering_options
def clusters(target, method, resolution):
    """Related-work clusters of TARGET (a build folder or graph file): cluster, size, label, top papers."""
    from kg.clusters import ClusterError
    from kg.exports import related_work, to_table

    try:
        click.echo(to_table(related_work(load_build(target), method, resolution)), nl=False)
    except (ClusterError, FileNotFoundError) as error:
        fail(str(error))


@main.command()
@click.argument("target")
@format_option(EXPORT_FORMATS, required=True, help_text="What to write.")
@clustering_options
@out_file_option()
def export(target, fmt, method, resolution, out):
    """Export the related-work clusters of TARGET (a build folder or graph file)."""
    from kg.clusters import ClusterError
    from kg.exports import export as run_export
    from kg.store import atomic_write

    try:
        text = run_export(load_build(target), fmt, method, resolution)
    except (ClusterError, FileNotFoundError) as error:
        fail(str(error))
    if out:
        atomic_write(out, text)
        click.echo(f"wrote {out}", err=True)
    else:
        click.echo(text, nl=False)


# --- curation: suggest, classify, lint, history (kg/curate/) ------------------------------------
def emit(text: str, out: Path | None) -> None:
    """A report to stdout, or whole into a file."""
    from kg.store import atomic_write

    if out:
        atomic_write(out, text)
        click.echo(f"wrote {out}", err=True)
    else:
        click.echo(text, nl=False)


def load_build(target: str):
    """A build's graph (its on-disk store, opened read-only; else its graph file), or a clear error
    (missing, not RDF, unreadable)."""
    from kg.store import GraphFileError, KnowledgeGraph

    try:
        return KnowledgeGraph.open(target)
    except GraphFileError as error:
        fail(str(error))
    except FileNotFoundError as error:
        fail(f"cannot read the build's graph: {error}")
    except OSError as error:
        fail(f"{target}: cannot read the build's graph ({error.strerror})")


@main.command()
@click.argument("target")
@click.option("--top", type=click.IntRange(min=1), default=20, show_default=True, help="How many papers to show.")
@format_option(REPORT_FORMATS, default="markdown", help_text="Markdown for reading, JSON for tools.")
@out_file_option()
def suggest(target, top, fmt, out):
    """Papers TARGET's list is missing, each with the listed papers that point to it and a heading."""
    from kg.curate.facts import Facts
    from kg.curate.suggest import suggest as run_suggest, to_json_text, to_markdown

    facts = Facts.from_model(load_build(target))
    suggestions = run_suggest(facts, top)
    emit((to_json_text if fmt == "json" else to_markdown)(facts, suggestions), out)


@main.command()
@click.argument("target")
@click.argument("paper")
@click.option(
    "--method",
    type=click.Choice(["vote", "spreading", "terms", "combined"]),
    default="combined",
    show_default=True,
    help="How headings are scored (see docs/curation.md).",
)
@offline_option("Look the paper up in the cache and snapshot only; send no request.")
@cache_option
@format_option(REPORT_FORMATS, default="markdown", help_text="Markdown for reading, JSON for tools.")
@out_file_option()
def classify(target, paper, method, offline, cache_dir, fmt, out):
    """Which heading of TARGET's list PAPER (arXiv:2401.14361, DOI:..., a URL) belongs under."""
    from kg.curate.classify import Classifier, IdentifierError, locate, parse_identifier, to_json_text, to_markdown
    from kg.curate.facts import Facts
    from kg.enrich import EnrichmentError

    try:
        identifier = parse_identifier(paper)
    except IdentifierError as error:
        fail(str(error))
    facts = Facts.from_model(load_build(target))
    try:
        located = locate(facts, identifier, offline=offline, cache_dir=cache_dir)
    except EnrichmentError as error:  # the enrichment cache cannot be read
        fail(str(error))
    result = Classifier(facts).classify(located.work, method) if located.work else None
    emit((to_json_text if fmt == "json" else to_markdown)(facts, located, result), out)
    if located.work is None:
        fail(f"{located.identifier}: {located.source}")  # plain text: the report above is Markdown


@main.command()
@click.argument("target")
@format_option(REPORT_FORMATS, default="markdown", help_text="Markdown for reading, JSON for tools.")
@out_file_option()
@click.option(
    "--fix-tags",
    "fixed",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write a copy of the list with the venue tags corrected to this file (never in place).",
)
@click.option(
    "--list",
    "list_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The list file the build read (default: the one its manifest names).",
)
def lint(target, fmt, out, fixed, list_file):
    """Stale, duplicate and inconsistent entries of TARGET's list, each with its line."""
    from kg.curate.lint import (
        ListMismatch,
        build_enrichment,
        built_list,
        fix_tags,
        lint as run_lint,
        to_json_text,
        to_markdown,
    )
    from kg.model import read_model
    from kg.store import atomic_write

    model = read_model(load_build(target))
    findings = run_lint(model, build_enrichment(Path(target)))
    if fixed:
        try:
            source = built_list(model, Path(target), list_file)
            if fixed.resolve() == Path(source.label).resolve():
                fail(f"--fix-tags would overwrite the list itself ({fixed}): give another file")
            text, applied = fix_tags(source.text, findings)
        except (ListMismatch, ValueError) as error:
            fail(str(error))
        atomic_write(fixed, text)
        click.echo(f"wrote {fixed}: {applied} tags corrected", err=True)
    emit((to_json_text if fmt == "json" else to_markdown)(model.title or "the list", findings), out)


@main.command()
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@out_folder_option("Folder for the report, plots and history graph (default builds/NAME-history).")
@click.option(
    "--file", "list_name", default="README.md", show_default=True, help="The list's file inside the git repository."
)
@click.option("--name", help="The list's name, for IRIs (default: the repository's or folder's name).")
@offline_option("Enrich from the cache and shipped snapshot only; send no request.")
@cache_option
def history(source, out, list_name, name, offline, cache_dir):
    """The list over its history: SOURCE is a git repository or a folder of dated versions (index.tsv)."""
    from kg.build import BuildError
    from kg.curate.history import HistoryError, run_history
    from kg.enrich import EnrichmentError
    from kg.identifiers import slugify
    from kg.progress import progress_for

    slug = slugify(name or source.resolve().name.removesuffix(".git"))
    out = out or Path("builds") / f"{slug}-history"
    try:
        with progress_for(False) as progress:
            result, _ = run_history(
                source, out, list_name=list_name, slug=slug, offline=offline, cache_dir=cache_dir, progress=progress
            )
    except (HistoryError, BuildError, EnrichmentError) as error:
        fail(str(error))
    kinds = {kind: sum(1 for e in result.events if e.kind == kind) for kind in ("entered", "left", "moved")}
    click.echo(
        f"wrote {out}: {len(result.versions)} versions from {result.versions[0].date} to "
        f"{result.versions[-1].date}, {result.counts[-1]} papers now; {kinds['entered']} entered, "
        f"{kinds['left']} left, {kinds['moved']} moved; see {out / 'report.md'}"
    )


@main.command()
@click.argument("build", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--focus", metavar="TITLE_WORDS", help="Draw one paper's neighbourhood: the paper whose title has these words."
)
@click.option("--depth", type=click.IntRange(min=0), help="Citation steps around --focus (default 1).")
@click.option("--heading", metavar="LABEL", help="Draw the papers under one heading (and its sub-headings).")
@click.option(
    "--max-nodes",
    type=click.IntRange(min=1),
    default=5000,
    show_default=True,
    help="Above this many papers, draw the listed papers only.",
)
@out_file_option("Page to write (default: a new temporary folder, so the build is left as it was).")
@click.option("--no-open", is_flag=True, help="Write the page but do not open it in a browser.")
def view(build, focus, depth, heading, max_nodes, out, no_open):
    """Write the interactive citation graph page of BUILD and open it in a browser."""
    import tempfile
    import webbrowser

    from kg.page import PageError, view_page
    from kg.store import GraphFileError

    if out is None:
        out = Path(tempfile.mkdtemp(prefix="kg-view-")) / "graph.html"
    try:
        path, graph, note = view_page(build, focus=focus, depth=depth, heading=heading, out=out, max_nodes=max_nodes)
    except (PageError, FileNotFoundError, GraphFileError) as error:
        fail(str(error))
    listed = sum(1 for paper in graph.papers if paper.listed)

    def counted(number: int, noun: str) -> str:
        return f"{number} {noun}{'' if number == 1 else 's'}"

    click.echo(
        f"wrote {path}: {counted(len(graph.papers), 'paper')} ({listed} listed, "
        f"{counted(len(graph.papers) - listed, 'outside work')}), {counted(len(graph.edges), 'citation')}"
    )
    if note:
        click.echo(note, err=True)
    if not no_open and not webbrowser.open(path.resolve().as_uri()):
        click.echo(f"no browser found here: open {path.resolve()} yourself", err=True)


@main.command()
@click.argument("name", required=False)
def queries(name):
    """The saved queries, with what each answers; with NAME, that query's parameters and text."""
    from kg.query import QueryError
    from kg.savedqueries import load_query, saved_queries

    if name:
        try:
            saved = load_query(name)
        except QueryError as error:
            fail(str(error))
        click.echo(f"{saved.name}: {saved.title}\n{saved.description}")
        for param in saved.params:
            default = "required" if param.default is None else f"default {param.default}"
            click.echo(f"  --param {param.name}=...  {param.type_text}, {default}: {param.description}")
        click.echo("\n" + saved.text, nl=False)
        return
    listed = saved_queries()
    width = max(len(n) for n in listed)
    for saved in listed.values():
        click.echo(f"{saved.name:<{width}}  {saved.description}")
        if saved.params:
            shown = ", ".join(
                f"{p.name} ({p.type_text}{'' if p.default is None else ', default ' + p.default})" for p in saved.params
            )
            click.echo(f"{'':<{width}}  parameters: {shown}")


@main.command()
@click.argument("target", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=7878, show_default=True)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    help="Seconds a query may run before it is stopped (HTTP 503).",
)
@click.option(
    "--max-rows",
    type=click.IntRange(min=1),
    default=10_000,
    show_default=True,
    help="Rows (or triples) a query answers with at most.",
)
@click.option("--allow-update", is_flag=True, help="Accept SPARQL updates from clients that send the token.")
@click.option(
    "--token",
    envvar="KG_SERVE_TOKEN",
    help="The token updates must carry (Authorization: Bearer); or set KG_SERVE_TOKEN.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=3,
    show_default=True,
    help="Query worker processes (each holds the graph): reads run side by side.",
)
@click.option(
    "--max-memory",
    type=click.IntRange(min=16),
    default=1024,
    show_default=True,
    metavar="MB",
    help="Memory one query may use on top of the graph; past it the query is stopped (HTTP 503).",
)
@click.option(
    "--max-body",
    type=click.IntRange(min=1024),
    default=1_000_000,
    show_default=True,
    metavar="BYTES",
    help="Largest request body accepted (HTTP 413 past it).",
)
@click.option(
    "--cors",
    "cors",
    multiple=True,
    metavar="ORIGIN",
    help="Let web pages from ORIGIN (e.g. https://yasgui.triply.cc) query the server; repeatable. "
    "Default: no cross-origin reads.",
)
@click.option(
    "--federate",
    multiple=True,
    metavar="URL",
    help="Allow SERVICE (and LOAD) to this endpoint; repeatable. Default: federation off.",
)
def serve(target, host, port, timeout, max_rows, allow_update, token, workers, max_memory, max_body, cors, federate):
    """Serve TARGET (a build folder) as a SPARQL endpoint at /sparql, with a query page at /."""
    from kg.serve import LOOPBACK_HOSTS, Settings, serve as run_server

    if allow_update and not token:
        fail("--allow-update needs a token (--token or KG_SERVE_TOKEN) that update requests must carry")
    if token and not allow_update:
        fail("--token is only for --allow-update")
    if not (target / "graph.trig").is_file():
        fail(f"{target}: no graph.trig here (run `kg build` first?)")
    for origin in cors:
        if not re.fullmatch(r"https?://[^/\s*]+", origin):
            fail(
                f"--cors {origin!r}: expected one origin, scheme://host[:port] with no path, e.g. "
                "https://yasgui.triply.cc ('*' is not accepted: name the origin)"
            )
    for url in federate:
        if not re.fullmatch(r"https?://\S+", url):
            fail(f"--federate {url!r}: expected an http(s) endpoint URL")
    click.echo(
        f"serving {target} on http://{host}:{port}/ (SPARQL endpoint: /sparql, "
        f"{'updates allowed with the token' if allow_update else 'read-only'}); Ctrl-C stops",
        err=True,
    )
    loopback = host in LOOPBACK_HOSTS
    if not loopback:
        click.echo(f"warning: listening on {host}: anyone who can reach it can query the graph", err=True)
    run_server(
        Settings(
            target,
            timeout,
            max_rows,
            token if allow_update else None,
            workers=workers,
            max_memory_mb=max_memory,
            max_body=max_body,
            cors_origins=tuple(cors),
            federate=tuple(federate),
            allowed_hosts=(*LOOPBACK_HOSTS, "[::1]") if loopback else ("*",),
        ),
        host,
        port,
    )


@main.command()
@click.argument("target", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--endpoint",
    required=True,
    metavar="URL",
    help="Graph Store Protocol URL (Fuseki: http://HOST:3030/DATASET/data); a bare server address "
    "means Oxigraph's /store or Virtuoso's /sparql-graph-crud-auth. A login comes from the URL "
    "(user:password@), KG_ENDPOINT_USER/KG_ENDPOINT_PASSWORD or ~/.netrc; it is never printed.",
)
def push(target, endpoint):
    """Replace awesome-kg's named graphs on a SPARQL server with those of TARGET (a build folder)."""
    from kg.push import PushError, push as run_push
    from kg.query import QueryError

    try:
        report = run_push(target, endpoint)
    except (PushError, QueryError) as error:
        fail(str(error))
    for graph, triples in report.triples.items():
        click.echo(f"  {graph}: {triples} triples")
    for graph in report.removed:
        click.echo(f"  {graph}: removed (not in this build)")
    click.echo(
        f"pushed {sum(report.triples.values())} triples in {len(report.triples)} graphs to {report.store_url} "
        f"in {report.seconds:.1f} s ({report.method})"
    )
    if report.query_url != report.store_url:
        click.echo(f"query it: kg query --endpoint {report.query_url} most-cited")


@main.command()
@click.argument("build_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The site's folder (new, empty, or a site written before, which is replaced).",
)
@quiet_option
def publish(build_dir, out, quiet):
    """Write BUILD_DIR as a static website: paper, heading and SPARQL pages; serve OUT as is."""
    from kg.progress import progress_for
    from kg.publish import PublishError, publish as run_publish

    try:
        with progress_for(quiet) as progress:
            written = run_publish(build_dir, out, progress=progress)
    except PublishError as error:
        fail(str(error))
    if not quiet:
        size = sum(path.stat().st_size for path in written)
        click.echo(f"published {out}: {plural(len(written), 'file')}, {size / 1e6:.1f} MB; open {out / 'index.html'}")
