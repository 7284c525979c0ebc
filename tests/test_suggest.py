"""`kg suggest` and the build's report.md: papers the list is missing, ranked, with their evidence."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from click.testing import CliRunner
from pyoxigraph import NamedNode

from curate_builds import enriched_build
from kg.cli import main
from kg.curate.facts import Facts
from kg.curate.render import md, percent
from kg.curate.suggest import MIN_LINKS, suggest, to_markdown as suggest_markdown
from kg.identifiers import normalize_title

LATEST = "2025-10-20_f7ccad0.md"
CITES = "ASK { ?a cito:cites ?b }"


@pytest.fixture(scope="module")
def latest(tmp_path_factory):
    return enriched_build(LATEST, tmp_path_factory)


def test_suggestions_are_outside_works_linked_to_several_listed_papers(default_build):
    graph = default_build.graph
    found = suggest(Facts.from_model(graph))
    assert found
    for s in found:
        assert not s.work.listed and s.work.identifiers
        assert s.links >= MIN_LINKS
        for paper in s.cited_by:
            assert graph.query(CITES, {"a": NamedNode(paper.iri), "b": NamedNode(s.work.iri)})
        for paper in s.cites:
            assert graph.query(CITES, {"a": NamedNode(s.work.iri), "b": NamedNode(paper.iri)})
        assert s.score == round(s.links + s.cocitation + s.recency, 3)
        assert 0 <= s.cocitation <= 1 and 0 <= s.recency <= 1
    scores = [s.score for s in found]
    assert scores == sorted(scores, reverse=True)


def test_the_most_cited_outside_work_comes_first(default_build):
    facts = Facts.from_model(default_build.graph)
    found = suggest(facts)
    most = max(len(s.cited_by) + len(s.cites) for s in found)
    assert found[0].links == most
    assert found[0].heading.decided and found[0].heading.candidates[0].heading in facts.headings


def test_newer_papers_that_cite_the_list_are_suggested_with_what_they_cite(latest):
    facts = Facts.from_model(latest.graph)
    found = suggest(facts)
    citers = [s for s in found if s.cites and not s.cited_by]
    assert citers, "outside papers citing several listed papers should be suggested"
    newest = max(s.work.year for s in found if s.work.year)
    assert any(s.work.year == newest for s in citers)
    assert all(s.recency == 1.0 for s in citers if s.work.year == newest)
    listed_titles = {normalize_title(t) for w in facts.listed for t in (w.title, w.source_title) if t}
    assert not any(normalize_title(s.work.title) in listed_titles for s in found)  # e.g. MoESys, listed by URL
    unresolved = [
        w
        for w in facts.works.values()
        if not w.listed and not w.identifiers and len(facts.neighbours.get(w.iri, ())) >= MIN_LINKS
    ]
    assert unresolved  # bibliography items S2 could not link ...
    assert not {w.iri for w in unresolved} & {s.work.iri for s in found}  # ... are never suggested


def test_the_top_of_the_ranking_is_the_top_of_the_full_ranking(latest):
    facts = Facts.from_model(latest.graph)
    every = suggest(facts)
    for top in (1, 5, 12):
        assert [s.work.iri for s in suggest(facts, top)] == [s.work.iri for s in every[:top]]


def test_kg_suggest_markdown_and_json(default_build):
    runner = CliRunner()
    markdown = runner.invoke(main, ["suggest", str(default_build.out), "--top", "3"])
    assert markdown.exit_code == 0, markdown.output
    data = runner.invoke(main, ["suggest", str(default_build.out), "--top", "3", "--format", "json"])
    report = json.loads(data.stdout)
    assert len(report["suggestions"]) == 3
    first = report["suggestions"][0]
    assert f"## 1. {md(first['title'])}" in markdown.output
    assert first["cited_by"] and first["headings"][0]["heading"] in markdown.output
    missing = runner.invoke(main, ["suggest", str(default_build.out / "nothing")])
    assert missing.exit_code == 1 and "no such graph file" in missing.output


def test_outside_text_cannot_inject_markup():
    assert md("<script>x</script> | [a](b) *c*") == r"&lt;script&gt;x&lt;/script&gt; \| \[a\](b) \*c\*"


def test_build_writes_report_md_with_the_top_of_each_command(default_build):
    report = (default_build.out / "report.md").read_text(encoding="utf-8")
    facts = Facts.from_model(default_build.graph)
    for section in ("## Papers to add (`kg suggest`)", "## Headings (`kg classify`)", "## Lint (`kg lint`)"):
        assert section in report
    assert f"| {md(suggest(facts, 1)[0].work.title)} |" in report
    assert "| 26 | empty-heading | heading 'Attention Module' has no papers |" in report


def test_report_md_is_the_same_for_the_same_graph(default_build, tmp_path):
    from kg.curate.report import write_report

    again = write_report(default_build.graph, tmp_path)[0]
    assert again.read_bytes() == (default_build.out / "report.md").read_bytes()


def test_the_shipped_lists_landmarks_go_where_their_citers_are(default_build):
    """Switch Transformers went under "Quantization", Sparsely-Gated MoE under "Pruning": one citer each."""
    top = suggest(Facts.from_model(default_build.graph), 3)
    landmarks = ["Switch Transformers", "GShard", "Outrageously Large Neural Networks"]
    assert [s.work.title.split(":")[0] for s in top] == landmarks
    for s in top:
        citing = Counter(h for w in s.cited_by for h in w.headings)
        best = s.heading.candidates[0]
        assert citing[best.heading] == max(citing.values()) >= 2, (s.work.title, best.path, citing)
        assert not best.path.endswith(("Pruning", "Quantization"))


def test_a_landmark_is_filed_where_the_listed_papers_citing_it_sit_and_says_why(latest):
    """Sparsely-Gated MoE was filed under "Pruning"; its suggested heading now follows its citers."""
    facts = Facts.from_model(latest.graph)
    found = {s.work.title: s for s in suggest(facts)}
    moe = found["Outrageously Large Neural Networks: The Sparsely-Gated Mixture-of-Experts Layer"]
    citing = Counter(h for w in moe.cited_by for h in w.headings)
    assert citing
    best = moe.heading.candidates[0]
    assert citing[best.heading] > 0 and citing[best.heading] >= sorted(citing.values())[len(citing) // 2]
    assert not best.path.endswith(("Pruning", "Quantization"))
    under = sorted(w.title for w in moe.cited_by if best.heading in w.headings)
    assert [e for e in best.evidence if e.startswith("cited by ")] == [f"cited by {t}" for t in under]
    report = suggest_markdown(facts, [moe])
    assert f"  - {md(best.path)} ({percent(best.score)}): cited by {md(under[0])}" in report
