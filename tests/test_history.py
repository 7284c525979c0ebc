"""`kg history`: the real list over its 88 versions, and over a git repository of some of them."""

from __future__ import annotations

import csv
import json
import os
import subprocess

import pytest
from click.testing import CliRunner

from conftest import DATA, DEFAULT_LIST, LATEST_LIST, LISTS
from kg.cli import main
from kg.curate.history import HistoryError, read_versions, run_history
from kg.listparse import parse_list_file
from kg.store import KnowledgeGraph

INDEX = list(csv.DictReader((LISTS / "index.tsv").read_text(encoding="utf-8").splitlines(), delimiter="\t"))
PLOTS = ("papers-per-heading", "papers-added-per-month", "listing-lag")


@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    """The whole history of the list (tests/data), offline (the shipped snapshot gives a few arXiv days)."""
    out = tmp_path_factory.mktemp("history")
    history, files = run_history(LISTS, out, offline=True, cache_dir=tmp_path_factory.mktemp("cache"))
    return history, out, files


def replay(history, upto: int) -> set[str]:
    """The papers on the list after version `upto`, from the recorded changes alone."""
    papers: set[str] = set()
    for event in history.events:
        if event.version > upto:
            break
        if event.kind == "entered":
            papers.add(event.key)
        elif event.kind == "left":
            papers.discard(event.key)
        elif event.kind == "relinked":
            papers.discard(event.former)
            papers.add(event.key)
    return papers


def test_every_version_is_read_in_commit_order_and_counted(whole):
    history, _, _ = whole
    assert [v.commit for v in history.versions] == [row["commit"] for row in INDEX]
    default = [row["file"] for row in INDEX].index(DEFAULT_LIST.name)
    assert history.counts[default] == len(parse_list_file(DEFAULT_LIST).papers) == 12
    assert history.counts[-1] == len(parse_list_file(LATEST_LIST).papers)
    assert history.counts[0] == 0 and max(history.counts) > 10 * 12  # the list grew, then was pruned to 127


@pytest.mark.parametrize("number", [3, 5, 29, 36, 39, 49, 50, 73, 85, 87])
def test_the_changes_replayed_give_each_version_s_papers(whole, number):
    history, _, _ = whole
    parsed = parse_list_file(LISTS / INDEX[number]["file"])
    assert replay(history, number) == {p.key for p in parsed.papers}


def test_a_fixed_heading_typo_is_a_rename_not_a_move(whole):
    history, _, _ = whole
    typo = next(i for i, v in enumerate(history.versions) if v.subject == "typo")
    renames = [e for e in history.events if e.version == typo and e.kind == "renamed"]
    assert [(e.removed_labels, e.added_labels) for e in renames] == [
        (["Hareware-Level Optimization"], ["Hardware-Level Optimization"])
    ]
    assert not [e for e in history.events if e.version == typo and e.kind == "moved"]


def test_a_changed_link_with_the_same_title_is_a_relink(whole):
    history, _, _ = whole
    relinks = [e for e in history.events if e.kind == "relinked" and e.title.startswith("One Student Knows")]
    assert {(e.former, e.key) for e in relinks} >= {
        ("arxiv:2201.10890", "title:one student knows all experts know from sparse to dens")
    }
    assert all(history.lineage[e.key] == history.lineage[e.former] for e in relinks)


def test_the_history_graph_says_when_each_paper_entered(whole):
    _, out, _ = whole
    graph = KnowledgeGraph.load(out)
    first = next(row for row in INDEX if "2402.07033" in (LISTS / row["file"]).read_text(encoding="utf-8"))
    rows = list(
        graph.query("""
        SELECT ?date ?hash WHERE {
          ?change a akg:PaperEntered ; akg:changedPaper ?paper ; dcterms:date ?date ; dcterms:isPartOf ?commit ;
                  prov:generated ?version .
          ?paper akg:arxiv "2402.07033" .
          ?commit a akg:Commit ; akg:commitHash ?hash .
          ?version prov:wasGeneratedBy ?commit .
        }""")
    )
    assert [(r["date"].value, r["hash"].value) for r in rows] == [(first["date"], first["commit"])]
    revisions = "SELECT (COUNT(*) AS ?n) WHERE { ?v a akg:ListVersion ; prov:wasRevisionOf ?w }"
    assert int(next(iter(graph.query(revisions)))["n"].value) == len(INDEX) - 1


def test_arxiv_dates_and_listing_lag(whole):
    history, _, _ = whole
    seed = json.loads((DATA / "seed-snapshot.json").read_text(encoding="utf-8"))
    fiddler = next(p for p in seed["papers"] if p["arxiv"] == "2402.07033")
    assert history.arxiv_dates["arxiv:2402.07033"].isoformat() == fiddler["arxiv_first_date"]
    lags = history.lags()
    assert len(lags) == len(history.arxiv_dates) > 100
    assert all(days >= -31 for days in lags.values())  # listed after (or within the month of) arXiv


def test_the_report_embeds_the_plots_and_states_the_growth(whole):
    history, out, files = whole
    report = (out / "report.md").read_text(encoding="utf-8")
    for name in PLOTS:
        assert f"]({name}.png)" in report and f"[SVG]({name}.svg)" in report
        assert (out / f"{name}.png").read_bytes().startswith(b"\x89PNG")
        assert b"<svg" in (out / f"{name}.svg").read_bytes()[:600]
    start = next(i for i, n in enumerate(history.counts) if n)
    assert f"grew from {history.counts[start]} papers" in report and f"to {history.counts[-1]} papers" in report
    assert "| 2025-07-26 | 4cfbf8e | Hareware-Level Optimization | Hardware-Level Optimization |" in report
    data = json.loads((out / "history.json").read_text(encoding="utf-8"))
    assert [v["papers"] for v in data["versions"]] == history.counts
    assert {p.name for p in files} >= {"report.md", "history.json", "graph.trig", "listing-lag.svg"}


def git_repository(path, rows):
    """A git repository whose README.md goes through the given versions, one commit each."""
    git = ["git", "-C", str(path), "-c", "user.name=Curator", "-c", "user.email=curator@example.org"]
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    for row in rows:
        (path / "README.md").write_bytes((LISTS / row["file"]).read_bytes())
        when = f"{row['date']}T12:00:00+00:00"
        env = os.environ | {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
        subprocess.run(git + ["add", "README.md"], check=True)
        subprocess.run(git + ["commit", "-q", "-m", row["subject"]], check=True, env=env)
    log = subprocess.run(git + ["log", "--reverse", "--format=%H"], check=True, capture_output=True, text=True)
    return log.stdout.split()


def test_kg_history_on_a_git_repository_is_byte_identical_when_rerun(tmp_path):
    rows = INDEX[2:7]
    repo = tmp_path / "awesome-moe-inference.git"
    hashes = git_repository(repo, rows)
    runner = CliRunner()
    outputs = []
    for run in ("a", "b"):
        result = runner.invoke(
            main, ["history", str(repo), "--out", str(tmp_path / run), "--offline", "--cache", str(tmp_path / "cache")]
        )
        assert result.exit_code == 0, result.output
        outputs.append({p.name: p.read_bytes() for p in sorted((tmp_path / run).iterdir())})
    assert outputs[0] == outputs[1]
    assert {f"{name}.{ext}" for name in PLOTS for ext in ("png", "svg")} <= set(outputs[0])
    versions = read_versions(repo)
    assert [v.commit for v in versions] == hashes and [v.date for v in versions] == [r["date"] for r in rows]
    graph = KnowledgeGraph.load(tmp_path / "a")
    recorded = {r["h"].value for r in graph.query("SELECT ?h WHERE { ?c a akg:Commit ; akg:commitHash ?h }")}
    assert recorded == set(hashes)
    kinds = [e["kind"] for e in json.loads(outputs[0]["history.json"])["events"]]
    assert kinds.count("entered") - kinds.count("left") == len(parse_list_file(LISTS / rows[-1]["file"]).papers)


def test_a_folder_that_is_no_history_is_a_clear_error(tmp_path):
    (tmp_path / "notes.md").write_text("# not a list version\n")
    with pytest.raises(HistoryError, match="expected a git repository, or a folder of versions with index.tsv"):
        read_versions(tmp_path)
    result = CliRunner().invoke(main, ["history", str(tmp_path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1 and "index.tsv" in result.output
