"""Related-work exports of a clustering: Markdown, LaTeX, BibTeX, CSL-JSON, JSON, CSV, GraphML, GEXF.

Everything is read from a build's graph (the clusters from kg.clusters, the
bibliographic facts from the list and enrichment graphs), and every writer is a pure
function of that, so the same graph gives byte-identical files. Citation keys are
human and stable (`kamahori2025fiddler`: first author's family name, year, first
significant title word), and every key the LaTeX cites is an entry of the BibTeX.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from itertools import islice
from json.encoder import encode_basestring as encode_json_string  # what json.dumps uses with ensure_ascii=False
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

from pylatexenc.latexencode import UnicodeToLatexEncoder

from kg.clusters import (
    DEFAULT_METHOD,
    DEFAULT_RESOLUTION,
    STOPWORDS,
    UNCONNECTED,
    Agreement,
    Cluster,
    Clustering,
    cluster_papers,
)
from kg.model import GraphModel, Work, as_model
from kg.query import spreadsheet_cell
from kg.store import KnowledgeGraph, atomic_write

BUILD_FILES = {
    "clusters.md": "markdown",
    "related-work.tex": "latex",
    "references.bib": "bibtex",
    "clusters.json": "json",
}
PREPRINT_SERVERS = {
    "arxiv",
    "arxiv.org",
    "corr",
    "arxiv preprint",
    "openreview",
    "openreview.net",
    "preprints",
    "preprints.org",
    "ssrn",
    "biorxiv",
    "medrxiv",
    "techrxiv",
    "research square",
}
VENUE_YEAR = re.compile(r"(?<![\d.])(19|20)\d\d(?![\d.])")
CONFERENCE = re.compile(
    r"conference|symposium|workshop|proceedings|meeting|congress|\b(neurips|nips|icml|iclr|acl|"
    r"emnlp|naacl|eacl|coling|aaai|ijcai|cvpr|iccv|eccv|kdd|www|sigmod|vldb|osdi|sosp|nsdi|atc|"
    r"eurosys|asplos|isca|micro|hpca|dac|date|iccad|sc|ppopp|mlsys|socc|infocom|sigcomm|"
    r"interspeech|icassp|ics|ipdps|hpdc|middleware)\b",
    re.I,
)
JOURNAL = re.compile(r"journal|transactions|letters|magazine|review", re.I)
# The BibTeX field that names a venue, by entry type (any other type says how it was published).
VENUE_FIELDS = {"inproceedings": "booktitle", "incollection": "booktitle", "article": "journal", "book": "publisher"}
PARTICLES = {"van", "von", "der", "den", "de", "del", "della", "di", "da", "dos", "du", "le", "la", "ter", "bin", "al"}
SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"}
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
}
# Accents and symbols as LaTeX macros; a character with none is shown as its code point (never raw).
NON_ASCII = UnicodeToLatexEncoder(
    non_ascii_only=True,
    replacement_latex_protection="braces-all",
    unknown_char_policy="unihex",
    unknown_char_warning=False,
)
LINK_SCHEMES = ("http", "https")
URL_UNSAFE = re.compile(r'[\x00-\x20"<>\\^`{|}\x7f]|[^\x00-\x7f]')
ARXIV_ID = re.compile(r"(\d{4}\.\d{4,5}|[a-z][a-z.-]*(\.[A-Z]{2})?/\d{7})(v\d+)?")
NEW_STYLE_ARXIV = re.compile(r"(\d\d)(\d\d)\.\d{4,5}(v\d+)?")  # yymm.number: the month it was posted
NOT_KEY_LETTER = re.compile(r"[^a-z0-9]")
DOI = re.compile(r'10\.\d{4,9}/[^\s"{}\\%#~^]+')
XML_INVALID = re.compile(r"[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|!])")
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # Unicode category Cc
MARKDOWN_UNSAFE = re.compile(r"[\\`*_{}\[\]<>#|!\x00-\x1f\x7f-\x9f]")  # what escape_md rewrites
LATEX_UNSAFE = re.compile(r"[\\{}&%$#_~^<>]|[^ -~]")  # what escape_latex rewrites: specials, non-printable-ASCII


@dataclass
class Reference:
    """A paper's bibliographic record as the graph holds it."""

    iri: str
    title: str
    listed: bool = False
    authors: list[str] = field(default_factory=list)
    date: str | None = None  # "2024-02-10", "2024-02" or "2024"
    venue: str | None = None
    types: set[str] = field(default_factory=set)
    doi: str | None = None
    arxiv: str | None = None
    pages: list[str] = field(default_factory=list)
    organisation: bool = False  # the author is an organisation the list names (a model's affiliation)
    others: bool = False  # the list says "et al." after it
    key: str = ""

    @cached_property
    def families(self) -> list[str]:
        """Family names in order; an organisation is named whole ("Mistral AI"). Read once the authors are
        final (keys, then prose): every citation of the work asks again."""
        return [a if self.organisation else split_name(a)[1] for a in self.authors]

    @cached_property
    def year(self) -> int | None:
        """Read once the date is final (keys, then prose), like `families`."""
        return int(self.date[:4]) if self.date else None

    @cached_property
    def url(self) -> str | None:
        """A link a reader can follow: arXiv, DOI, else the first http(s) page (Semantic Scholar's last).
        Read once the identifiers are final, like `families`: every citation of the work asks again."""
        if self.arxiv:
            return f"https://arxiv.org/abs/{self.arxiv}"
        if self.doi:
            return link_url(f"https://doi.org/{self.doi}")
        pages = sorted(self.pages, key=lambda p: "semanticscholar.org" in p)
        return next((url for url in map(link_url, pages) if url), None)

    @property
    def entry_type(self) -> str:
        """BibTeX type from Semantic Scholar's publication types and the venue's name."""
        if not self.venue:
            return "misc"
        if "Conference" in self.types or CONFERENCE.search(self.venue):
            return "inproceedings"
        if "Book" in self.types:
            return "book"
        if "BookSection" in self.types:
            return "incollection"
        if self.types & {"JournalArticle", "Review"} or JOURNAL.search(self.venue):
            return "article"
        return "inproceedings"


@dataclass
class RelatedWork:
    """A clustering with the records its exports cite, keyed."""

    clustering: Clustering
    works: dict[str, Reference]
    list_title: str
    paragraphs: dict[str, Prose] = field(default_factory=dict)  # by cluster id, see `paragraph`

    def cited(self) -> list[Reference]:
        """Every listed paper and every outside work a cluster builds on, by key."""
        iris = set(self.clustering.data.papers)
        iris.update(iri for cluster in self.clustering.clusters for iri, _ in cluster.builds_on)
        return sorted((self.works[iri] for iri in iris), key=lambda w: w.key)

    @cached_property
    def agreement(self) -> Agreement:
        """The clustering's agreement with the headings, computed once for the Markdown and the JSON."""
        return self.clustering.agreement()

    def paragraph(self, cluster: Cluster) -> Prose:
        """The cluster's paragraph, told once: the Markdown and the LaTeX render the same prose."""
        if cluster.id not in self.paragraphs:
            self.paragraphs[cluster.id] = cluster_paragraph(self, cluster)
        return self.paragraphs[cluster.id]


# ---------------------------------------------------------------------------
# Reading records and minting keys
# ---------------------------------------------------------------------------


def references(model: GraphModel) -> dict[str, Reference]:
    """Every work of a build as an entry to cite: title, ordered authors, the cited version's date and venue, types,
    identifiers and pages, keyed."""
    entries = {iri: reference(work) for iri, work in model.works.items()}
    add_tech_report_facts(model, entries)
    for iri, entry in entries.items():
        work = model.works[iri]
        listed_venue = work.listed_venue if work.listed_venue and not is_preprint(work.listed_venue) else None
        listed = (
            f"{work.listed_year}" + (f"-{work.listed_month:02d}" if work.listed_month else "")
            if work.listed_year
            else None
        )
        entry.date = cited_date(
            entry,
            listed if listed_venue or not entry.venue else None,
            str(work.published_year) if work.published_year else None,
            work.issued,
        )
    assign_keys(entries)
    return entries


def reference(work: Work) -> Reference:
    """A work's entry before its date and key: the venue where it was published (the list's tag when no source
    names one; a preprint server is no venue), and only identifiers of the shape a citation can carry."""
    venues = [v for v in (work.published_venue, work.listed_venue) if v and not is_preprint(v)]
    return Reference(
        work.iri,
        work.title,
        listed=work.listed,
        authors=list(work.authors),
        venue=venues[0] if venues else None,
        types=set(work.types),
        doi=work.doi if work.doi and DOI.fullmatch(work.doi) else None,
        arxiv=work.arxiv if work.arxiv and ARXIV_ID.fullmatch(work.arxiv) else None,
        pages=list(work.pages),
    )


def is_preprint(venue: str) -> bool:
    """arXiv, OpenReview and other preprint servers are where a paper is posted, not a venue."""
    return venue.strip().lower() in PREPRINT_SERVERS


def cited_date(work: Reference, listed: str | None, published: str | None, issued: str | None) -> str | None:
    """The date of the version an entry cites, so year and venue agree. A published version: the year its
    venue names ("Findings of ACL 2025"), else the published year a source gives, else the year of the list's
    venue tag ([ICLR'25]), else the source's date. A preprint: the year and month of its arXiv id, else the
    source's date, else the list's. The month is kept only where its year is the entry's year."""
    candidates = [d for d in (issued, listed, work.date) if d]
    if work.venue:
        named = VENUE_YEAR.search(work.venue)
        year = (named.group(0) if named else None) or published or (listed or "")[:4] or (issued or "")[:4]
    else:
        new_style = NEW_STYLE_ARXIV.fullmatch(work.arxiv or "")
        if new_style:
            return f"20{new_style[1]}-{new_style[2]}"
        year = (candidates[0] if candidates else "")[:4]
    if not year:
        return None
    return max((d for d in candidates if d[:4] == year), key=len, default=year)


def add_tech_report_facts(model: GraphModel, entries: dict[str, Reference]) -> None:
    """A model's tech report no source describes: the list names the model's affiliation (its author, as an
    organisation) and its release month."""
    for report in model.tech_reports:
        entry = entries.get(report.work)
        if entry and not entry.authors and report.affiliation:
            name, others = re.subn(r"\s+et\s+al\.?$", "", one_line(report.affiliation))
            entry.authors, entry.organisation, entry.others = [name], True, bool(others)
        if entry and not entry.date and report.release_month:
            entry.date = report.release_month[:7]


def ascii_letters(text: str) -> str:
    """`Müller` -> `muller`: what a citation key can hold."""
    folded = text if text.isascii() else unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return NOT_KEY_LETTER.sub("", folded.lower())


def split_name(name: str) -> tuple[str, str, str]:
    """(given, family, suffix): the family name starts at a lower-case particle or is the last word."""
    words = name.split()
    suffix = ""
    if len(words) > 2 and words[-1].lower().rstrip(",") in SUFFIXES:
        suffix = words.pop().rstrip(",")
    if len(words) < 2:
        return "", " ".join(words), suffix
    start = next((i for i, w in enumerate(words[1:-1], 1) if w in PARTICLES), len(words) - 1)
    return " ".join(words[:start]), " ".join(words[start:]), suffix


def title_words(title: str) -> Iterator[str]:
    """The title's words as key material, stop words left out (`MoE-Pruner:` -> `moepruner`), as needed."""
    words = (ascii_letters(w) for w in title.split())
    return (w for w in words if w and w not in STOPWORDS)


def base_key(work: Reference) -> str:
    words = list(islice(title_words(work.title), 2)) or ["untitled"]  # the key uses two words at most
    name = ascii_letters(work.families[0]) if work.authors else ""
    if not name:
        name, words = words[0], words[1:] or ["paper"]
    return f"{name}{work.year or 'nd'}{words[0]}"


def assign_keys(works: dict[str, Reference]) -> None:
    """Keys unique over the whole graph: clashes get b, c, ... with listed papers and older works first."""
    by_key: dict[str, list[Reference]] = defaultdict(list)
    for work in works.values():
        by_key[base_key(work)].append(work)
    taken = set(by_key)
    for key in sorted(by_key):
        clash = sorted(by_key[key], key=lambda w: (not w.listed, w.date or "9999", w.iri))
        clash[0].key = key
        n = 0
        for work in clash[1:]:
            n += 1
            while key + suffix_letters(n) in taken:
                n += 1
            work.key = key + suffix_letters(n)
            taken.add(work.key)


def suffix_letters(n: int) -> str:
    """1 -> b, 2 -> c, ..., 25 -> z, 26 -> ba: never runs out."""
    letters = ""
    while True:
        n, rest = divmod(n, 26)
        letters = "abcdefghijklmnopqrstuvwxyz"[rest] + letters
        if not n:
            return letters


def related_work(
    source: KnowledgeGraph | GraphModel,
    method: str = DEFAULT_METHOD,
    resolution: float = DEFAULT_RESOLUTION,
    clustering: Clustering | None = None,
) -> RelatedWork:
    """The clusters of a build (its model, or its graph read into one) with the entries its exports cite;
    `clustering` is one the build already made, else the build is clustered here."""
    model = as_model(source)
    if clustering is None:
        clustering = cluster_papers(model, method, resolution)
    return RelatedWork(clustering, references(model), model.title or "the list")


# ---------------------------------------------------------------------------
# Ways to mention a work
# ---------------------------------------------------------------------------


def author_text(work: Reference) -> str:
    """`Kamahori et al.`, `Frantar and Alistarh`, `Fedus`; empty without authors."""
    families = work.families
    if len(families) > 2 or (families and work.others):
        return f"{families[0]} et al."
    return " and ".join(families)


def short_name(work: Reference) -> str | None:
    """The system's name when the title starts with one (`Fiddler: ...` -> `Fiddler`)."""
    head, colon, _ = work.title.partition(":")
    return head.strip() if colon and 0 < len(head.split()) <= 4 else None


def citation_text(work: Reference) -> str:
    """`Fiddler (Kamahori et al., 2024)` or `Kim et al. (2023)`: ready for a sentence."""
    year = str(work.year or "n.d.")
    who, name = author_text(work), short_name(work)
    if name:
        return f"{name} ({who}, {year})" if who else f"{name} ({year})"
    return f"{who} ({year})" if who else f"{work.title} ({year})"


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def year_span(works: list[Reference]) -> str:
    years = sorted(w.year for w in works if w.year)
    if not years:
        return ""
    return str(years[0]) if years[0] == years[-1] else f"{years[0]}\u2013{years[-1]}"


# ---------------------------------------------------------------------------
# A paragraph per cluster: its papers in time, and what each builds on
# ---------------------------------------------------------------------------

Prose = list  # of text (str) and citations (Reference), rendered by each format in its own way
BASES_PER_PAPER = 2
OPENING_BASES = 3


def cluster_paragraph(rw: RelatedWork, cluster: Cluster) -> Prose:
    """The cluster's story from its citation edges: the outside works it starts from, then year by year
    its papers, each with the earlier work it builds on (members first, then outside works)."""
    data, works = rw.clustering.data, rw.works
    foundations = [iri for iri, _ in cluster.builds_on]
    if cluster.id == UNCONNECTED:
        parts: Prose = ["Further work on the topic, with no citation link to the papers above, includes "]
        return parts + works_in_time(rw, cluster.members) + ["."]
    parts = []
    if foundations:
        parts += ["These papers build on "] + listing([works[i] for i in foundations[:OPENING_BASES]]) + [". "]
    by_year: dict[int | None, list[str]] = defaultdict(list)
    for iri in cluster.members:
        by_year[works[iri].year].append(iri)
    earlier: dict[str, tuple[int, int]] = {}  # member -> its place: the latest year first, then the cluster's order
    for age, year in enumerate(sorted(by_year, key=lambda y: (y is None, y or 0))):
        group = by_year[year]
        items = []
        for iri in group:
            cites = data.references.get(iri, set())
            bases = sorted((i for i in cites if i in earlier), key=earlier.__getitem__)
            bases += [i for i in foundations if i in cites]
            item: Prose = [works[iri]]
            if bases:
                item += [" (building on "] + listing([works[i] for i in bases[:BASES_PER_PAPER]]) + [")"]
            items.append(item)
        verb = " appeared" if len(items) == 1 else " followed" if earlier else " came first"
        if year:
            parts += [f"In {year}, "] + join_items(items) + [verb + ". "]
        else:
            parts += ["Of unknown date: "] + join_items(items) + [". "]
        earlier.update((iri, (-age, k)) for k, iri in enumerate(group))  # the latest first: most likely built on
    parts[-1] = parts[-1].rstrip()
    return parts


def in_time(rw: RelatedWork, iris: list[str]) -> list[str]:
    """By the year of the version cited (the year a reader sees), the cluster's order within a year (the sort
    is stable)."""
    return sorted(iris, key=lambda i: rw.works[i].year or 9999)


def works_in_time(rw: RelatedWork, iris: list[str]) -> Prose:
    return listing([rw.works[i] for i in in_time(rw, iris)])


def listing(works: list[Reference]) -> Prose:
    return join_items([[w] for w in works])


def join_items(items: list[Prose]) -> Prose:
    """`A`, `A and B`, `A, B, and C` over pieces of prose."""
    out: Prose = []
    for n, item in enumerate(items):
        if n:
            out.append(" and " if len(items) == 2 else ", and " if n == len(items) - 1 else ", ")
        out += item
    return out


def render(parts: Prose, text, citation) -> str:
    return "".join(citation(p) if isinstance(p, Reference) else text(p) for p in parts)


def remembered(function: Callable[[Any], str], key: Callable[[Any], Hashable] | None = None) -> Callable[[Any], str]:
    """`function` with each answer kept for one export: a work is cited again and again, and the words between
    citations repeat (a Reference, which is not hashable, is remembered by `key`, its IRI)."""
    found: dict[Hashable, str] = {}

    def call(value) -> str:
        k = value if key is None else key(value)
        if k not in found:
            found[k] = function(value)
        return found[k]

    return call


def by_iri(work: Reference) -> str:
    return work.iri


# ---------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------


def md(text: str) -> str:
    """Text for Markdown: one line, every character that could start markup or HTML escaped."""
    return escape_md(one_line(text))


def escape_md(text: str) -> str:
    """Markup characters escaped; control characters (a terminal's escape sequences) as their code point."""
    if not MARKDOWN_UNSAFE.search(text):  # most text: nothing to escape
        return text
    text = CONTROL.sub(lambda m: f"U+{ord(m[0]):04X}", text)
    return MARKDOWN_SPECIAL.sub(r"\\\1", text)


def md_cite(work: Reference) -> str:
    """`[Fiddler (Kamahori et al., 2025)](https://arxiv.org/abs/2402.07033)`: a citation with its link."""
    url = (work.url or "").replace("(", "%28").replace(")", "%29")  # work.url is http(s) or None
    return f"[{md(citation_text(work))}]({url})" if url else md(citation_text(work))


def to_markdown(rw: RelatedWork) -> str:
    """An outline: one section per cluster with its shape, a citation sentence and the papers."""
    c = rw.clustering
    agreement = rw.agreement
    lines = [
        f"# Related work: {md(rw.list_title)}",
        "",
        f"{plural(len(c.data.papers), 'listed paper')} grouped by Leiden on the {c.method} citation graph "
        f"(resolution {c.resolution:g}, seed {c.seed}). Agreement of the clusters with the list's headings: "
        f"NMI {agreement['leaf']['nmi']:.2f}, ARI {agreement['leaf']['ari']:.2f} against leaf headings; "
        f"NMI {agreement['top']['nmi']:.2f}, ARI {agreement['top']['ari']:.2f} against top-level headings.",
        "",
    ]
    text, cite = remembered(escape_md), remembered(md_cite, by_iri)
    for cluster in c.clusters:
        lines += markdown_section(rw, cluster, text, cite)
    return "\n".join(lines).rstrip("\n") + "\n"


def markdown_section(rw: RelatedWork, cluster: Cluster, text=escape_md, cite=md_cite) -> list[str]:
    """Name, terms, shape, the cluster's paragraph, who is filed elsewhere, then the papers."""
    headings = rw.clustering.data.headings
    members = [rw.works[iri] for iri in in_time(rw, cluster.members)]
    paragraph = render(rw.paragraph(cluster), text, cite)
    if cluster.id == UNCONNECTED:
        lines = ["## Unconnected papers", "", paragraph, ""]
    else:
        span = year_span(members)
        lines = [f"## {cluster.id}. {md(cluster.label)}", ""]
        if cluster.terms:
            lines += [f"*Distinctive terms: {md(', '.join(cluster.terms))}*", ""]
        lines += [
            f"{plural(cluster.size, 'paper')}{', ' + span if span else ''}. Listed under "
            f"{md(heading_counts(cluster.headings, headings))}.",
            "",
            paragraph,
            "",
        ]
        if cluster.elsewhere and cluster.dominant_heading:  # elsewhere is only set when there is a dominant one
            dominant = headings[cluster.dominant_heading].label
            moved = [
                f"{citation_text(rw.works[i])}, listed under "
                f"{' and '.join(headings[h].label for h in rw.clustering.data.papers[i].headings)}"
                for i in cluster.elsewhere
            ]
            lines += [f"Filed elsewhere than {md(dominant)}: {md('; '.join(moved))}.", ""]
    lines += [markdown_item(w) for w in members] + [""]
    return lines


def heading_counts(counts: list[tuple[str, int]], headings) -> str:
    return ", ".join(f"{headings[h].label} ({n})" for h, n in counts)


def markdown_item(work: Reference) -> str:
    url = (work.url or "").replace("(", "%28").replace(")", "%29")  # work.url is http(s) or None
    title = f"[{md(work.title)}]({url})" if url else md(work.title)
    stop = "" if work.title.endswith((".", "?", "!")) else "."
    who = md(author_text(work)) or "Anonymous"
    venue = f" {md(work.venue)}." if work.venue else (" arXiv." if work.arxiv else "")
    return f"- {who} ({work.year or 'n.d.'}). {title}{stop}{venue} `{work.key}`"


# ---------------------------------------------------------------------------
# LaTeX and BibTeX
# ---------------------------------------------------------------------------


def one_line(text: str) -> str:
    """Whitespace of any kind (newlines, U+2028, tabs) as single spaces: a string never starts a new line."""
    return " ".join(text.split())


def latex(text: str) -> str:
    """Text for LaTeX and BibTeX: one line, inert wherever it lands."""
    return escape_latex(one_line(text))


def escape_latex(text: str) -> str:
    """Specials escaped, accents and symbols as macros (pylatexenc), control characters and characters
    without a macro shown as code points; spaces kept as they are."""
    return LATEX_UNSAFE.sub(lambda m: latex_char(m[0]), text)


def latex_char(char: str) -> str:
    if char in LATEX_SPECIAL:
        return LATEX_SPECIAL[char]
    if char.isascii():
        return f"\\texttt{{U+{ord(char):04X}}}"
    return NON_ASCII.unicode_to_latex(char)


def tex_comment(text: str) -> str:
    """A string for a `%` comment of LaTeX or BibTeX: one line, escaped, and without `@`, which starts a
    command (`@preamble`) anywhere in a .bib file, comments included."""
    return latex(text).replace("@", "(at)")


def link_url(url: str | None) -> str | None:
    """An http(s) URL ready to be written as a link (unsafe characters percent-encoded); None for any
    other scheme (`javascript:`, `data:`, `file:`), which is never written as a link."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in LINK_SCHEMES or not parts.netloc:
        return None
    return URL_UNSAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m[0].encode()), url.strip())


def bibtex_title(title: str) -> str:
    """Escaped, with acronyms and names like `MoE` or `CPU-GPU` braced so styles keep their case."""
    words = []
    for word in title.split():
        escaped = escape_latex(word)  # a word is one line already
        cased = not word[1:].islower() and any(c.isupper() for part in word.split("-") for c in part[1:])
        words.append(f"{{{escaped}}}" if cased else escaped)
    return " ".join(words)


def bibtex_name(name: str) -> str:
    given, family, suffix = split_name(name)
    if not given:
        return f"{{{latex(family)}}}"
    return ", ".join(latex(part) for part in (family, suffix, given) if part)


def bibtex_entry(work: Reference, name=bibtex_name) -> str:
    """One entry; `name` writes an author (the export passes one that remembers: authors recur)."""
    # Without authors (no source names them) a published paper is a @misc naming its venue: styles
    # require authors of @inproceedings and @article, and a made-up author would be false.
    kind = work.entry_type if work.authors else "misc"
    names = [f"{{{latex(a)}}}" if work.organisation else name(a) for a in work.authors]
    fields = [
        ("author", " and ".join(names + ["others"] * work.others)),
        ("key", "" if work.authors else latex(work.title)),  # what styles sort by without authors
        ("title", bibtex_title(work.title)),
    ]
    if work.venue:  # entry_type is misc without a venue
        fields.append((VENUE_FIELDS.get(kind, "howpublished"), latex(work.venue)))
    elif work.arxiv:
        fields.append(("howpublished", f"arXiv preprint arXiv:{latex(work.arxiv)}"))
    if work.year:
        fields.append(("year", str(work.year)))
    lines = [f"@{kind}{{{work.key},"]
    lines += [f"  {label} = {{{value}}}," for label, value in fields if value]
    if work.date and len(work.date) >= 7:
        lines.append(f"  month = {MONTHS[int(work.date[5:7]) - 1]},")
    if work.doi:  # verbatim for biblatex: only a DOI of DOI syntax (no braces, backslashes, %) is written
        lines.append(f"  doi = {{{work.doi}}},")
    if work.arxiv:
        lines += [f"  eprint = {{{work.arxiv}}},", "  archivePrefix = {arXiv},"]
    if work.url:
        lines.append(f"  url = {{{work.url}}},")
    lines[-1] = lines[-1].rstrip(",")
    return "\n".join(lines) + "\n}\n"


def to_bibtex(rw: RelatedWork) -> str:
    """Every listed paper and every outside work the clusters build on, sorted by key."""
    header = (
        f"% References of the related-work clusters of {tex_comment(rw.list_title)}, written by awesome-kg.\n"
        f"% Keys: first author's family name, year, first significant title word.\n\n"
    )
    name = remembered(bibtex_name)
    return header + "\n".join(bibtex_entry(w, name) for w in rw.cited())


def cite(work: Reference) -> str:
    name = short_name(work)
    if name:
        return f"{latex(name)}~\\cite{{{work.key}}}"
    who = author_text(work)
    return f"{latex(who)}~\\cite{{{work.key}}}" if who else f"\\emph{{{latex(work.title)}}}~\\cite{{{work.key}}}"


def to_latex(rw: RelatedWork) -> str:
    """A \\subsection per cluster with its paragraph, for \\input into a paper whose bibliography is
    references.bib."""
    c = rw.clustering
    lines = [
        f"% Related work on {tex_comment(rw.list_title)}: Leiden clusters of the {c.method} citation graph "
        f"(resolution {c.resolution:g}, seed {c.seed}), written by awesome-kg.",
        "% Use: \\input{related-work} in the document body and \\bibliography{references} at its end.",
        "",
    ]
    headings = c.data.headings
    text, citation = remembered(escape_latex), remembered(cite, by_iri)
    for cluster in c.clusters:
        paragraph = render(rw.paragraph(cluster), text, citation)
        if cluster.id == UNCONNECTED:
            lines += ["\\subsection{Other related work}", "\\label{sec:related-unconnected}", paragraph, ""]
            continue
        span = year_span([rw.works[iri] for iri in cluster.members]).replace("\u2013", "--")
        lines += [
            f"\\subsection{{{latex(cluster.label)}}}",
            f"\\label{{sec:related-{cluster.id}}}",
            f"% {plural(cluster.size, 'paper')}{', ' + span if span else ''}; listed under "
            f"{latex(heading_counts(cluster.headings, headings))}",
            f"% distinctive terms: {latex(', '.join(cluster.terms))}",
            paragraph,
            "",
        ]
    return "\n".join(lines).rstrip("\n") + "\n"


# ---------------------------------------------------------------------------
# CSL-JSON (Zotero, Pandoc)
# ---------------------------------------------------------------------------

CSL_TYPES = {
    "inproceedings": "paper-conference",
    "article": "article-journal",
    "book": "book",
    "incollection": "chapter",
}


def csl_item(work: Reference) -> dict:
    item: dict = {
        "id": work.key,
        "citation-key": work.key,
        "type": CSL_TYPES.get(work.entry_type, "article" if work.arxiv else "document"),
        "title": work.title,
    }
    authors = []
    for name in work.authors:
        if work.organisation:
            authors.append({"literal": name})
            continue
        given, family, suffix = split_name(name)
        author = {"family": family}
        if given:
            author["given"] = given
        if suffix:
            author["suffix"] = suffix
        authors.append(author)
    if authors:
        item["author"] = authors
    if work.date:
        item["issued"] = {"date-parts": [[int(part) for part in work.date.split("-")]]}
    if work.venue:
        item["container-title"] = work.venue
    elif work.arxiv:
        item.update({"publisher": "arXiv", "number": f"arXiv:{work.arxiv}"})
    if work.doi:
        item["DOI"] = work.doi
    if work.url:
        item["URL"] = work.url
    return item


def to_csl_json(rw: RelatedWork) -> str:
    return json_text([csl_item(w) for w in rw.cited()]) + "\n"


# ---------------------------------------------------------------------------
# JSON and CSV
# ---------------------------------------------------------------------------


def to_json(rw: RelatedWork) -> str:
    """The clustering in full: parameters, agreement with the headings, and every cluster."""
    c = rw.clustering
    headings = c.data.headings

    def heading_list(counts):
        return [{"heading": headings[h].label, "iri": h, "papers": n} for h, n in counts]

    def paper(iri):
        work, listed = rw.works[iri], c.data.papers[iri]
        return {
            "key": work.key,
            "title": work.title,
            "year": work.year,
            "iri": iri,
            "citations": listed.citation_count or 0,
            "influential_citations": listed.influential_count or 0,
            "headings": [headings[h].label for h in listed.headings],
        }

    clusters = []
    for cluster in c.clusters:
        clusters.append(
            {
                "id": cluster.id,
                "label": cluster.label,
                "size": cluster.size,
                "terms": cluster.terms,
                "headings": heading_list(cluster.headings),
                "top_headings": heading_list(cluster.top_headings),
                "members": [paper(iri) for iri in cluster.members],
                "builds_on": [
                    {
                        "key": rw.works[i].key,
                        "title": rw.works[i].title,
                        "year": rw.works[i].year,
                        "iri": i,
                        "cited_by_members": n,
                    }
                    for i, n in cluster.builds_on
                ],
                "listed_elsewhere": [paper(iri) for iri in cluster.elsewhere],
            }
        )
    document = {
        "list": rw.list_title,
        "method": "leiden",
        "parameters": c.parameters,
        "similarity_edges": len(c.similarity),
        "agreement": rw.agreement,
        "clusters": clusters,
    }
    return json_text(document) + "\n"


def json_text(value: object) -> str:
    """`json.dumps(value, indent=2, ensure_ascii=False)`, the same text: with an indent the json module
    encodes in Python, a generator per container, 1 s for the 20,000-paper clusters.json (keys are strings)."""
    out: list[str] = []
    write_json(value, "\n", out)
    return "".join(out)


def write_json(value: object, newline: str, out: list[str]) -> None:
    """`value` at the depth `newline` indents to, its scalars written as the json module writes them."""
    if isinstance(value, dict | list | tuple):
        if not value:
            out.append("{}" if isinstance(value, dict) else "[]")
            return
        inner = newline + "  "
        if isinstance(value, dict):
            opening, closing = "{", "}"
            items = ((f"{encode_json_string(k)}: ", v) for k, v in value.items())
        else:
            opening, closing = "[", "]"
            items = (("", v) for v in value)
        separator = opening + inner
        for key, item in items:
            kind = type(item)
            if kind is str:
                out.append(separator + key + encode_json_string(item))
            elif kind is int:
                out.append(separator + key + int.__repr__(item))
            else:
                out.append(separator + key)
                write_json(item, inner, out)
            separator = "," + inner
        out.append(newline + closing)
    elif isinstance(value, str):
        out.append(encode_json_string(value))
    elif value is None:
        out.append("null")
    elif value is True or value is False:
        out.append("true" if value else "false")
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, float):
        out.append(json.dumps(value))
    else:
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def node_rows(rw: RelatedWork) -> list[dict]:
    """One row per listed paper: its cluster and its place in the list's taxonomy."""
    c = rw.clustering
    headings, rows = c.data.headings, []
    for cluster in c.clusters:
        for iri in cluster.members:
            work, listed = rw.works[iri], c.data.papers[iri]
            first = listed.headings[0] if listed.headings else None
            rows.append(
                {
                    "iri": iri,
                    "key": work.key,
                    "title": work.title,
                    "year": work.year or "",
                    "cluster": cluster.id,
                    "cluster_label": cluster.label,
                    "heading": headings[first].label if first else "",
                    "top_heading": headings[headings[first].top].label if first else "",
                    "headings": " | ".join(headings[h].label for h in listed.headings),
                    "under_dominant_heading": "no" if iri in cluster.elsewhere else "yes",
                }
            )
    return rows


def to_csv(rw: RelatedWork) -> str:
    """One row per listed paper, for spreadsheets: every cell is text a spreadsheet will not evaluate."""
    rows = node_rows(rw)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else ["iri"], lineterminator="\r\n")  # RFC 4180
    writer.writeheader()
    writer.writerows({name: spreadsheet_cell(value) for name, value in row.items()} for row in rows)
    return buffer.getvalue()


# ---------------------------------------------------------------------------
# GraphML and GEXF (Gephi, Cytoscape, igraph)
# ---------------------------------------------------------------------------

NODE_ATTRIBUTES = ("key", "title", "year", "cluster", "cluster_label", "heading", "top_heading", "headings")


def xml_value(value) -> str:
    """A string XML 1.0 can hold: characters it forbids (most control characters) become U+FFFD."""
    return XML_INVALID.sub("\ufffd", str(value))


def xml_text(root: ET.Element) -> str:
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def to_graphml(rw: RelatedWork) -> str:
    """Listed papers as nodes with cluster and heading attributes, similarity edges with weights."""
    ns = "http://graphml.graphdrawing.org/xmlns"
    root = ET.Element("graphml", {"xmlns": ns})
    for name in NODE_ATTRIBUTES:
        kind = "int" if name == "year" else "string"
        ET.SubElement(root, "key", {"id": name, "for": "node", "attr.name": name, "attr.type": kind})
    ET.SubElement(root, "key", {"id": "weight", "for": "edge", "attr.name": "weight", "attr.type": "double"})
    graph = ET.SubElement(root, "graph", {"id": "clusters", "edgedefault": "undirected"})
    for row in node_rows(rw):
        node = ET.SubElement(graph, "node", {"id": row["iri"]})
        for name in NODE_ATTRIBUTES:
            if row[name] != "":
                ET.SubElement(node, "data", {"key": name}).text = xml_value(row[name])
    for n, (a, b, weight) in enumerate(rw.clustering.edges):
        edge = ET.SubElement(graph, "edge", {"id": f"e{n}", "source": a, "target": b})
        ET.SubElement(edge, "data", {"key": "weight"}).text = repr(weight)
    return xml_text(root)


def to_gexf(rw: RelatedWork) -> str:
    """The same graph as GEXF 1.3, Gephi's own format (partition by `cluster` or `heading`)."""
    root = ET.Element("gexf", {"xmlns": "http://gexf.net/1.3", "version": "1.3"})
    meta = ET.SubElement(root, "meta")
    ET.SubElement(meta, "creator").text = "awesome-kg"
    ET.SubElement(meta, "description").text = xml_value(
        f"Related-work clusters of {rw.list_title} ({rw.clustering.method} citation graph)"
    )
    graph = ET.SubElement(root, "graph", {"defaultedgetype": "undirected", "mode": "static"})
    attributes = ET.SubElement(graph, "attributes", {"class": "node"})
    for n, name in enumerate(NODE_ATTRIBUTES):
        ET.SubElement(
            attributes, "attribute", {"id": str(n), "title": name, "type": "integer" if name == "year" else "string"}
        )
    nodes = ET.SubElement(graph, "nodes")
    for row in node_rows(rw):
        node = ET.SubElement(nodes, "node", {"id": row["iri"], "label": xml_value(row["title"])})
        values = ET.SubElement(node, "attvalues")
        for n, name in enumerate(NODE_ATTRIBUTES):
            if row[name] != "":
                ET.SubElement(values, "attvalue", {"for": str(n), "value": xml_value(row[name])})
    edges = ET.SubElement(graph, "edges")
    for n, (a, b, weight) in enumerate(rw.clustering.edges):
        ET.SubElement(edges, "edge", {"id": str(n), "source": a, "target": b, "weight": repr(weight)})
    return xml_text(root)


# ---------------------------------------------------------------------------
# Terminal table (`kg clusters`)
# ---------------------------------------------------------------------------

TOP_PAPERS = 3


def terminal_text(text: str):
    """A title for the terminal: rich text, never markup (`[/red]`), control characters (escape
    sequences) shown as `\\x1b` instead of sent to the terminal."""
    from rich.text import Text

    return Text("".join(f"\\x{ord(c):02x}" if unicodedata.category(c) == "Cc" else c for c in one_line(text)))


def to_table(rw: RelatedWork) -> str:
    """Cluster, size, label and most-cited members, then agreement with the headings."""
    from rich.console import Console
    from rich.table import Table

    c = rw.clustering
    grid = Table("cluster", "size", "label", "top papers", header_style="bold")
    for cluster in c.clusters:
        papers = c.data.papers
        top = sorted(
            cluster.members,
            key=lambda i: (
                -(papers[i].influential_count or 0),
                -(papers[i].citation_count or 0),
                cluster.members.index(i),
            ),
        )[:TOP_PAPERS]
        grid.add_row(
            cluster.id,
            str(cluster.size),
            terminal_text(cluster.label),
            terminal_text("; ".join(citation_text(rw.works[i]) for i in top)),
        )
    buffer = io.StringIO()
    Console(file=buffer, width=160, force_terminal=False, color_system=None).print(grid)
    agreement = rw.agreement
    return (
        buffer.getvalue() + f"leiden on the {c.method} graph, resolution {c.resolution:g}, seed {c.seed}: "
        f"{len(c.similarity)} weighted links. Agreement with the headings of {agreement['papers']} clustered papers: "
        f"leaf NMI {agreement['leaf']['nmi']:.2f} ARI {agreement['leaf']['ari']:.2f}, "
        f"top-level NMI {agreement['top']['nmi']:.2f} ARI {agreement['top']['ari']:.2f}\n"
    )


# ---------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------

FORMATS = {
    "markdown": to_markdown,
    "latex": to_latex,
    "bibtex": to_bibtex,
    "csl-json": to_csl_json,
    "json": to_json,
    "csv": to_csv,
    "graphml": to_graphml,
    "gexf": to_gexf,
}


def export(
    source: KnowledgeGraph | GraphModel, fmt: str, method: str = DEFAULT_METHOD, resolution: float = DEFAULT_RESOLUTION
) -> str:
    """One export of the clusters of a build (its model, or its graph read into one), as text."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}: expected one of {', '.join(FORMATS)}")
    return FORMATS[fmt](related_work(source, method, resolution))


def write_cluster_files(
    source: KnowledgeGraph | GraphModel, out: str | Path, clustering: Clustering | None = None
) -> list[Path]:
    """Build view: clusters.md, related-work.tex, references.bib and clusters.json with default settings (of
    the build's default clustering, when given)."""
    rw = related_work(source, clustering=clustering)
    return [atomic_write(Path(out) / name, FORMATS[fmt](rw)) for name, fmt in BUILD_FILES.items()]
