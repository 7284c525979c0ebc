"""What in a list is stale, duplicated or inconsistent, each finding on its line of the list.

Checks (every one reads the build's graph; lines come from akg:sourceLine):
- `published`: an arXiv-tagged entry whose paper has since appeared at a venue; the fix is
  the tag to write, in the list's own spelling of that venue when the list has one.
- `duplicate`: one paper listed under two titles, under two links (two entries that
  Semantic Scholar or the titles show to be the same paper), or twice under one heading.
- `title`: a printed title that is not the paper's real title (truncated, misspelled or renamed).
- `year`: a tag year that disagrees with the paper: the arXiv id's year for an arXiv tag,
  the year the venue states for a venue tag.
- `unresolved`: a link that carries no identifier and no Semantic Scholar record; the build's
  enrichment report (manifest.json) says why: not found, or never asked because it was offline.
One entry gets at most one tag finding: when a preprint tag's paper has been published, the
venue tag is the fix (its arXiv year no longer matters), never a second, contradicting one.
- `empty-heading`: a heading with no paper or model under it or under its sub-headings.
`fix_tags` applies the tag fixes (published, year) to a copy of the list text.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from difflib import SequenceMatcher
from functools import cache
from pathlib import Path

from kg.curate.render import count, md, table, to_json
from kg.identifiers import normalize_title as normalize_any_title
from kg.listparse import split_venue_tag
from kg.model import GraphModel, Listing, Work, as_model
from kg.store import KnowledgeGraph
from kg.vocab import paper_iri


@cache
def normalize_title(title: str) -> str:
    """kg.identifiers.normalize_title, remembered for one `lint` (which forgets them at its end): the checks
    compare each printed title several times, pass after pass over the list. A bounded cache smaller than
    the list's titles (it held 65,536) kept none from one pass to the next at 100,000 papers."""
    return normalize_any_title(title)


MISSPELLED = 0.9  # titles this similar (difflib ratio) differ by a typo, not a new name
UNRELATED = 0.5  # titles less similar than this name two different papers
KINDS = ("published", "duplicate", "title", "year", "unresolved", "empty-heading")
PREPRINT_VENUES = {"arxiv", "arxiv org", "corr", "preprint", "preprints", "biorxiv", "medrxiv", "ssrn"}
# Semantic Scholar's venue names and the short names lists write in tags; the list's own
# spelling (learned from its other entries) wins over this table.
SHORT_VENUES = {
    normalize_title(name): short
    for name, short in (
        ("International Conference on Machine Learning", "ICML"),
        ("Neural Information Processing Systems", "NeurIPS"),
        ("International Conference on Learning Representations", "ICLR"),
        ("Annual Meeting of the Association for Computational Linguistics", "ACL"),
        ("Conference on Empirical Methods in Natural Language Processing", "EMNLP"),
        ("North American Chapter of the Association for Computational Linguistics", "NAACL"),
        ("Conference on Machine Learning and Systems", "MLSys"),
        ("USENIX Symposium on Operating Systems Design and Implementation", "OSDI"),
        ("USENIX Annual Technical Conference", "ATC"),
        ("European Conference on Computer Systems", "EuroSys"),
        ("International Conference on Architectural Support for Programming Languages and Operating Systems", "ASPLOS"),
        ("ACM Symposium on Cloud Computing", "SoCC"),
        ("International Symposium on Computer Architecture", "ISCA"),
        ("International Symposium on High-Performance Computer Architecture", "HPCA"),
        ("Design Automation Conference", "DAC"),
        ("International Conference on Computer Aided Design", "ICCAD"),
        ("Knowledge Discovery and Data Mining", "KDD"),
        ("ACM SIGMOD Conference", "SIGMOD"),
        ("IEEE Conference on Computer Communications", "INFOCOM"),
        ("IEEE Transactions on Knowledge and Data Engineering", "TKDE"),
        ("IEEE Transactions on Parallel and Distributed Systems", "TPDS"),
        ("International Conference for High Performance Computing, Networking, Storage and Analysis", "SC"),
        ("ACM SIGPLAN Symposium on Principles & Practice of Parallel Programming", "PPoPP"),
        ("IEEE International Parallel and Distributed Processing Symposium", "IPDPS"),
        ("Journal of Machine Learning Research", "JMLR"),
        ("Computer Vision and Pattern Recognition", "CVPR"),
        ("IEEE International Conference on Computer Vision", "ICCV"),
        ("AAAI Conference on Artificial Intelligence", "AAAI"),
    )
}
# "ICLR 2025 (The Thirteenth International ...)": a short venue name followed by its year.
_NAMED_YEAR = re.compile(r"\b([A-Z][A-Za-z]*[A-Z][A-Za-z]*)\s+((?:19|20)\d\d)\b")


@dataclass
class Finding:
    kind: str
    line: int
    message: str
    fix: str | None = None  # what to write instead (a tag, a title)
    tag: str | None = None  # the tag printed on the line, for tag fixes

    def as_dict(self) -> dict:
        return asdict(self)


Tagged = list[tuple[Listing, str, int, int | None]]  # (listing, venue, year, month) of each tagged paper


def is_preprint(venue: str | None) -> bool:
    return normalize_title(venue or "") in PREPRINT_VENUES


def lint(source: KnowledgeGraph | GraphModel, enrichment: dict | None = None) -> list[Finding]:
    """Every finding of every check, by line; `enrichment` is the manifest's enrichment report."""
    model = as_model(source)
    listings, papers = model.listings, model.works
    try:
        findings = (
            tag_fixes(tagged(listings), papers)
            + duplicates(listings, papers)
            + titles(listings, papers)
            + unresolved(listings, papers, enrichment)
            + empty_headings(model)
        )
    finally:
        normalize_title.cache_clear()
    return sorted(findings, key=lambda f: (f.line, KINDS.index(f.kind), f.message))


def tagged(listings: list[Listing]) -> Tagged:
    """(listing, venue, year, month) for each listing whose tag has a year, one per paper."""
    seen, out = set(), []
    for listing in listings:
        if listing.tag and listing.paper not in seen:
            venue, year, month = split_venue_tag(listing.tag)
            if year:
                seen.add(listing.paper)
                out.append((listing, venue or "", year, month))
    return out


def tag_fixes(tags: Tagged, papers: dict[str, Work]) -> list[Finding]:
    """One fix per tagged entry: the venue it was published at, else the year its sources state."""
    venues = published(tags, papers)
    superseded = {f.line for f in venues}
    return venues + [f for f in years(tags, papers) if f.line not in superseded]


def published(tags: Tagged, papers: dict[str, Work]) -> list[Finding]:
    names = venue_names(tags, papers)
    findings = []
    for listing, venue, year, _ in tags:
        paper = papers[listing.paper]
        if not is_preprint(venue) or not paper.published_venue or is_preprint(paper.published_venue):
            continue
        short, stated = short_venue(paper.published_venue, names)
        new_year = stated or paper.published_year or (int(paper.issued[:4]) if paper.issued else year)
        fix = f"{short}'{new_year % 100:02d}"
        findings.append(
            Finding(
                "published",
                listing.line,
                f"'{listing.printed}' is tagged [{listing.tag}] but was published at "
                f"{paper.published_venue} ({new_year}): write [{fix}]",
                fix,
                listing.tag,
            )
        )
    return findings


def venue_names(tags: Tagged, papers: dict[str, Work]) -> dict[str, str]:
    """How the list itself writes each published venue (its most common tag for it)."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for listing, venue, _, _ in tags:
        paper = papers[listing.paper]
        if venue and not is_preprint(venue) and paper.published_venue and not is_preprint(paper.published_venue):
            counts[normalize_title(paper.published_venue)][venue] += 1
    return {name: sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[0][0] for name, c in counts.items()}


def short_venue(venue: str, names: dict[str, str]) -> tuple[str, int | None]:
    """(short name for a tag, year the venue string states if any)."""
    named = _NAMED_YEAR.search(venue)
    stated = int(named[2]) if named else None
    key = normalize_title(venue)
    if key in names:
        return names[key], stated
    if named:
        return named[1], stated
    return SHORT_VENUES.get(key, venue), stated


def duplicates(listings: list[Listing], papers: dict[str, Work]) -> list[Finding]:
    findings = []
    by_paper: dict[str, list[Listing]] = defaultdict(list)
    for listing in listings:
        by_paper[listing.paper].append(listing)
    for iri, entries in by_paper.items():
        first = entries[0]
        lines = ", ".join(str(e.line) for e in entries)
        other = next((e for e in entries if normalize_title(e.printed) != normalize_title(first.printed)), None)
        if other:  # the title to keep: the paper's own where the source gives it (as the `title` check says)
            title = papers[iri].source_title or first.printed
            findings.append(
                Finding(
                    "duplicate",
                    other.line,
                    f"the same paper is listed under different titles "
                    f"(lines {lines}): '{first.printed}' and '{other.printed}'",
                    title,
                )
            )
        seen: dict[str, Listing] = {}
        for entry in entries:
            if entry.heading in seen:
                findings.append(
                    Finding(
                        "duplicate",
                        entry.line,
                        f"'{entry.printed}' is listed twice under the "
                        f"same heading (lines {seen[entry.heading].line} and {entry.line})",
                    )
                )
            seen.setdefault(entry.heading, entry)
    findings += same_paper_other_link(by_paper, papers)
    return findings


def same_paper_other_link(by_paper: dict[str, list[Listing]], papers: dict[str, Work]) -> list[Finding]:
    """Two listed papers (two links) that share an identifier, a Semantic Scholar id or a title."""
    keys: dict[str, set[str]] = defaultdict(set)
    for iri, entries in by_paper.items():
        paper = papers[iri]
        keys[iri] = {identifier.casefold() for identifier in paper.identifiers}
        keys[iri] |= {f"title:{normalize_title(t)}" for t in [e.printed for e in entries] + [paper.source_title] if t}
    owner: dict[str, str] = {}
    findings = []
    for iri in sorted(by_paper, key=lambda i: by_paper[i][0].line):
        match = next((owner[k] for k in sorted(keys[iri]) if owner.get(k, iri) != iri), None)
        if match:
            here, there = by_paper[iri][0], by_paper[match][0]
            link, other_link = papers[iri].listed_link or "no link", papers[match].listed_link or "no link"
            findings.append(
                Finding(
                    "duplicate",
                    here.line,
                    f"'{here.printed}' (line {here.line}, {link}) is the same "
                    f"paper as '{there.printed}' (line {there.line}, {other_link}) under another link",
                )
            )
        for k in keys[iri]:
            owner.setdefault(k, iri)
    return findings


def titles(listings: list[Listing], papers: dict[str, Work]) -> list[Finding]:
    """Printed titles that are not the paper's: truncated, misspelled or renamed (fix: the real title);
    and one link printed under two unrelated titles, where the link of one of them must point at another
    paper than its title names (no fix: which link is right is for the curator to say)."""
    by_paper: dict[str, list[Listing]] = {}
    for listing in listings:
        by_paper.setdefault(listing.paper, []).append(listing)
    findings = []
    for listing in listings:
        real = papers[listing.paper].source_title
        printed, actual = normalize_title(listing.printed), normalize_title(real or "")
        wrong_for = mislinked(listing, by_paper[listing.paper], actual)
        if wrong_for:
            findings.append(
                Finding(
                    "title",
                    listing.line,
                    f"this link points to a different paper than its title: "
                    f"the line says '{listing.printed}', the same link is listed as "
                    f"'{wrong_for.printed}' (line {wrong_for.line})"
                    + (f" and the paper's title is '{real}'" if real else ""),
                )
            )
            continue
        if not real or printed == actual:
            continue
        how = (
            "truncated"
            if actual.startswith(printed)
            else "misspelled"
            if SequenceMatcher(None, printed, actual).ratio() >= MISSPELLED
            else "renamed"
        )
        findings.append(
            Finding(
                "title",
                listing.line,
                f"printed title '{listing.printed}' is {how}: the paper's title is '{real}'",
                real,
            )
        )
    return findings


def similarity(a: str, b: str) -> float:
    return SequenceMatcher(None, normalize_title(a), normalize_title(b)).ratio()


def mislinked(listing: Listing, same_link: list[Listing], actual: str) -> Listing | None:
    """The other listing of the same link whose title is unrelated to this one's, when this one is the
    wrong one: the one further from the paper's real title, else (offline) the later line."""
    for other in same_link:
        if other is listing or similarity(other.printed, listing.printed) >= UNRELATED:
            continue
        if actual:
            if similarity(listing.printed, actual) < similarity(other.printed, actual):
                return other
        elif listing.line > other.line:
            return other
    return None


def years(tags: Tagged, papers: dict[str, Work]) -> list[Finding]:
    findings = []
    for listing, venue, year, month in tags:
        paper = papers[listing.paper]
        if is_preprint(venue):
            expected = (
                2000 + int(paper.arxiv[:2])
                if paper.arxiv and paper.arxiv[:4].isdigit()
                else int(paper.issued[:4])
                if paper.issued
                else None
            )
            new_month = int(paper.arxiv[2:4]) if month and paper.arxiv and paper.arxiv[:4].isdigit() else None
            source: str | None = "its arXiv id" if paper.arxiv else "Semantic Scholar"
        else:
            named = _NAMED_YEAR.search(paper.published_venue or "")
            expected, new_month, source = (int(named[2]) if named else None), None, paper.published_venue
        if expected is None or expected == year:
            continue
        fix = f"{venue}'{expected % 100:02d}" + (f".{new_month}" if new_month else "")
        findings.append(
            Finding(
                "year",
                listing.line,
                f"tag [{listing.tag}] says {year} but {source} says {expected}: write [{fix}]",
                fix,
                listing.tag,
            )
        )
    return findings


def unresolved(listings: list[Listing], papers: dict[str, Work], enrichment: dict | None) -> list[Finding]:
    findings, seen = [], set()
    reasons = {paper_iri(key): reason for key, reason in ((enrichment or {}).get("unresolved") or {}).items()}
    for listing in listings:
        paper = papers[listing.paper]
        if listing.paper in seen or paper.listed_identified or paper.resolved:
            continue
        seen.add(listing.paper)
        where = f"its link {paper.listed_link} carries no identifier" if paper.listed_link else "it has no link"
        why = why_unresolved(reasons.get(listing.paper, ""), enrichment)
        findings.append(
            Finding(
                "unresolved", listing.line, f"'{listing.printed}': {where} and {why}; link the arXiv, DOI or ACL page"
            )
        )
    return findings


def why_unresolved(reason: str, enrichment: dict | None) -> str:
    """What the build knows of a paper without a record: only what its enrichment report says."""
    if enrichment is None:
        return "it has no Semantic Scholar record in this build (the graph alone does not say whether it was looked up)"
    if enrichment.get("offline") and (reason.startswith("offline") or not reason):
        return f"it was not enriched: offline ({enrichment.get('offline_reason') or 'no request sent'})"
    if reason.startswith("no identifier"):
        return f"it was not looked up ({reason})"
    return f"Semantic Scholar did not resolve it ({reason})" if reason else "Semantic Scholar did not resolve it"


def build_enrichment(build_dir: Path | None) -> dict | None:
    """The enrichment report of a build folder's manifest.json, if the folder has one."""
    manifest = build_dir / "manifest.json" if build_dir and build_dir.is_dir() else None
    if manifest is None or not manifest.exists():
        return None
    try:
        return json.loads(manifest.read_text(encoding="utf-8")).get("enrichment")
    except (OSError, ValueError, AttributeError):
        return None


def empty_headings(model: GraphModel) -> list[Finding]:
    """Headings with nothing under them or their sub-headings: each used heading marks its
    ancestors once (a walk stops at a heading already marked), so the work grows with the headings."""
    used: set[str] = set()
    todo = list(model.filed_under)
    while todo:
        heading = todo.pop()
        if heading not in used and heading in model.headings:
            used.add(heading)
            parent = model.headings[heading].parent
            if parent:
                todo.append(parent)
    return [
        Finding("empty-heading", h.line, f"heading '{h.label}' has no papers")
        for h in model.headings.values()
        if h.iri not in used and h.line is not None
    ]


def fix_tags(text: str, findings: list[Finding]) -> tuple[str, int]:
    """The list with each tag fix applied on its line (lint gives at most one per line); count applied."""
    fixes = {f.line: f for f in findings if f.kind in ("published", "year") and f.fix and f.tag}
    lines = text.splitlines(keepends=True)
    applied = 0
    for number, finding in sorted(fixes.items()):
        old = f"[{finding.tag}]"
        if number > len(lines) or old not in lines[number - 1]:
            raise ValueError(f"line {number} does not carry the tag {old}: is this the list the build read?")
        lines[number - 1] = lines[number - 1].replace(old, f"[{finding.fix}]", 1)
        applied += 1
    return "".join(lines), applied


class ListMismatch(ValueError):
    """The list file given (or named by the manifest) is not the one the build read."""


def built_list(model: GraphModel, build_dir: Path | None, list_file: Path | None):
    """The list the build read (a kg.listsource.ListSource): `list_file`, else the manifest's input,
    checked against the sha256 the graph records."""
    from kg.listsource import BuildError, ListSource

    if list_file is None:
        manifest = build_dir / "manifest.json" if build_dir and build_dir.is_dir() else None
        if manifest is None or not manifest.exists():
            raise ListMismatch("no manifest.json says which list this build read: pass --list FILE")
        label = json.loads(manifest.read_text(encoding="utf-8"))["input"]["file"]
        try:
            source = ListSource.shipped() if label.startswith("awesome-kg:") else ListSource.from_path(label)
        except BuildError as error:
            raise ListMismatch(f"{error}; pass --list FILE") from None
    else:
        try:
            source = ListSource.from_path(list_file)
        except BuildError as error:
            raise ListMismatch(str(error)) from None
    recorded = model.list_sha256
    if recorded and source.sha256 not in recorded:
        raise ListMismatch(
            f"{source.label} is not the list this build read (its sha256 differs): "
            "rebuild, or pass --list with the file the build read"
        )
    return source


def to_markdown(title: str, findings: list[Finding]) -> str:
    counts = Counter(f.kind for f in findings)
    summary = ", ".join(f"{counts[k]} {k}" for k in KINDS if counts[k]) or "nothing to report"
    lines = [f"# Lint of {md(title)}", "", f"{count(len(findings), 'finding')}: {summary}.", ""]
    if findings:
        lines.append(table(["line", "kind", "finding"], [[f.line, f.kind, f.message] for f in findings]))
    return "\n".join(lines)


def to_json_text(title: str, findings: list[Finding]) -> str:
    return to_json({"list": title, "findings": [f.as_dict() for f in findings]})
