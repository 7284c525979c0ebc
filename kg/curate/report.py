"""report.md in every build folder: the top of `kg suggest`, `kg classify` and `kg lint`.

A build view (kg.build writes it): it reads only the finished graph, and writes the same bytes
for the same graph (no dates, stable order).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from kg.curate.classify import Classifier, leave_one_out, measured_papers
from kg.curate.facts import Facts
from kg.curate.lint import lint
from kg.curate.render import count, md, percent, table
from kg.curate.suggest import suggest
from kg.model import GraphModel, as_model
from kg.store import KnowledgeGraph, atomic_write

TOP_SUGGESTIONS = 5
TOP_FINDINGS = 10
TOP_MISFILED = 5
CONFIDENT = 0.5
MEASURED = 1000  # leave-one-out on at most this many papers, so big lists still build quickly


def write_report(source: KnowledgeGraph | GraphModel, out: Path) -> list[Path]:
    """The build's view: report.md, from the build's model (or its graph read into one)."""
    return [atomic_write(Path(out) / "report.md", curation_report(source))]


def curation_report(source: KnowledgeGraph | GraphModel) -> str:
    model = as_model(source)
    classifier = Classifier(Facts.from_model(model))
    lines = [
        f"# Curation report: {md(classifier.facts.title)}",
        "",
        "The top of each curation command; run them on this folder for the full reports.",
        "",
    ]
    lines += suggestions_section(classifier) + headings_section(classifier) + lint_section(model)
    return "\n".join(lines)


def suggestions_section(classifier: Classifier) -> list[str]:
    found = suggest(classifier.facts, TOP_SUGGESTIONS, classifier)
    lines = ["## Papers to add (`kg suggest`)", ""]
    if not found:
        return lines + ["No outside work is linked to two or more listed papers.", ""]
    rows = [
        [
            s.work.title,
            s.score,
            len(s.cited_by),
            len(s.cites),
            s.classification.candidates[0].path if s.classification.decided else s.classification.reason,
        ]
        for s in found
    ]
    return lines + [table(["paper", "score", "cited by listed", "cites listed", "suggested heading"], rows)]


def headings_section(classifier: Classifier) -> list[str]:
    """Leave-one-out accuracy on this build, and listed papers the classifier would file elsewhere."""
    facts = classifier.facts
    lines = ["## Headings (`kg classify`)", ""]
    papers = measured_papers(facts, MEASURED)
    if not papers:
        return lines + ["No listed paper to measure on.", ""]
    listed = sum(1 for w in facts.listed if w.headings)
    scope = "the listed papers" if len(papers) == listed else f"{len(papers)} of the {listed} listed papers"
    lines += [
        f"Leave-one-out over {scope} (each paper's heading hidden and predicted; a paper without "
        "citation links counts as a miss for the citation methods):",
        "",
    ]
    rows = [
        [a.method, a.papers, a.answered, percent(a.share(a.top1)), percent(a.share(a.top3))]
        for a in leave_one_out(classifier, MEASURED)
    ]
    lines.append(table(["method", "papers", "answered", "top-1", "top-3"], rows))
    misfiled = []
    for work in papers:  # the top heading as `classify` scores it, without the evidence it gathers for each
        ranked = classifier.ranked(work, "combined")
        score = round(classifier.scores(work, "combined")[ranked[0]], 3) if ranked else 0.0
        if ranked and score >= CONFIDENT and ranked[0] not in work.headings:
            misfiled.append((score, work, ranked[0]))
    misfiled.sort(key=lambda item: (-item[0], item[1].title))
    if misfiled:
        lines += ["Listed papers the classifier would file elsewhere:", ""]
        lines.append(
            table(
                ["paper", "listed under", "suggested", "score"],
                [
                    [w.title, "; ".join(facts.path(h) for h in w.headings), facts.path(best), percent(score)]
                    for score, w, best in misfiled[:TOP_MISFILED]
                ],
            )
        )
    return lines


def lint_section(model: GraphModel) -> list[str]:
    findings = lint(model)
    kinds = Counter(f.kind for f in findings)
    lines = ["## Lint (`kg lint`)", ""]
    if not findings:
        return lines + ["Nothing to report.", ""]
    summary = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
    more = f"; {TOP_FINDINGS} of them, every kind shown:" if len(findings) > TOP_FINDINGS else ":"
    lines += [f"{count(len(findings), 'finding')}: {summary}{more}", ""]
    lines.append(table(["line", "kind", "finding"], [[f.line, f.kind, f.message] for f in top_findings(findings)]))
    return lines


def top_findings(findings: list) -> list:
    """The first finding of each kind, then the earliest others, up to TOP_FINDINGS, by line."""
    firsts = list({f.kind: f for f in reversed(findings)}.values())
    chosen = firsts + [f for f in findings if f not in firsts][: max(0, TOP_FINDINGS - len(firsts))]
    return sorted(chosen[:TOP_FINDINGS], key=findings.index)
