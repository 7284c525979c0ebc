"""The `kg` command: a thin layer over the library (every command is one library call)."""
from __future__ import annotations

import sys
from pathlib import Path

import click


def fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


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


@click.group()
@click.version_option(package_name="awesome-kg")
def main() -> None:
    """awesome-kg: an awesome list of papers as a citation knowledge graph."""


@main.command()
@click.argument("list_file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Build folder (default builds/NAME).")
@click.option("--name", help="The list's name, for IRIs and the build folder (default: from the file).")
@click.option("--offline", is_flag=True, help="Use cache and shipped snapshot only; send no request.")
@click.option("--strict", is_flag=True, help="Fail (exit 1) on any parse warning.")
@click.option("--cache", "cache_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Cache folder (default: the user cache directory).")
@click.option("--refresh-older-than", "refresh", help="Refetch cached records older than this (30d, 12h).")
@click.option("--contexts", is_flag=True, help="Also fetch citation intents and influence (one request per paper).")
@click.option("--quiet", "-q", is_flag=True, help="No progress and no summary.")
def build(list_file, out, name, offline, strict, cache_dir, refresh, contexts, quiet):
    """Build the graph of LIST_FILE (default: the shipped awesome-moe-inference list)."""
    from kg.build import BuildError, ListSource, build as run_build
    from kg.progress import progress_for

    try:
        source = ListSource.from_path(list_file, name) if list_file else ListSource.shipped()
        with progress_for(quiet) as progress:
            result = run_build(source, out, offline=offline, strict=strict, cache_dir=cache_dir,
                               refresh_older_than=parse_age(refresh), contexts=contexts, progress=progress)
    except BuildError as error:
        fail(str(error))
    if not quiet:
        print_build_summary(result)


def print_build_summary(result) -> None:
    """Warnings, what enrichment did or could not do, and what was written."""
    empty = [w for w in result.parsed.warnings if w.message.endswith("has no entries yet")]
    for warning in result.parsed.warnings:
        if warning not in empty:
            click.echo(f"warning: {warning}", err=True)
    if empty:
        labels = ", ".join(w.message.split("'")[1] for w in empty)
        click.echo(f"note: {plural(len(empty), 'heading')} with no entries yet: {labels}", err=True)
    manifest = result.manifest
    counts, enrichment = manifest["counts"], manifest["enrichment"]
    if enrichment["offline"]:
        click.echo(f"offline: Semantic Scholar not asked ({enrichment['offline_reason']}); "
                   f"used cache and shipped snapshot", err=True)
    click.echo(f"enrichment: {enrichment['enriched']} from Semantic Scholar, {enrichment['from_snapshot']} from "
               f"the snapshot, {len(enrichment['unresolved'])} not enriched; {plural(enrichment['requests'], 'request')}, "
               f"{plural(enrichment['cache_hits'], 'cache hit')}", err=True)
    for key, reason in enrichment["unresolved"].items():
        click.echo(f"  not enriched: {key}: {reason}", err=True)
    for problem in enrichment["errors"] + enrichment["incomplete_edge_lists"]:
        click.echo(f"  incomplete: {problem}", err=True)
    click.echo(f"built {result.out}: {counts['listed_papers']} listed papers, {counts['headings']} headings, "
               f"{counts['citation_edges']} citation edges, {counts['outside_works']} outside works, "
               f"{counts['triples']} triples")


@main.command()
@click.argument("build_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--refresh-older-than", "refresh", help="Refetch cached records older than this (30d, 12h).")
@click.option("--contexts", is_flag=True, help="Also fetch citation intents and influence (one request per paper).")
@click.option("--cache", "cache_dir", type=click.Path(file_okay=False, path_type=Path), help="Cache folder.")
@click.option("--quiet", "-q", is_flag=True, help="No progress and no summary.")
def enrich(build_dir, refresh, contexts, cache_dir, quiet):
    """Enrich BUILD_DIR's list again (what the cache lacks or is stale), then rebuild it."""
    from kg.build import BuildError, ListSource, build as run_build
    from kg.progress import progress_for

    try:
        source = ListSource.from_build(build_dir)
        with progress_for(quiet) as progress:
            result = run_build(source, build_dir, cache_dir=cache_dir, refresh_older_than=parse_age(refresh),
                               contexts=contexts, progress=progress)
    except BuildError as error:
        fail(str(error))
    if not quiet:
        print_build_summary(result)


@main.group()
def cache():
    """The enrichment cache: stats, export and import (JSONL records)."""


@cache.command("stats")
@click.option("--cache", "cache_dir", type=click.Path(file_okay=False, path_type=Path), help="Cache folder.")
def cache_stats(cache_dir):
    """How many papers, lookups and edge lists the cache holds, and how old they are."""
    from kg.enrich.cache import Cache

    store = Cache(cache_dir)
    for name, value in store.stats().items():
        click.echo(f"{name:>22}: {value}")
    store.close()


@cache.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--cache", "cache_dir", type=click.Path(file_okay=False, path_type=Path), help="Cache folder.")
def cache_export(file, cache_dir):
    """Write every cached record to FILE (JSONL), e.g. to share a warm cache."""
    from kg.enrich.cache import Cache
    from kg.enrich.snapshot import write_jsonl

    store = Cache(cache_dir)
    rows = list(store.rows())
    store.close()
    write_jsonl(rows, file)
    click.echo(f"exported {len(rows)} records to {file}")


@cache.command("import")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--cache", "cache_dir", type=click.Path(file_okay=False, path_type=Path), help="Cache folder.")
def cache_import(file, cache_dir):
    """Add the records of FILE (JSONL, as `kg cache export` writes) to the cache, all or nothing."""
    from kg.enrich.cache import Cache
    from kg.enrich.snapshot import read_jsonl

    try:
        rows = read_jsonl(file.read_text(encoding="utf-8"), str(file))
    except ValueError as error:
        fail(f"{error}; nothing was imported")
    store = Cache(cache_dir)
    count = store.write(rows)
    store.close()
    click.echo(f"imported {count} records from {file}")


@main.command()
@click.argument("target", required=False)
@click.argument("query", required=False)
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help="A parameter of a saved query (repeatable).")
@click.option("--limit", type=click.IntRange(min=0), help="Show at most this many rows.")
@click.option("--endpoint", metavar="URL", help="Query this SPARQL endpoint instead of a build (then give QUERY only).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "tsv", "json", "xml", "turtle", "ntriples",
                                                     "jsonld"]), help="Output format (default: table).")
def query(target, query, params, limit, endpoint, fmt):
    """Run QUERY on TARGET (a build folder or graph file), or on a SPARQL endpoint.

    QUERY is the name of a saved query (`kg queries` lists them), a .rq file, or SPARQL text.
    """
    from kg.query import QueryError, render, run_query
    from kg.savedqueries import bind_params, load_query, parse_assignments

    if endpoint and target and query:
        fail("with --endpoint give only the query: kg query --endpoint URL most-cited")
    if endpoint:
        query = query or target
    if not query or not (target or endpoint):
        fail("expected a build folder (or graph file) and a query: kg query BUILD most-cited, "
             "or kg query --endpoint URL most-cited")
    try:
        saved = load_query(query)
        graph = open_graph(target, endpoint)
        bindings = bind_params(graph, saved, parse_assignments(params))
        click.echo(render(run_query(graph, saved.text, bindings), fmt, limit), nl=False)
    except (QueryError, FileNotFoundError) as error:
        fail(str(error))


def open_graph(target: str | None, endpoint: str | None):
    """What a query runs on: a remote SPARQL endpoint, or a build loaded into the embedded store."""
    if endpoint:
        from kg.push import Endpoint

        return Endpoint(endpoint)
    from kg.store import KnowledgeGraph

    return KnowledgeGraph.load(target)


CLUSTER_METHODS = ("hybrid", "direct", "cocitation", "coupling")


@main.command()
@click.argument("target")
@click.option("--method", type=click.Choice(CLUSTER_METHODS), default="hybrid", show_default=True,
              help="Citation graph over the listed papers (hybrid = mean of direct, co-citation, coupling).")
@click.option("--resolution", type=float, default=1.0, show_default=True,
              help="Leiden resolution: higher gives more, smaller clusters.")
def clusters(target, method, resolution):
    """Related-work clusters of TARGET (a build folder or graph file): cluster, size, label, top papers."""
    from kg.clusters import ClusterError
    from kg.exports import related_work, to_table
    from kg.store import KnowledgeGraph

    try:
        click.echo(to_table(related_work(KnowledgeGraph.load(target), method, resolution)), nl=False)
    except (ClusterError, FileNotFoundError) as error:
        fail(str(error))


@main.command()
@click.argument("target")
@click.option("--format", "fmt", required=True,
              type=click.Choice(["markdown", "latex", "bibtex", "csl-json", "json", "csv", "graphml", "gexf"]),
              help="What to write.")
@click.option("--method", type=click.Choice(CLUSTER_METHODS), default="hybrid", show_default=True,
              help="Citation graph the clusters come from.")
@click.option("--resolution", type=float, default=1.0, show_default=True, help="Leiden resolution.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout).")
def export(target, fmt, method, resolution, out):
    """Export the related-work clusters of TARGET (a build folder or graph file)."""
    from kg.clusters import ClusterError
    from kg.exports import export as run_export
    from kg.store import KnowledgeGraph, atomic_write

    try:
        text = run_export(KnowledgeGraph.load(target), fmt, method, resolution)
    except (ClusterError, FileNotFoundError) as error:
        fail(str(error))
    if out:
        atomic_write(out, text)
        click.echo(f"wrote {out}", err=True)
    else:
        click.echo(text, nl=False)
