"""The build's report.md, section by section, against the commands it gives the top of."""

from __future__ import annotations

from kg.curate import report
from kg.curate.classify import Classifier, measured_papers
from kg.curate.facts import Facts
from kg.curate.render import table


def test_papers_filed_elsewhere_are_those_kg_classify_files_elsewhere(default_build, monkeypatch):
    """The report ranks each paper by the top heading `kg classify` gives it, without gathering the evidence
    `kg classify` prints; with the bar at 0 the shipped list has four such papers to show."""
    monkeypatch.setattr(report, "CONFIDENT", 0.0)
    classifier = Classifier(Facts.from_model(default_build.graph))
    facts = classifier.facts
    expected = []
    for work in measured_papers(facts, report.MEASURED):
        result = classifier.classify(work)
        if result.decided and result.candidates[0].heading not in work.headings:
            expected.append((result.candidates[0], work))
    expected.sort(key=lambda item: (-item[0].score, item[1].title))
    assert len(expected) >= 2  # the order is checked too
    rows = [
        [w.title, "; ".join(facts.path(h) for h in w.headings), best.path, f"{100 * best.score:.0f}%"]
        for best, w in expected[: report.TOP_MISFILED]
    ]
    section = report.headings_section(classifier)
    assert section[-3:-1] == ["Listed papers the classifier would file elsewhere:", ""]
    assert section[-1] == table(["paper", "listed under", "suggested", "score"], rows)
