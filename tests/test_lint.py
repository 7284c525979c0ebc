"""`kg lint`: each finding pinned on a real line of a real version of the awesome list."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from conftest import DEFAULT_LIST, LISTS
from curate_builds import enriched_build, line_of
from kg.build import ListSource, build
from kg.cli import main
from kg.curate.lint import fix_tags, lint

LATEST = "2025-10-20_f7ccad0.md"
BEFORE_TAG_UPDATE = "2024-11-14_7d0f6e4.md"  # the next commit is "update year and conference"
AFTER_TAG_UPDATE = "2024-11-16_90fff68.md"


@pytest.fixture(scope="module")
def latest(tmp_path_factory):
    return enriched_build(LATEST, tmp_path_factory)


@pytest.fixture(scope="module")
def latest_findings(latest):
    return lint(latest.graph)


def at(findings, kind, line):
    hits = [f for f in findings if f.kind == kind and f.line == line]
    assert hits, f"no {kind} finding on line {line}: {[(f.kind, f.line) for f in findings]}"
    return hits[0]


def test_a_truncated_title_is_found_on_its_line(latest_findings):
    finding = at(latest_findings, "title", 195)
    assert "[One Student Knows All Experts Know: From Sparse to Dens](" in line_of(LATEST, 195)
    assert "truncated" in finding.message
    assert finding.fix == "One Student Knows All Experts Know: From Sparse to Dense"


def test_one_paper_under_two_titles_is_a_duplicate(latest_findings):
    finding = at(latest_findings, "duplicate", 248)
    assert "2306.04640" in line_of(LATEST, 248) and "Moduleformer: Learning modular" in line_of(LATEST, 248)
    assert "lines 94, 151, 248" in finding.message
    renamed = at(latest_findings, "title", 248)
    assert "renamed" in renamed.message and renamed.fix == "ModuleFormer: Modularity Emerges from Mixture-of-Experts"


def test_the_same_paper_twice_under_one_heading_is_a_duplicate(latest_findings):
    finding = at(latest_findings, "duplicate", 425)
    for line in (389, 425):  # MoE-Lightning, listed twice
        assert "[MoE-Lightning: High-Throughput" in line_of(LATEST, line) and "2411.11217" in line_of(LATEST, line)
    assert "same heading (lines 389 and 425)" in finding.message


def test_a_tag_year_that_disagrees_with_the_arxiv_id(latest_findings):
    finding = at(latest_findings, "year", 218)
    assert line_of(LATEST, 218).startswith("[Arxiv'23]") and "arxiv.org/abs/2405." in line_of(LATEST, 218)
    assert finding.fix == "Arxiv'24" and finding.tag == "Arxiv'23"
    with_month = at(latest_findings, "year", 376)  # [Arxiv'24.12] on a 2501.x paper
    assert with_month.fix == "Arxiv'25.1"


def test_a_link_without_identifier_that_could_not_be_resolved(latest, latest_findings):
    finding = at(lint(latest.graph, latest.manifest["enrichment"]), "unresolved", 271)
    assert "shaohuais.github.io" in line_of(LATEST, 271) and "shaohuais.github.io" in finding.message
    assert "Semantic Scholar did not resolve it (no Semantic Scholar title match)" in finding.message
    assert latest.manifest["enrichment"]["unresolved"]  # the build said so too
    graph_only = at(latest_findings, "unresolved", 271)  # a graph without its manifest claims nothing
    assert "the graph alone does not say whether it was looked up" in graph_only.message
    assert "did not resolve" not in graph_only.message
    resolved_lines = {f.line for f in latest_findings if f.kind == "unresolved"}
    assert 195 not in resolved_lines  # an arXiv link is never "unresolved"


def test_offline_lint_says_the_link_was_never_asked_about(tmp_path):
    """Built offline, the unresolved link was not looked up: lint must not say Semantic Scholar failed."""
    built = build(
        ListSource.from_path(LISTS / LATEST, "awesome-moe-inference"),
        tmp_path / "out",
        offline=True,
        cache_dir=tmp_path / "empty-cache",
    )
    result = CliRunner().invoke(main, ["lint", str(built.out), "--format", "json"])
    assert result.exit_code == 0, result.output
    findings = [f for f in json.loads(result.stdout)["findings"] if f["kind"] == "unresolved"]
    assert findings
    assert "not enriched: offline (--offline)" in next(f["message"] for f in findings if f["line"] == 271)
    assert not [f for f in findings if "Semantic Scholar did not resolve" in f["message"]]


def test_one_tag_finding_per_entry_the_published_venue_wins(default_build, latest_findings):
    """QMoE (line 45) is tagged [Arxiv'24]: arXiv says 2023 but it was published at MLSys'24; one fix only."""
    shipped = DEFAULT_LIST.read_text(encoding="utf-8").splitlines()
    assert shipped[44].startswith("[Arxiv'24] [QMoE")
    findings = lint(default_build.graph)
    on_45 = [f for f in findings if f.line == 45]
    assert [(f.kind, f.fix) for f in on_45] == [("published", "MLSys'24")]
    for found in (findings, latest_findings):
        tag_lines = [f.line for f in found if f.kind in ("published", "year")]
        assert tag_lines and len(tag_lines) == len(set(tag_lines))


def test_no_line_gets_two_different_fixes(default_build, latest_findings):
    """A tag or a title has one fix per entry, whichever checks look at it."""
    for findings in (lint(default_build.graph), latest_findings):
        fixes: dict[tuple[int, str], set[str]] = {}
        for f in findings:
            if f.fix:
                field = "tag" if f.kind in ("published", "year") else "title"
                fixes.setdefault((f.line, field), set()).add(f.fix)
        assert fixes and all(len(proposed) == 1 for proposed in fixes.values()), fixes


def test_every_finding_names_a_line_of_the_file_the_build_read(latest_findings):
    lines = (LISTS / LATEST).read_text(encoding="utf-8").splitlines()
    assert latest_findings
    for finding in latest_findings:
        assert 1 <= finding.line <= len(lines) and lines[finding.line - 1].strip()


def test_empty_headings_and_published_preprints_in_the_shipped_list(default_build):
    findings = lint(default_build.graph)
    shipped = DEFAULT_LIST.read_text(encoding="utf-8").splitlines()
    empty = at(findings, "empty-heading", 75)
    assert shipped[74] == "### Load balancing/scheduling" and "Load balancing/scheduling" in empty.message
    assert at(findings, "empty-heading", 26).message == "heading 'Attention Module' has no papers"
    assert shipped[23] == "### Efficient Architecture Design" and at(findings, "empty-heading", 24)  # empty children
    parent_headings = ("## Model-Level Optimizations", "### Model Compression")
    parents = [n + 1 for n, line in enumerate(shipped) if line in parent_headings]
    assert len(parents) == 2 and not [f for f in findings if f.line in parents]  # their sub-headings hold papers
    fiddler = at(findings, "published", 71)  # ICLR 2025, from the shipped snapshot
    assert shipped[70].startswith("[Arxiv'24] [Fiddler") and fiddler.fix == "ICLR'25"
    assert at(findings, "published", 45).fix == "MLSys'24"  # QMoE
    assert at(findings, "year", 43).fix == "Arxiv'23"  # MoQE is arXiv 2310.02410


def test_fix_tags_writes_what_the_curators_wrote_next(tmp_path_factory):
    """Lint the version before "update year and conference": its fixes are the ones the commit made."""
    before = enriched_build(BEFORE_TAG_UPDATE, tmp_path_factory)
    findings = lint(before.graph)
    fixed, applied = fix_tags((LISTS / BEFORE_TAG_UPDATE).read_text(encoding="utf-8"), findings)
    assert applied == len({f.line for f in findings if f.kind in ("published", "year")})
    after = (LISTS / AFTER_TAG_UPDATE).read_text(encoding="utf-8").splitlines()
    for arxiv in ("2401.08383", "2304.03946"):  # now at IPDPS'24 and SIGMOD'23
        ours = next(line for line in fixed.splitlines() if arxiv in line)
        theirs = next(line for line in after if arxiv in line)
        assert ours == theirs, (ours, theirs)


def test_kg_lint_fix_tags_writes_a_corrected_copy_never_the_list(default_build, tmp_path):
    runner = CliRunner()
    out = tmp_path / "fixed.md"
    result = runner.invoke(main, ["lint", str(default_build.out), "--fix-tags", str(out), "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert {f["kind"] for f in report["findings"]} >= {"published", "year", "empty-heading"}
    original = ListSource.shipped().text.splitlines()
    fixed = out.read_text(encoding="utf-8").splitlines()
    changed = {n + 1 for n, (a, b) in enumerate(zip(original, fixed, strict=True)) if a != b}
    assert changed == {f["line"] for f in report["findings"] if f["kind"] in ("published", "year")}
    assert fixed[70].startswith("[ICLR'25] [Fiddler")
    assert ListSource.shipped().text.splitlines() == original  # the shipped list is untouched


def test_fix_tags_refuses_a_list_the_build_did_not_read(default_build, tmp_path):
    runner = CliRunner()
    other = LISTS / LATEST
    result = runner.invoke(
        main, ["lint", str(default_build.out), "--fix-tags", str(tmp_path / "x.md"), "--list", str(other)]
    )
    assert result.exit_code == 1 and "not the list this build read" in result.output
    copy = tmp_path / "README.md"
    copy.write_bytes(DEFAULT_LIST.read_bytes())
    result = runner.invoke(main, ["lint", str(default_build.out), "--fix-tags", str(copy), "--list", str(copy)])
    assert result.exit_code == 1 and "would overwrite the list itself" in result.output
    assert copy.read_bytes() == DEFAULT_LIST.read_bytes()


def test_the_same_paper_under_another_link(tmp_path):
    """A curator adds DeepSpeed-MoE's arXiv link although the list has it through PMLR."""
    text = DEFAULT_LIST.read_text(encoding="utf-8")
    added = "[Arxiv'22] [DeepSpeed-MoE](https://arxiv.org/abs/2201.05596)\n"
    text = text.replace("#### Low Rank Decomposition\n", "#### Low Rank Decomposition\n" + added)
    listfile = tmp_path / "README.md"
    listfile.write_text(text, encoding="utf-8")
    result = build(
        ListSource.from_path(listfile, "awesome-moe-inference"),
        tmp_path / "out",
        offline=True,
        cache_dir=tmp_path / "cache",
    )
    line = text.splitlines().index(added.strip()) + 1
    finding = at(lint(result.graph), "duplicate", line)
    # one work is one node: the two links are one paper, listed twice under two spellings
    assert "DeepSpeed-MoE" in finding.message and "lines 50, 53" in finding.message


def test_a_link_under_two_unrelated_titles_is_reported_with_both_titles(tmp_path):
    """A real list links Switch Transformers' arXiv id under "Mixture-of-Experts with Expert Choice Routing"
    too (a copy-paste error): lint names the line and both titles, and proposes no title to copy."""
    from conftest import DATA

    source = ListSource.from_path(DATA / "lists" / "xuefuzhao-awesome-moe" / "README.md", "xuefuzhao")
    result = build(source, tmp_path / "out", offline=True, cache_dir=tmp_path / "cache")
    wrong = [f for f in lint(result.graph) if f.message.startswith("this link points to a different paper")]
    assert wrong
    switch = next(f for f in wrong if "Expert Choice Routing" in f.message)
    assert "Switch Transformers" in switch.message and switch.fix is None
    lines = source.text.splitlines()
    assert "Expert Choice Routing" in lines[switch.line - 1] and "2101.03961" in lines[switch.line - 1]


def test_lint_forgets_the_titles_it_compared(latest, latest_findings):
    """The titles are remembered without bound for one lint only: a process that lints build after
    build (`kg serve`, `kg publish`) holds none of them afterwards, and the same build lints the same."""
    from kg.curate.lint import normalize_title

    assert normalize_title.cache_info().currsize < 100  # the venue names known at import, nothing more
    assert lint(latest.graph) == latest_findings
    assert normalize_title.cache_info().currsize < 100
