"""Parse an awesome list (Markdown) into headings, paper entries and model-table rows.

The Markdown is read with markdown-it-py tokens, never with regexes over the file:
headings give the taxonomy, paragraphs and list items give entries such as
`[Venue'YY.M] [Title](url) [[Code](url)]` or `- **Title** [[Paper](url)]`, and
table rows under a heading give model entities. Problems never stop the parse: each
one becomes a `ParseWarning` naming the file and line.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from kg.identifiers import identifiers_from_url, identity_key, normalize_title

BOILERPLATE_HEADINGS = {"contents", "table of contents", "contribute", "contributing", "citation",
                        "license", "todo", "todos", "acknowledgements", "acknowledgments", "star history"}
CODE_LABELS = {"code", "github", "github repo", "repo", "repository", "project", "official code"}
PAPER_LABELS = {"paper", "pdf", "arxiv", "link", "tech report", "technical report"}
_TAG = re.compile(r"^\s*\[(?P<tag>[^\[\]]*)\]\s*")
_VENUE_DATE = re.compile(r"['’‘`´]\s*(?P<year>\d{2}|\d{4})(?:\.(?P<month>\d{1,2}))?$")
_BRACKETED = re.compile(r"\[([^\[\]]+)\]")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # what Markdown counts as a line break (not U+2028, \f, ...)
# A paper's line is a few hundred characters; a longer one is junk (minified, base64, binary) and
# only costs time in the Markdown parser, so it is skipped with a warning.
MAX_LINE_CHARS = 10_000
_OVERLONG_LINE = re.compile(rf"(?<![^\r\n])[^\r\n]{{{MAX_LINE_CHARS + 1},}}")


@dataclass
class ParseWarning:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass
class Heading:
    key: str            # slug path, e.g. "model-level-optimizations/model-compression/pruning"
    label: str
    level: int
    parent: str | None
    order: int
    line: int


@dataclass
class Entry:
    """One line of the list that names a paper."""
    line: int
    heading: str
    title: str
    url: str | None
    tag: str | None = None
    venue: str | None = None
    year: int | None = None
    month: int | None = None
    code_urls: list[str] = field(default_factory=list)
    other_links: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    from_table: bool = False

    @property
    def ids(self) -> dict[str, str]:
        return identifiers_from_url(self.url) if self.url else {}

    @property
    def key(self) -> str:
        return identity_key(self.ids, self.url, self.title)


@dataclass
class ModelRow:
    """A row of a model table (e.g. "SOTA Open Source MoE LLMs")."""
    line: int
    heading: str
    name: str
    url: str | None
    report_url: str | None
    cells: dict[str, str]


@dataclass
class ListedPaper:
    """Every entry of one paper merged: one paper may sit under several headings."""
    key: str
    entries: list[Entry]

    @property
    def first(self) -> Entry:
        return self.entries[0]

    @property
    def titles(self) -> list[str]:
        """Printed titles, first first; titles made up for table rows only as a last resort."""
        printed = [e.title for e in self.entries if not e.from_table] or [self.first.title]
        seen: dict[str, str] = {}
        for title in printed:
            seen.setdefault(normalize_title(title), title)
        return list(seen.values())

    @property
    def headings(self) -> list[str]:
        return list(dict.fromkeys(e.heading for e in self.entries))

    @property
    def ids(self) -> dict[str, str]:
        merged: dict[str, str] = {}
        for entry in self.entries:
            for kind, value in entry.ids.items():
                merged.setdefault(kind, value)
        return merged

    @property
    def urls(self) -> list[str]:
        return list(dict.fromkeys(e.url for e in self.entries if e.url))

    @property
    def code_urls(self) -> list[str]:
        return list(dict.fromkeys(u for e in self.entries for u in e.code_urls))

    @property
    def tagged(self) -> Entry:
        """The entry whose venue tag speaks for the paper: the first that has one."""
        return next((e for e in self.entries if e.tag), self.first)


@dataclass
class ParsedList:
    path: str
    title: str
    headings: list[Heading]
    papers: list[ListedPaper]
    models: list[ModelRow]
    warnings: list[ParseWarning]

    def paper(self, key: str) -> ListedPaper:
        return next(p for p in self.papers if p.key == key)


def slugify(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "-", text.casefold()).strip("-") or "untitled"


def split_venue_tag(tag: str) -> tuple[str | None, int | None, int | None]:
    """`Arxiv'24.10` -> ("Arxiv", 2024, 10); `SoCC '24.11`, `ICML'22`, `ISSCC’24.2` alike."""
    tag = tag.strip()
    m = _VENUE_DATE.search(tag)  # searched from the end's anchor: linear however long the tag
    if not m:
        return (tag or None), None, None
    year = int(m["year"])
    year = year + 2000 if year < 100 else year
    month = int(m["month"]) if m["month"] else None
    return tag[:m.start()].strip() or None, year, month


def decode_list(data: bytes, name: str) -> tuple[str, list[ParseWarning]]:
    """Text of a list file; undecodable bytes and NULs become warnings, not failures."""
    warnings: list[ParseWarning] = []
    text = data.decode("utf-8", errors="replace")
    for number, line in enumerate(_LINE_BREAK.split(text), 1):
        if "\ufffd" in line or "\x00" in line:
            warnings.append(ParseWarning(name, number, "bytes that are not UTF-8 text (binary junk?) were skipped"))
    return text.replace("\x00", ""), warnings


def parse_list_file(path: str | Path) -> ParsedList:
    path = Path(path)
    text, warnings = decode_list(path.read_bytes(), str(path))
    parsed = parse_list_text(text, str(path))
    parsed.warnings[:] = sorted(warnings + parsed.warnings, key=lambda warning: warning.line)
    return parsed


def parse_list_text(text: str, name: str = "<list>") -> ParsedList:
    return _ListReader(name).read(text)


class _ListReader:
    """Walks the token stream once, keeping the heading path it is under."""

    def __init__(self, name: str):
        self.name = name
        self.title = ""
        self.headings: list[Heading] = []
        self.entries: list[Entry] = []
        self.models: list[ModelRow] = []
        self.warnings: list[ParseWarning] = []
        self.stack: list[Heading] = []
        self.skipping = False
        self.heading_keys: set[str] = set()
        self.last_suffix: dict[str, int] = {}

    def warn(self, line: int, message: str) -> None:
        self.warnings.append(ParseWarning(self.name, line, message))

    def read(self, text: str) -> ParsedList:
        from markdown_it import MarkdownIt

        text = self.without_overlong_lines(text)
        tokens = MarkdownIt("commonmark").enable("table").parse(text)
        if not text.strip():
            self.warn(1, "the file is empty: expected headings and paper entries")
        i = 0
        while i < len(tokens):
            token = tokens[i]
            if token.type == "heading_open":
                self.on_heading(int(token.tag[1]), tokens[i + 1].content, token.map[0] + 1)
            elif token.type == "tr_open" and self.current():
                i = self.on_table_row(tokens, i)
            elif token.type == "inline" and token.map and self.current() and not self.in_table(tokens, i):
                self.on_inline(token)
            i += 1
        self.check_empty_headings()
        papers = merge_entries(self.entries, self.warn)
        self.warnings.sort(key=lambda warning: warning.line)  # in file order, whichever check found them
        return ParsedList(self.name, self.title, self.headings, papers, self.models, self.warnings)

    def without_overlong_lines(self, text: str) -> str:
        """The text with each line over MAX_LINE_CHARS emptied (line numbers kept), each one warned."""
        kept, line, last = [], 1, 0
        for match in _OVERLONG_LINE.finditer(text):
            start = match.start()
            line += text.count("\n", last, start) + text.count("\r", last, start) - text.count("\r\n", last, start)
            self.warn(line, f"line is {len(match[0]):,} characters long, more than the {MAX_LINE_CHARS:,} a list "
                            f"line may have (junk?): skipped")
            kept.append(text[last:start])
            last = match.end()
        return "".join(kept) + text[last:] if kept else text

    def current(self) -> Heading | None:
        return None if self.skipping or not self.stack else self.stack[-1]

    @staticmethod
    def in_table(tokens, i: int) -> bool:
        return tokens[i - 1].type in ("th_open", "td_open")

    def on_heading(self, level: int, label: str, line: int) -> None:
        label = label.strip()
        if level == 1 and not self.title:
            self.title = label
            return
        while self.stack and self.stack[-1].level >= level:
            self.stack.pop()
        if not self.stack and normalize_title(label) in BOILERPLATE_HEADINGS:
            self.skipping = True
            return
        if self.skipping and self.stack == [] and level > 2:
            return  # a sub-heading of a boilerplate section
        self.skipping = False
        parent = self.stack[-1] if self.stack else None
        key = self.unique_key(f"{parent.key}/{slugify(label)}" if parent else slugify(label))
        heading = Heading(key, label, level, parent.key if parent else None, len(self.headings), line)
        self.headings.append(heading)
        self.stack.append(heading)

    def unique_key(self, key: str) -> str:
        """`key`, else `key-2`, `key-3`, ... for headings that repeat a label under one parent."""
        base, suffix = key, self.last_suffix.get(key, 1)
        while key in self.heading_keys:
            suffix += 1
            key = f"{base}-{suffix}"
        self.last_suffix[base] = suffix
        self.heading_keys.add(key)
        return key

    def on_inline(self, token) -> None:
        line = token.map[0] + 1
        for offset, parts in split_lines(token.children or []):
            entry = self.entry_from_parts(parts, line + offset)
            if entry:
                self.entries.append(entry)

    def entry_from_parts(self, parts: list[tuple], line: int) -> Entry | None:
        """An entry from one logical line: ("text", s) / ("link", label, href) / ("strong", s)."""
        text = "".join(p[1] for p in parts if p[0] in ("text", "strong"))
        links = [p for p in parts if p[0] == "link"]
        strong = next((p[1] for p in parts if p[0] == "strong"), None)
        lead = parts[0][1] if parts and parts[0][0] == "text" else ""
        tag_match = _TAG.match(lead)
        if not links and not tag_match and not strong:
            return None  # prose, not an entry
        heading = self.current().key
        tag = tag_match["tag"].strip() if tag_match else None
        venue, year, month = split_venue_tag(tag) if tag else (None, None, None)
        if tag and year is None:
            self.warn(line, f"venue tag [{tag}] has no year: expected e.g. [Venue'24] or [Arxiv'24.10]")
        if strong:
            title, paper_links = strong.strip(), [l for l in links if l[1].strip().lower() in PAPER_LABELS]
            url = paper_links[0][2] if paper_links else next((l[2] for l in links if l[1].strip().lower() not in CODE_LABELS), None)
        elif links and (not tag_match or parts.index(links[0]) <= 1):
            title, url = links[0][1].strip(), links[0][2].strip()
        else:
            after_tag = lead[tag_match.end():] if tag_match else text
            bracketed = _BRACKETED.search(after_tag)
            if not bracketed:
                self.warn(line, "entry has a venue tag but no [Title](link): expected [Venue'YY] [Title](url)")
                return None
            title, url = bracketed[1].strip(), None
        if not title:
            self.warn(line, "entry has an empty title: expected [Venue'YY] [Title](url)")
            return None
        if url is None:
            self.warn(line, f"entry '{title}' has no link: expected [Title](url)")
        elif not url:
            self.warn(line, f"entry '{title}' has an empty link: expected [Title](url)")
            url = None
        entry = Entry(line, heading, title, url, tag or None, venue, year, month)
        for kind, label, href in links:
            if href == url:
                continue
            if label.strip().lower() in CODE_LABELS or "github.com" in href:
                entry.code_urls.append(href)
            else:
                entry.other_links.append((label.strip(), href))
        tail = "".join(p[1] for p in parts[1:] if p[0] == "text")
        entry.notes = [n.strip() for n in _BRACKETED.findall(tail) if n.strip()]
        return entry

    def on_table_row(self, tokens, i: int) -> int:
        """Read one table row; body rows under a heading become models. Returns the tr_close index."""
        line = tokens[i].map[0] + 1 if tokens[i].map else 0
        cells: list[list[tuple]] = []
        header = False
        j = i + 1
        while tokens[j].type != "tr_close":
            if tokens[j].type == "inline":
                cells.append(inline_parts(tokens[j].children or []))
            header = header or tokens[j].type == "th_open"
            j += 1
        if header:
            self.table_header = ["".join(p[1] for p in c if p[0] != "link") or "".join(p[1] for p in c) for c in cells]
        elif cells:
            self.add_model(cells, line)
        return j

    def add_model(self, cells: list[list[tuple]], line: int) -> None:
        names = getattr(self, "table_header", [])
        first_links = [p for p in cells[0] if p[0] == "link"]
        if not first_links:
            self.warn(line, "table row has no [Name](link) in its first column: expected a model with a link")
            return
        name, url = first_links[0][1].strip(), first_links[0][2]
        report = next((p[2] for p in first_links[1:] if p[1].strip().lower() in PAPER_LABELS), None)
        values = {names[k].strip() if k < len(names) else f"column {k + 1}": "".join(p[1] for p in cell).strip()
                  for k, cell in enumerate(cells[1:], 1)}
        heading = self.current().key
        self.models.append(ModelRow(line, heading, name, url, report, values))
        if report:
            self.entries.append(Entry(line, heading, f"{name} technical report", report, from_table=True))

    def check_empty_headings(self) -> None:
        filled = set()
        for key in {e.heading for e in self.entries} | {m.heading for m in self.models}:
            parts = key.split("/")  # a heading is filled when it or a heading below it has entries
            filled.update("/".join(parts[:n]) for n in range(1, len(parts) + 1))
        for heading in self.headings:
            if heading.key not in filled:
                self.warn(heading.line, f"heading '{heading.label}' has no entries yet")


def inline_parts(children) -> list[tuple]:
    """Flatten inline tokens into ("text", s), ("strong", s), ("link", label, href), ("break", in_link)."""
    parts: list[tuple] = []
    link: list | None = None
    strong: list | None = None
    for child in children:
        kind = child.type
        if kind == "link_open":
            link = [child.attrs.get("href", ""), []]
        elif kind == "link_close" and link is not None:
            parts.append(("link", "".join(link[1]).strip(), str(link[0])))
            link = None
        elif kind == "strong_open" and link is None:
            strong = []
        elif kind == "strong_close" and strong is not None:
            parts.append(("strong", "".join(strong)))
            strong = None
        elif kind in ("text", "code_inline"):
            target = link[1] if link is not None else strong if strong is not None else None
            (target.append(child.content) if target is not None else parts.append(("text", child.content)))
        elif kind in ("softbreak", "hardbreak"):
            if link is not None:
                link[1].append(" ")
            parts.append(("break", link is not None))
        elif kind == "image":
            parts.append(("image", child.attrs.get("src", "")))
    return parts


def split_lines(children) -> list[tuple[int, list[tuple]]]:
    """Split a paragraph into logical lines: a line break outside a link starts a new entry."""
    lines: list[tuple[int, list[tuple]]] = []
    current: list[tuple] = []
    offset = start = 0
    parts = inline_parts(children)
    for part in parts:
        if part[0] == "break":
            offset += 1
            if not part[1] and current:
                lines.append((start, current))
                current, start = [], offset
            elif not current:
                start = offset
            continue
        current.append(part)
    if current:
        lines.append((start, current))
    return [(o, [p for p in ps if p[0] != "image"]) for o, ps in lines if any(p[0] != "image" for p in ps)]


def merge_entries(entries: list[Entry], warn) -> list[ListedPaper]:
    """One ListedPaper per identity, in the order papers first appear; report title conflicts."""
    papers: dict[str, ListedPaper] = {}
    for entry in entries:
        papers.setdefault(entry.key, ListedPaper(entry.key, [])).entries.append(entry)
    for paper in papers.values():
        if len(paper.titles) > 1:
            lines = ", ".join(str(e.line) for e in paper.entries)
            warn(paper.first.line, f"one paper ({paper.key}) is listed with {len(paper.titles)} different titles "
                                   f"(lines {lines}): kept as alternatives")
    return list(papers.values())
