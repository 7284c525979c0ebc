"""`kg build` end to end: files, SHACL validity, determinism, offline behaviour, `kg query`."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import LATEST_LIST, PUBLISHED_EXAMPLE
from kg.build import BuildError, ListSource, build
from kg.cli import main
from kg.store import GRAPH_FILES, KnowledgeGraph

TITLES = "SELECT ?t WHERE { ?p a akg:ListedPaper ; dcterms:title ?t } ORDER BY ?t"


def test_default_build_writes_graph_files_and_manifest(default_build):
    for name in [*GRAPH_FILES, "manifest.json"]:
        assert (default_build.out / name).stat().st_size > 0
    manifest = json.loads((default_build.out / "manifest.json").read_text())
    assert manifest["input"]["file"] == "awesome-kg:data/awesome-moe-inference/README.md"
    assert len(manifest["input"]["sha256"]) == 64
    assert manifest["counts"]["listed_papers"] == 12
    assert manifest["versions"]["pyoxigraph"]
    assert manifest["enrichment"]["offline"] is True


def test_every_graph_file_holds_the_same_triples(default_build):
    import rdflib

    counts = {
        name: len(
            rdflib.Dataset().parse(
                default_build.out / name,
                format={"graph.ttl": "turtle", "graph.nt": "nt", "graph.jsonld": "json-ld", "graph.trig": "trig"}[name],
            )
        )
        for name in ("graph.ttl", "graph.nt", "graph.jsonld")
    }
    assert len(set(counts.values())) == 1
    trig = KnowledgeGraph.load(default_build.out / "graph.trig")
    graphs = {str(q.graph_name) for q in trig.store}
    assert {
        "<https://w3id.org/awesome-kg/id/graph/list>",
        "<https://w3id.org/awesome-kg/id/graph/snapshot>",
        "<https://w3id.org/awesome-kg/id/graph/provenance>",
    } <= graphs


def test_offline_build_has_the_snapshot_citation_edges(default_graph):
    rows = list(
        default_graph.query("""
        SELECT ?citing ?cited WHERE {
          GRAPH <https://w3id.org/awesome-kg/id/graph/snapshot> { ?a cito:cites ?b }
          ?a a akg:ListedPaper ; dcterms:title ?citing . ?b a akg:ListedPaper ; dcterms:title ?cited }""")
    )
    pairs = {(r["citing"].value[:20], r["cited"].value[:20]) for r in rows}
    assert ("A Survey on Mixture ", "A Review of Sparse E") in pairs
    # DeepSpeed-MoE is listed by its PMLR page but cited by arXiv id: still one node
    assert ("MoE-Pruner: Pruning ", "DeepSpeed-MoE: Advan") in pairs or any(b.startswith("DeepSpeed") for _, b in pairs)


def test_rebuild_is_byte_identical(default_build, tmp_path):
    again = build(out=tmp_path / "again", offline=True, cache_dir=tmp_path / "cache")
    for name in GRAPH_FILES:
        assert (again.out / name).read_bytes() == (default_build.out / name).read_bytes(), name


def test_iris_are_stable_across_list_versions(default_graph, tmp_path):
    latest = build(
        ListSource.from_path(LATEST_LIST, "awesome-moe-inference"),
        tmp_path / "latest",
        offline=True,
        cache_dir=tmp_path / "cache",
    )
    query = "SELECT ?p WHERE { ?p a akg:ListedPaper }"
    old = {r["p"].value for r in default_graph.query(query)}
    new = {r["p"].value for r in latest.graph.query(query)}
    assert len(old) == 12 and old <= new


def test_published_example_build_is_current(default_build):
    committed = PUBLISHED_EXAMPLE
    written = [path.name for path in default_build.files if path.name != "manifest.json"]  # the build time
    assert set(GRAPH_FILES) | {"graph.html", "references.bib", "report.md"} <= set(written)
    for name in written:
        assert (committed / name).read_bytes() == (default_build.out / name).read_bytes(), (
            f"examples/awesome-moe-inference/{name} is stale: run `make example`"
        )


def test_strict_fails_on_warnings_and_keeps_the_earlier_build(tmp_path):
    bad = tmp_path / "README.md"
    bad.write_text(
        "# My list\n## Offloading\n[Arxiv'24] [Fiddler](https://arxiv.org/abs/2402.07033)\n"
        "[Arxiv'24] [Broken link](https://arxiv.org/abs/2401.00001\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    built = build(ListSource.from_path(bad), out, offline=True, cache_dir=tmp_path / "cache")
    assert built.manifest["counts"]["listed_papers"] == 2
    before = (out / "graph.ttl").read_bytes()
    with pytest.raises(BuildError, match=r"README.md:4: entry 'Broken link' has no link"):
        build(ListSource.from_path(bad), out, offline=True, strict=True, cache_dir=tmp_path / "cache")
    assert (out / "graph.ttl").read_bytes() == before


def test_cli_build_reports_warnings_offline_and_strict_exit_code(tmp_path):
    bad = tmp_path / "README.md"
    bad.write_text("# L\n## A\n[Arxiv'24] [No link]\n", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(
        main, ["build", str(bad), "--out", str(tmp_path / "o"), "--offline", "--cache", str(tmp_path / "c")]
    )
    assert result.exit_code == 0
    assert "README.md:3: entry 'No link' has no link" in result.output
    assert "offline: Semantic Scholar not asked" in result.output
    strict = runner.invoke(
        main, ["build", str(bad), "--out", str(tmp_path / "o"), "--offline", "--strict", "--cache", str(tmp_path / "c")]
    )
    assert strict.exit_code == 1 and "--strict" in strict.output


def test_build_without_network_finishes_and_says_so(tmp_path):
    """No S2_API_URL and no network here: the API host does not resolve; the build goes on."""
    env = {"PATH": str(Path(sys.executable).parent), "HOME": str(tmp_path), "S2_API_URL": "http://127.0.0.1:9/graph/v1"}
    done = subprocess.run(
        [sys.executable, "-m", "kg", "build", "--out", str(tmp_path / "b"), "--cache", str(tmp_path / "c")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "offline: Semantic Scholar not asked (cannot reach" in done.stderr
    assert "12 from the snapshot" in done.stderr


@pytest.mark.parametrize(
    "fmt, expect",
    [
        ("table", "12 rows"),
        ("csv", "t\n"),
        ("tsv", "?t\n"),
        ("json", '"vars":["t"]'),
        ("xml", "<sparql"),
    ],
)
def test_kg_query_in_each_format(default_build, fmt, expect):
    result = CliRunner().invoke(main, ["query", str(default_build.out), TITLES, "--format", fmt])
    assert result.exit_code == 0, result.output
    assert expect in result.output.replace("\r\n", "\n")
    assert "Fiddler: CPU-GPU Orchestration" in result.output


def test_kg_query_reads_rq_files_and_points_at_syntax_errors(default_build, tmp_path):
    rq = tmp_path / "titles.rq"
    rq.write_text(TITLES)
    assert "12 rows" in CliRunner().invoke(main, ["query", str(default_build.out), str(rq)]).output
    bad = CliRunner().invoke(main, ["query", str(default_build.out), "SELECT ?t WHERE {\n  ?p dcterms:title ?t ."])
    assert bad.exit_code == 1
    assert "query error at line 2" in bad.output and "^" in bad.output


def test_kg_help_is_fast():
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "kg", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "build" in done.stdout
    heavy = [line for line in done.stderr.splitlines() if line.rstrip().endswith(("rdflib", "pyoxigraph"))]
    assert not heavy, "kg --help must not import the RDF stack"


def test_a_list_over_the_size_limit_is_refused_with_a_clear_message(tmp_path):
    listfile = tmp_path / "README.md"
    listfile.write_text(
        "# L\n## A\n" + "".join(f"[Arxiv'24] [Paper {n}](https://arxiv.org/abs/2401.{n:05d})\n\n" for n in range(30))
    )
    result = CliRunner().invoke(
        main,
        [
            "build",
            str(listfile),
            "--offline",
            "--max-papers",
            "20",
            "--out",
            str(tmp_path / "o"),
            "--cache",
            str(tmp_path / "c"),
        ],
    )
    assert result.exit_code == 1
    assert "30 papers, more than the limit of 20 (--max-papers); nothing was built" in result.output
    assert not (tmp_path / "o").exists()
    listfile.write_text(listfile.read_text() + "padding " * 1000)
    huge = CliRunner().invoke(
        main,
        [
            "build",
            str(listfile),
            "--offline",
            "--max-papers",
            "1",
            "--out",
            str(tmp_path / "o"),
            "--cache",
            str(tmp_path / "c"),
        ],
    )
    assert huge.exit_code == 1 and "is more than a list of 1 papers can be" in huge.output


def test_a_build_that_fails_half_way_leaves_the_earlier_build_whole(tmp_path, monkeypatch):
    import kg.build

    out = tmp_path / "out"
    first = build(out=out, offline=True, cache_dir=tmp_path / "cache")
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    (out / "notes.txt").write_text("mine")
    latest = ListSource.from_path(LATEST_LIST, "awesome-moe-inference")
    monkeypatch.setattr(kg.build, "write_graph_page", lambda model, out: 1 / 0)  # the last view raises
    with pytest.raises(ZeroDivisionError):
        build(latest, out, offline=True, cache_dir=tmp_path / "cache")
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and p.name != "notes.txt"} == before
    monkeypatch.undo()
    second = build(latest, out, offline=True, cache_dir=tmp_path / "cache")
    assert second.manifest["counts"]["listed_papers"] > first.manifest["counts"]["listed_papers"]
    assert (out / "notes.txt").read_text() == "mine"  # not ours: kept
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no staging left over


def test_source_date_epoch_makes_the_manifest_byte_stable(tmp_path, monkeypatch):
    """`make example` sets SOURCE_DATE_EPOCH, so rebuilding the published example changes no byte."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1732406400")
    first = build(out=tmp_path / "a", offline=True, cache_dir=tmp_path / "cache")
    second = build(out=tmp_path / "b", offline=True, cache_dir=tmp_path / "cache")
    assert first.manifest["built"] == "2024-11-24T00:00:00+00:00"
    assert (first.out / "manifest.json").read_text() == (second.out / "manifest.json").read_text().replace(
        str(second.out), str(first.out)
    )


def test_a_build_leaves_no_cycles_of_its_own_objects(tmp_path):
    """A build pauses the cyclic collector (its millions of objects live until it ends): an object of ours
    caught in a reference cycle would stay in memory to the end of the build (the report's classifier
    kept 256,000 objects so at 20,000 papers)."""
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        build(ListSource.from_path(LATEST_LIST), tmp_path / "b", offline=True, cache_dir=tmp_path / "cache")
        gc.collect()
        ours = sorted({type(o).__qualname__ for o in gc.garbage if type(o).__module__.startswith("kg.")})
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert ours == []
