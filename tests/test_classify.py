"""`kg classify`: a heading for a paper from its citation neighbours and its words, measured honestly."""

from __future__ import annotations

import gc
import json
import weakref
from collections import Counter

import pytest
from click.testing import CliRunner

from curate_builds import enriched_build
from kg.cli import main
from kg.curate.classify import (
    BASELINE,
    FEATURES,
    METHODS,
    NOT_ENOUGH,
    WORDS_ONLY,
    Classifier,
    IdentifierError,
    leave_one_out,
    parse_identifier,
)
from kg.curate.facts import Facts
from s2_fixtures import build_records
from s2_server import S2TestServer

LATEST = "2025-10-20_f7ccad0.md"


@pytest.fixture(scope="module")
def latest(tmp_path_factory):
    return enriched_build(LATEST, tmp_path_factory)


@pytest.fixture(scope="module")
def facts(latest):
    return Facts.from_model(latest.graph)


def test_leave_one_out_beats_the_largest_headings_baseline(facts):
    figures = {a.method: a for a in leave_one_out(Classifier(facts))}
    assert set(figures) == set(METHODS) | {BASELINE}
    listed = [w for w in facts.listed if w.headings]
    baseline = figures[BASELINE]
    assert all(a.papers == len(listed) for a in figures.values())
    for method in METHODS:
        a = figures[method]
        assert a.top1 <= a.top3 <= a.answered <= a.papers
        assert a.top1 > baseline.top1 and a.top3 > baseline.top3, (method, a, baseline)
    assert figures["combined"].top1 > 2 * baseline.top1
    unlinked = sum(1 for w in listed if not facts.neighbours.get(w.iri))
    assert unlinked and figures["vote"].answered <= len(listed) - unlinked
    assert figures["combined"].answered == len(listed)  # unlinked papers are answered from their words


def test_combined_reaches_80_percent_top1_and_92_percent_top3_with_weights_learned_without_the_paper(facts):
    """The issue's targets on the latest list: weights are learned per fold, starting from zero."""
    classifier = Classifier(facts, start={name: 0.0 for name in FEATURES})
    combined = next(a for a in leave_one_out(classifier) if a.method == "combined")
    assert combined.papers == len([w for w in facts.listed if w.headings]) > 100
    assert combined.share(combined.top1) >= 0.80 and combined.share(combined.top3) >= 0.92, combined
    best = {m: a.top1 for m, a in ((a.method, a) for a in leave_one_out(Classifier(facts))) if m != "combined"}
    assert combined.top1 > max(best.values())


def test_a_hidden_heading_cannot_leak_into_its_own_prediction(facts):
    """MoEsaic is the only paper under "Others": with its heading hidden, "Others" has no evidence left."""
    sizes = Counter(h for w in facts.listed for h in w.headings)
    alone = [w for w in facts.listed if w.headings and all(sizes[h] == 1 for h in w.headings)]
    assert [w.title for w in alone] == ["MoEsaic: Shared Mixture of Experts"]
    classifier = Classifier(facts)
    for method in METHODS:
        ranked = classifier.ranked(alone[0], method)
        assert alone[0].headings[0] not in ranked


def test_a_paper_without_citation_links_is_answered_from_its_words_and_says_so(latest):
    runner = CliRunner()
    result = runner.invoke(
        main, ["classify", str(latest.out), "OpenReview:PhMrGCMIRL", "--offline", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["title"] == "Fusing Models with Complementary Expertise"
    assert report["reason"] == WORDS_ONLY
    evidence = [e for h in report["headings"] for e in h["evidence"]]
    assert evidence and not any(e.startswith(("cites ", "cited by ")) for e in evidence)
    vote = runner.invoke(main, ["classify", str(latest.out), "OpenReview:PhMrGCMIRL", "--offline", "--method", "vote"])
    assert f"{NOT_ENOUGH}: no citation link to a listed paper" in vote.output
    assert "|" not in vote.output  # the citation vote does not guess


def test_a_listed_paper_is_classified_as_if_not_listed(latest, facts):
    runner = CliRunner()
    result = runner.invoke(main, ["classify", str(latest.out), "arXiv:2401.14361", "--format", "json", "--offline"])
    report = json.loads(result.stdout)
    assert report["found"] == "listed in the build"
    assert report["listed_under"] == ["System-Level Optimization › Expert Offloading"]
    assert len(report["headings"]) == 3
    assert report["headings"][0]["heading"] == "System-Level Optimization › Expert Offloading"
    assert sum(h["score"] for h in report["headings"]) <= 1.0
    assert any(e.startswith(("cites ", "cited by ")) for e in report["headings"][0]["evidence"])


def test_a_paper_outside_the_build_is_fetched_through_the_enrichment(default_build, tmp_path):
    """MoE-Infinity is not in the shipped 12-paper list; Semantic Scholar knows what it cites."""
    runner = CliRunner()
    offline = runner.invoke(
        main,
        [
            "classify",
            str(default_build.out),
            "https://arxiv.org/abs/2401.14361",
            "--offline",
            "--cache",
            str(tmp_path / "empty"),
        ],
    )
    assert offline.exit_code == 1 and NOT_ENOUGH in offline.output and "offline" in offline.output  # not found
    fetch = [
        "classify",
        str(default_build.out),
        "arXiv:2401.14361",
        "--format",
        "json",
        "--cache",
        str(tmp_path / "cache"),
    ]
    with S2TestServer(build_records()) as server:
        online = runner.invoke(main, fetch, env={"S2_API_URL": server.url})
        asked = len(server.requests)
    report = json.loads(online.stdout)
    assert asked >= 1 and report["title"] == "MoE-Infinity: Offloading-Efficient MoE Model Serving"
    assert report["headings"] and report["reason"] is None
    evidence = [e for h in report["headings"] for e in h["evidence"]]
    assert any("Fiddler" in e for e in evidence)  # the listed paper that cites it
    with S2TestServer(build_records()) as server:  # the answer is cached: no request
        again = runner.invoke(main, fetch, env={"S2_API_URL": server.url})
        assert len(server.requests) == 0
    assert json.loads(again.stdout)["headings"] == report["headings"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("arXiv:2401.14361", "arXiv:2401.14361"),
        ("ARXIV:2401.14361", "arXiv:2401.14361"),
        ("https://arxiv.org/pdf/2401.14361v2", "arXiv:2401.14361"),
        ("doi:10.1145/3698038.3698521", "DOI:10.1145/3698038.3698521"),
        ("https://dl.acm.org/doi/10.1145/3698038.3698521", "DOI:10.1145/3698038.3698521"),
        ("https://openreview.net/forum?id=s-c96mSU0u5", "OpenReview:s-c96mSU0u5"),
    ],
)
def test_identifiers_are_read_as_the_graph_writes_them(text, expected):
    assert parse_identifier(text) == expected


def test_text_that_names_no_paper_is_a_clear_error(default_build):
    with pytest.raises(IdentifierError, match="expected arXiv:2401.14361"):
        parse_identifier("MoE-Infinity")
    result = CliRunner().invoke(main, ["classify", str(default_build.out), "MoE-Infinity"])
    assert result.exit_code == 1 and "is not a paper identifier" in result.output


def test_a_used_classifier_is_freed_without_the_cyclic_collector(facts):
    """A build pauses the cyclic collector; a classifier (and what it computed) must then go as soon as the
    report drops it, so none of its parts may refer back to it."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        classifier = Classifier(facts)
        work = next(w for w in facts.listed if w.headings)
        assert classifier.model.shares(work)  # the combined model's features and weights are made
        freed = weakref.ref(classifier)
        del classifier
        assert freed() is None
    finally:
        if collecting:
            gc.enable()
