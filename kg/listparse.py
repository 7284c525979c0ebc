"""Parse an awesome list (Markdown, one file or a README with linked pages) into headings, papers and models.

The Markdown is read with markdown-it-py tokens, never with regexes over the file. Headings give
the taxonomy; each logical line of a paragraph or list item, and each row of a paper table, is
one candidate entry. An entry is a paper when a link in it points at a paper (an identifier, a
paper host or a PDF: `identifiers.link_kind`); its title is what the line prints as a title (a
bold text, a link label that is not a tag, or the text before the links), never a label such as
`[pdf]`, `[4 Sep 2022]` or `[NeurIPS 2022]`. Code, blog and news links are attached to the paper.
Every line that carries a link ends up as a paper, a model row, a skipped line of a named kind
(`Skipped`) or a `ParseWarning` with a stable code: nothing is dropped without a word.
"""

from __future__ import annotations

import gc
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import cached_property
from pathlib import Path, PurePosixPath

from kg.identifiers import identifiers_from_url, identity_key, link_kind, normalize_title, slugify

BOILERPLATE_HEADINGS = {
    "contents",
    "table of contents",
    "contribute",
    "contributing",
    "citation",
    "license",
    "todo",
    "todos",
    "acknowledgements",
    "acknowledgement",
    "acknowledgments",
    "star history",
    "contributors",
    "news",
    "updates",
}
CODE_LABELS = {
    "code",
    "codes",
    "github",
    "github repo",
    "repo",
    "repository",
    "project",
    "official code",
    "model",
    "models",
    "huggingface",
    "hugging face",
    "demo",
    "website",
    "homepage",
    "project page",
    "blog",
    "news",
    "slides",
    "video",
    "dataset",
    "data",
    "weights",
    "checkpoint",
    "checkpoints",
}
PAPER_LABELS = {
    "paper",
    "pdf",
    "arxiv",
    "link",
    "tech report",
    "technical report",
    "report",
    "openreview",
    "abs",
    "doi",
    "proceedings",
    "preprint",
    "acl",
    "pmlr",
}
MODEL_COLUMNS = {
    "para",
    "params",
    "parameters",
    "experts",
    "l",
    "h",
    "d model",
    "d ffn",
    "d expert",
    "affiliation",
    "active params",
    "total params",
}
MONTHS = {
    m: n for n, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)
}
_TAG = re.compile(r"^\s*\[(?P<tag>[^\[\]]*)\]\s*")
_VENUE_DATE = re.compile(r"['’‘`´]\s*(?P<year>\d{2}|\d{4})(?:\.(?P<month>\d{1,2}))?$")
_BRACKETED = re.compile(r"\[([^\[\]]+)\]")
_DATE = re.compile(
    r"^(?:(?P<day>\d{1,2})\s+)?(?P<month>[A-Za-z]{3,9})\.?,?\s+(?P<year>(?:19|20)\d{2})$"
    r"|^(?P<iso>(?:19|20)\d{2})(?:[-./](?P<isomonth>\d{1,2})(?:[-./]\d{1,2})?)?$"
)
_PRINTED_VENUE_YEAR = re.compile(r"(?P<venue>[A-Za-z][A-Za-z.&-]*(?:\s[A-Za-z.&-]+){0,3})\s*'?(?P<year>(?:19|20)\d{2})")
_NAME_COMMA_YEAR = re.compile(r"(?P<name>.*\S),\s*(?P<year>(?:19|20)\d{2})")
_BR = re.compile(r"<br\s*/?>", re.I)
_BADGE = re.compile(r"img\.shields\.io/badge/(?P<text>[^?#]+?)-[0-9a-zA-Z]+(?:\?|$)")
_SPACED_LINK = re.compile(r"\[(?P<title>[^\[\]]+)\]\s+\((?P<url>https?://[^()\s]+)\)")
_REFERENCE_DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s")
_NOTHING_TO_READ = re.compile(r"[\s>]*(?:(?:[-*+]|\d{1,9}[.)])[\s>]*)?")  # blank, an empty quote or list item
_MD_LINK = re.compile(r"\.md\s*[)#?]", re.I)  # a page that may link other pages of its list
_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # what Markdown counts as a line break (not U+2028, \f, ...)
_PLAIN_WEB_LINK = re.compile(r"https?://[A-Za-z0-9][A-Za-z0-9.-]*(?:/[A-Za-z0-9/._~-]*)?(?:[?][A-Za-z0-9=&._~-]*)?")
_CONTRIBUTOR = re.compile(r"\b(?:contributed|maintained|created|curated|made|written|compiled)\s+by\b", re.I)
# A paper's line is a few hundred characters; a longer one is junk (minified, base64, binary) and
# only costs time in the Markdown parser, so it is skipped with a warning.
MAX_LINE_CHARS = 10_000
_OVERLONG_LINE = re.compile(rf"(?<![^\r\n])[^\r\n]{{{MAX_LINE_CHARS + 1},}}")
MAX_LIST_BYTES = 128 * 2**20  # one list (all its pages together) larger than this is refused, read with this bound
MAX_PAGES = 1_000  # linked pages followed from one README
UNRELATED_TITLES = 0.5  # share of the shorter title's words two titles of one paper must have in common


class ListTooLarge(ValueError):
    """A list file (or the pages of a multi-file list) past MAX_LIST_BYTES: refused before decoding."""


@dataclass
class ParseWarning:
    file: str
    line: int
    message: str
    code: str = "malformed-entry"  # stable: the CLI and tests decide by it, never by the message text

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass
class Skipped:
    """A line with a link that names no paper, and why (e.g. "anchor", "contributor", "repository")."""

    file: str
    line: int
    kind: str
    text: str


@dataclass
class Heading:
    key: str  # slug path, e.g. "model-level-optimizations/model-compression/pruning"
    label: str
    level: int
    parent: str | None
    order: int
    line: int
    file: str = ""  # the page it is on, relative to the README ("" for the README itself)


@dataclass
class Entry:
    """One line (or table row) of the list that names a paper."""

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
    authors: list[str] = field(default_factory=list)
    file: str = ""

    @cached_property
    def ids(self) -> dict[str, str]:
        """Computed once: an entry's link and title are fixed when it is made."""
        return identifiers_from_url(self.url) if self.url else {}

    @cached_property
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


def titles_related(a: str, b: str) -> bool:
    """Two spellings of one title (a typo, a subtitle, a renamed version), not two different papers."""
    x, y = normalize_title(a), normalize_title(b)
    if not x or not y or x in y or y in x or SequenceMatcher(None, x, y).ratio() >= 0.8:
        return True
    name_a, name_b = (normalize_title(t.split(":", 1)[0]) if ":" in t else "" for t in (a, b))
    if name_a and name_a == name_b:
        return True  # "ModuleFormer: ..." renamed between versions is still ModuleFormer
    words_x, words_y = set(x.split()), set(y.split())
    return len(words_x & words_y) >= UNRELATED_TITLES * min(len(words_x), len(words_y))


@dataclass
class ListedPaper:
    """Every entry of one paper merged: one paper may sit under several headings. Its entries are all
    there once merged, so what is read from them (titles, ids) is computed once."""

    key: str
    entries: list[Entry]

    @property
    def first(self) -> Entry:
        return self.entries[0]

    @cached_property
    def printed_titles(self) -> list[str]:
        """Every distinct printed title, first first."""
        seen: dict[str, str] = {}
        for entry in self.entries:
            seen.setdefault(normalize_title(entry.title), entry.title)
        return list(seen.values())

    @cached_property
    def titles(self) -> list[str]:
        """The first printed title and the spellings of it; a title unlike the first (the link is
        wrong on one of the lines) is not the paper's and is left out (see `conflicting_titles`)."""
        printed = self.printed_titles
        return [t for t in printed if titles_related(printed[0], t)]

    @cached_property
    def conflicting_titles(self) -> list[str]:
        printed = self.printed_titles
        return [t for t in printed if not titles_related(printed[0], t)]

    @property
    def headings(self) -> list[str]:
        return list(dict.fromkeys(e.heading for e in self.entries))

    @cached_property
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
    def authors(self) -> list[str]:
        return next((e.authors for e in self.entries if e.authors), [])

    @property
    def tagged(self) -> Entry:
        """The entry whose venue tag speaks for the paper: the first that has one."""
        return next((e for e in self.entries if e.tag or e.venue or e.year), self.first)


@dataclass
class ParsedList:
    path: str
    title: str
    headings: list[Heading]
    papers: list[ListedPaper]
    models: list[ModelRow]
    warnings: list[ParseWarning]
    skipped: list[Skipped] = field(default_factory=list)
    entries: int = 0  # lines (and table rows) read as paper entries, before merging
    pages: list[str] = field(default_factory=list)  # files read, the README first

    def paper(self, key: str) -> ListedPaper:
        return next(p for p in self.papers if p.key == key)

    def skipped_by_kind(self) -> dict[str, int]:
        return dict(sorted(Counter(s.kind for s in self.skipped).items()))


def split_venue_tag(tag: str) -> tuple[str | None, int | None, int | None]:
    """`Arxiv'24.10` -> ("Arxiv", 2024, 10); `SoCC '24.11`, `ICML'22`, `ISSCC’24.2` alike."""
    tag = tag.strip()
    m = _VENUE_DATE.search(tag)  # searched from the end's anchor: linear however long the tag
    if not m:
        return (tag or None), None, None
    year = int(m["year"])
    year = year + 2000 if year < 100 else year
    month = int(m["month"]) if m["month"] else None
    return tag[: m.start()].strip() or None, year, month


def read_label(label: str, bracketed: bool = False) -> tuple[str | None, int | None, int | None] | None:
    """A tag-like label as (venue, year, month): `4 Sep 2022`, `Dec 2023`, `2025-6-16` (dates),
    `NeurIPS 2022`, `ICML2021`, `ICML'24`, `AI Open` (venues); None when it reads as a title."""
    label = label.strip().strip("[]()").strip()
    if not label:
        return None, None, None
    if m := _DATE.match(label):
        if m["iso"]:
            month = int(m["isomonth"]) if m["isomonth"] else None
            return None, int(m["iso"]), month if month and 1 <= month <= 12 else None
        month = MONTHS.get(m["month"][:3].lower())
        if month:
            return None, int(m["year"]), month
    venue, year, month = split_venue_tag(label)
    if year is not None and venue and len(venue.split()) <= 4:
        return venue, year, month
    if m := _PRINTED_VENUE_YEAR.fullmatch(label):
        return m["venue"], int(m["year"]), None
    if bracketed and len(label.split()) <= 4 and label.lower() not in GENERIC_LABELS:
        return label, None, None  # a short bracketed name such as [[AI Open]](url): a venue, not a title
    return None


def decode_list(data: bytes, name: str) -> tuple[str, list[ParseWarning]]:
    """Text of a list file; undecodable bytes and NULs become warnings, not failures."""
    warnings: list[ParseWarning] = []
    text = data.decode("utf-8", errors="replace")
    for number, line in enumerate(_LINE_BREAK.split(text), 1):
        if "\ufffd" in line or "\x00" in line:
            warnings.append(
                ParseWarning(name, number, "bytes that are not UTF-8 text (binary junk?) were skipped", "not-utf8")
            )
    return text.replace("\x00", ""), warnings


def read_bounded(path: Path, limit: int = MAX_LIST_BYTES) -> bytes:
    """The file's bytes, read with a bound: a larger file (or an endless one, /dev/zero) is refused."""
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ListTooLarge(f"{path}: more than {limit / 1e6:.0f} MB, larger than any list of papers; refused")
    return data


@dataclass
class ListFiles:
    """A list as read from disk or git: the README's bytes and every linked local page's, by relative path."""

    root: str
    pages: dict[str, bytes]

    @property
    def size(self) -> int:
        return sum(len(data) for data in self.pages.values())


def read_list_files(path: str | Path, limit: int = MAX_LIST_BYTES) -> ListFiles:
    """A list file, or a folder's README, with the local `.md` pages it links (followed from page to
    page, never outside the folder); `limit` bounds all pages together."""
    path = Path(path)
    if path.is_dir():
        readme = next((p for p in sorted(path.iterdir()) if p.name.lower() == "readme.md"), None)
        if readme is None:
            raise FileNotFoundError(f"{path}: no README.md in this folder")
        path = readme
    base = path.parent.resolve()

    def read(relative: str) -> bytes | None:
        target = (base / relative).resolve()
        if not target.is_relative_to(base) or not target.is_file():
            return None
        return read_bounded(target, limit - total[0])

    total = [0]
    return _gather(path.name, read, total, limit)


def read_list_files_at(repository: str | Path, commit: str, path: str, limit: int = MAX_LIST_BYTES) -> ListFiles:
    """Like `read_list_files`, from a git repository at a commit (`git show COMMIT:PATH`)."""
    import subprocess

    folder = str(PurePosixPath(path).parent)
    folder = "" if folder == "." else folder + "/"

    def read(relative: str) -> bytes | None:
        name = str(PurePosixPath(folder + relative))
        if name.startswith("..") or "/../" in name:
            return None
        done = subprocess.run(
            ["git", "-C", str(repository), "show", f"{commit}:{name}"], capture_output=True, check=False
        )
        if done.returncode != 0:
            return None
        if len(done.stdout) > limit - total[0]:
            raise ListTooLarge(f"{repository}@{commit}:{name}: the list's pages are more than {limit / 1e6:.0f} MB")
        return done.stdout

    total = [0]
    return _gather(str(PurePosixPath(path).name), read, total, limit)


def _gather(root: str, read, total: list[int], limit: int) -> ListFiles:
    data = read(root)
    if data is None:
        raise FileNotFoundError(f"{root}: cannot read the list")
    pages, queue = {root: data}, [root]
    total[0] += len(data)
    while queue and len(pages) < MAX_PAGES:
        page = queue.pop(0)
        text, _ = decode_list(pages[page], page)
        for target in local_pages(text, page) if _MD_LINK.search(text) else []:
            if target not in pages:
                found = read(target)
                if found is not None:
                    total[0] += len(found)
                    pages[target] = found
                    queue.append(target)
    if total[0] > limit:
        raise ListTooLarge(f"{root}: the list's pages are more than {limit / 1e6:.0f} MB together; refused")
    return ListFiles(root, pages)


def page_path(href: str, from_page: str) -> str | None:
    """The relative path of a local `.md` page a link on `from_page` points at, else None."""
    href = href.split("#", 1)[0].split("?", 1)[0].strip()
    if not href or link_kind(href) != "local" or not href.lower().endswith(".md"):
        return None
    parts: list[str] = []
    for part in (str(PurePosixPath(from_page).parent) + "/" + href).split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
        else:
            parts.append(part)
    return "/".join(parts)


def markdown():
    """The Markdown parser lists are read with. A plain web link (scheme, host, path and query of
    characters that need no escaping) skips markdown-it's URL normalization, which leaves such a
    link as it is and would otherwise take a fifth of the time of reading a large list."""
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark").enable("table")
    normalize = parser.normalizeLink
    parser.normalizeLink = lambda url: url if _PLAIN_WEB_LINK.fullmatch(url) else normalize(url)  # type: ignore[method-assign]
    return parser


def local_pages(text: str, page: str) -> list[str]:
    found = []
    for token in markdown().parse(text):
        for child in token.children or []:
            if child.type == "link_open" and (target := page_path(str(child.attrs.get("href", "")), page)):
                found.append(target)
    return list(dict.fromkeys(found))


def parse_list_file(path: str | Path) -> ParsedList:
    """A list file (or a folder's README) and the local pages it links."""
    files = read_list_files(path)
    label = str(path if Path(path).is_file() else Path(path) / files.root)
    return parse_list_files(files, label)


def parse_list_files(files: ListFiles, label: str) -> ParsedList:
    pages, warnings = {}, []
    for name, data in files.pages.items():
        text, found = decode_list(data, label if name == files.root else name)
        pages[name] = text
        warnings += found
    parsed = parse_list_text(
        pages[files.root], label, pages={k: v for k, v in pages.items() if k != files.root}, root=files.root
    )
    parsed.warnings[:] = sorted(warnings + parsed.warnings, key=lambda warning: (warning.file != label, warning.line))
    return parsed


@contextmanager
def collector_paused() -> Iterator[None]:
    """Reading a large list (tokens, entries) or a warm cache (decoded records), and a build as a whole
    (statements, lines), makes millions of small objects in no cycle; Python's cyclic collector
    would meanwhile walk the growing heap again and again, a third of the time of each."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def parse_list_text(
    text: str, name: str = "<list>", pages: dict[str, str] | None = None, root: str = "README.md"
) -> ParsedList:
    """Parse a list's text; `pages` are the local pages its links may lead to, by path relative to it."""
    with collector_paused():
        return _ListReader(name, pages or {}, root).read(text)


class _ListReader:
    """Walks the token stream once per page, keeping the heading path it is under."""

    def __init__(self, name: str, pages: dict[str, str], root: str):
        self.name = name
        self.label = name
        self.page = ""
        self.root = root
        self.pages = pages
        self.read_pages: set[str] = set()
        self.title = ""
        self.headings: list[Heading] = []
        self.entries: list[Entry] = []
        self.models: list[ModelRow] = []
        self.warnings: list[ParseWarning] = []
        self.skipped: list[Skipped] = []
        self.stack: list[Heading] = []
        self.base: list[Heading] = []  # the headings a sub-page sits under (the README link's place)
        self.skipping = False
        self.heading_keys: set[str] = set()
        self.last_suffix: dict[str, int] = {}
        self.table_header: list[str] = []  # the current table's column names, normalized
        self.table_labels: list[str] = []  # ... and as printed
        self.pending_pages: list[tuple[str, str, list[Heading], int, str]] = []

    def warn(self, line: int, message: str, code: str) -> None:
        self.warnings.append(ParseWarning(self.label, line, message, code))

    def skip(self, line: int, kind: str, text: str) -> None:
        self.skipped.append(Skipped(self.label, line, kind, text.strip()[:200]))

    def read(self, text: str) -> ParsedList:
        self.read_page(text)
        self.read_linked_pages()
        self.check_empty_headings()
        papers = merge_entries(self.entries, self.warn_on)
        self.warnings.sort(key=lambda warning: (warning.file != self.name, warning.file, warning.line))
        return ParsedList(
            self.name,
            self.title,
            self.headings,
            papers,
            self.models,
            self.warnings,
            self.skipped,
            len(self.entries),
            [self.root, *sorted(self.read_pages)],
        )

    def warn_on(self, entry: Entry, message: str, code: str) -> None:
        self.warnings.append(ParseWarning(entry.file or self.name, entry.line, message, code))

    def read_page(self, text: str) -> None:
        """One page's tokens. Markdown nested past markdown-it's limit is silently cut off by it: such
        lines are found (no token covers them), warned about, and read again without their indentation."""
        text = self.without_overlong_lines(text)
        if not text.strip():
            self.warn(1, "the file is empty: expected headings and paper entries", "empty-file")
            return
        lines = _LINE_BREAK.split(text)
        offset = 0
        parser = markdown()
        while True:
            tokens = parser.parse("\n".join(lines))
            cut = first_uncovered_line(tokens, lines)
            self.walk(tokens, offset, cut)
            if cut is None:
                return
            end = next_covered_line(tokens, cut, len(lines))
            self.warn(
                offset + cut + 1,
                f"lines {offset + cut + 1}-{offset + end} are nested deeper than Markdown "
                f"can be read: read again without their indentation",
                "nested-too-deep",
            )
            lines = [re.sub(r"^[\s>]+", "", line) if n < end else line for n, line in enumerate(lines[cut:], cut)]
            offset += cut

    def walk(self, tokens, offset: int, cut: int | None) -> None:
        i = 0
        while i < len(tokens):
            token = tokens[i]
            if cut is not None and token.map and token.map[0] >= cut:
                return
            if token.type == "heading_open":
                self.on_heading(int(token.tag[1]), tokens[i + 1], token.map[0] + 1 + offset)
            elif token.type == "thead_open":
                self.table_header = []
            elif token.type == "tr_open":
                i = self.on_table_row(tokens, i, offset)
            elif token.type == "inline" and token.map and not self.in_table(tokens, i):
                self.on_inline(token, token.map[0] + 1 + offset)
            i += 1

    def without_overlong_lines(self, text: str) -> str:
        """The text with each line over MAX_LINE_CHARS emptied (line numbers kept), each one warned."""
        kept, line, last = [], 1, 0
        for match in _OVERLONG_LINE.finditer(text):
            start = match.start()
            line += text.count("\n", last, start) + text.count("\r", last, start) - text.count("\r\n", last, start)
            self.warn(
                line,
                f"line is {len(match[0]):,} characters long, more than the {MAX_LINE_CHARS:,} a list "
                f"line may have (junk?): skipped",
                "overlong-line",
            )
            kept.append(text[last:start])
            last = match.end()
        return "".join(kept) + text[last:] if kept else text

    def current(self) -> Heading | None:
        return None if self.skipping or not self.stack else self.stack[-1]

    @staticmethod
    def in_table(tokens, i: int) -> bool:
        return tokens[i - 1].type in ("th_open", "td_open")

    def on_heading(self, level: int, inline, line: int) -> None:
        label = "".join(c.content for c in inline.children or [] if c.type in ("text", "code_inline", "html_inline"))
        label = re.sub(r"\s+", " ", label).strip() or inline.content.strip()  # link labels without their URLs
        if level == 1 and not self.title and not self.page:
            self.title = label
            return
        level += self.base[-1].level if self.base else 0
        while len(self.stack) > len(self.base) and self.stack[-1].level >= level:
            self.stack.pop()
        under_base = len(self.stack) == len(self.base)
        if under_base and normalize_title(label) in BOILERPLATE_HEADINGS:
            self.skipping = True
            return
        if self.skipping and under_base and level > (self.base[-1].level if self.base else 0) + 2:
            return  # a sub-heading of a boilerplate section
        self.skipping = False
        self.add_heading(label, level, line)

    def add_heading(self, label: str, level: int, line: int) -> Heading:
        parent = self.stack[-1] if self.stack else None
        key = self.unique_key(f"{parent.key}/{slugify(label)}" if parent else slugify(label))
        heading = Heading(key, label, level, parent.key if parent else None, len(self.headings), line, self.page)
        self.headings.append(heading)
        self.stack.append(heading)
        return heading

    def unique_key(self, key: str) -> str:
        """`key`, else `key-2`, `key-3`, ... for headings that repeat a label under one parent."""
        base, suffix = key, self.last_suffix.get(key, 1)
        while key in self.heading_keys:
            suffix += 1
            key = f"{base}-{suffix}"
        self.last_suffix[base] = suffix
        self.heading_keys.add(key)
        return key

    def on_inline(self, token, line: int) -> None:
        lines = split_lines(token.children or [])
        if not self.current():
            for offset, parts in lines:
                links = [p for p in parts if p[0] == "link"]
                pages = [(p[1], t) for p in links if (t := page_path(p[2], self.page or self.root)) is not None]
                for label, target in pages:  # a table of contents may link the list's pages
                    self.on_page_link(label or target, target, line + offset)
                if links and not pages:
                    self.skip(line + offset, "boilerplate" if self.skipping else "preamble", line_text(parts))
            return
        held: tuple[int, list[tuple]] | None = None  # a bold title alone on its line, waiting for its links
        for offset, parts in lines:
            kinds = {p[0] for p in parts}
            if kinds <= {"strong", "text"} and "strong" in kinds and not line_text(parts, "text").strip():
                if held:
                    self.on_line(held[1], line + held[0])
                held = (offset, parts)
                continue
            if held and "link" in kinds and not self.names_a_title(parts):
                parts = held[1] + parts  # **Title**\ authors\ Venue, [[Paper](url)]: one entry
                offset = held[0]
                held = None
            elif held and "link" not in kinds:
                continue  # the authors' or the date's line of a held title
            elif held:
                self.on_line(held[1], line + held[0])
                held = None
            self.on_line(parts, line + offset)
        if held:
            self.on_line(held[1], line + held[0])

    def names_a_title(self, parts: list[tuple]) -> bool:
        return any(
            p[0] == "link" and not p[3] and read_label(p[1]) is None and p[1].lower() not in GENERIC_LABELS
            for p in parts
        )

    def on_line(self, parts: list[tuple], line: int) -> None:
        """One logical line: a paper entry, a link to a page of the list, a skipped line, or a warning."""
        links = [p for p in parts if p[0] == "link"]
        text = line_text(parts)
        spaced = _SPACED_LINK.search(line_text(parts, "text"))
        if spaced and link_kind(spaced["url"]) == "paper":
            self.warn(
                line,
                f"'[{spaced['title']}] ({spaced['url']})' has a space between title and link: "
                f"read as a link; expected [Title](url)",
                "space-before-link",
            )
            self.add_entry(parts, line, spaced_link=(spaced["title"].strip(), spaced["url"]))
            return
        if not links:
            if (tagged := _TAG.match(text)) and _BRACKETED.search(text[tagged.end() :]):
                self.add_entry(parts, line)  # [Venue'YY] [Title] with no link yet
            elif _TAG.match(text):
                self.warn(
                    line, "entry has a venue tag but no [Title](link): expected [Venue'YY] [Title](url)", "no-title"
                )
            elif [p for p in parts if p[0] == "strong"] and not text.replace(strong_text(parts), "").strip():
                self.skip(line, "sub-label", text)
            return
        kinds = [link_kind(p[2]) for p in links]
        if all(kind == "anchor" for kind in kinds):
            self.skip(line, "anchor", text)
            return
        if _CONTRIBUTOR.search(text) and "paper" not in kinds:
            self.skip(line, "contributor", text)
            return
        for link, kind in zip(links, kinds, strict=True):
            if kind == "local" and (target := page_path(link[2], self.page or self.root)) is not None:
                self.on_page_link(link[1] or target, target, line)
        if all(kind in ("local", "anchor") for kind in kinds):
            if not any(page_path(p[2], self.page or self.root) for p in links):
                self.skip(line, "local-link", text)
            return
        self.add_entry(parts, line)

    def on_page_link(self, label: str, target: str, line: int) -> None:
        if target in self.pages:
            self.pending_pages.append((target, label.strip(), list(self.stack), line, self.page))
            self.skip(line, "page-link", f"[{label}]({target})")
        else:
            self.warn(
                line,
                f"the list links the page {target}, which is not beside it: its papers are not read",
                "page-missing",
            )

    def read_linked_pages(self) -> None:
        """Each linked page once, its headings under a heading named by the link that leads to it."""
        while self.pending_pages:
            target, label, stack, line, from_page = self.pending_pages.pop(0)
            if target in self.read_pages:
                continue
            self.read_pages.add(target)
            self.page, self.label = from_page, from_page or self.name
            self.stack, self.base, self.skipping = list(stack), [], False
            self.add_heading(label, (stack[-1].level if stack else 1) + 1, line)
            self.page, self.label, self.base, self.table_header = target, target, list(self.stack), []
            self.read_page(self.pages[target])
        self.page, self.label, self.stack, self.base = "", self.name, [], []

    def add_entry(
        self,
        parts: list[tuple],
        line: int,
        spaced_link: tuple[str, str] | None = None,
        authors: list[str] | None = None,
        venue_column: str | None = None,
    ) -> None:
        entry = self.entry_from_parts(parts, line, spaced_link)
        if entry is None:
            return
        if authors:
            entry.authors = authors
        if venue_column and not entry.venue:
            entry.venue, entry.tag = venue_column, entry.tag or venue_column
        self.entries.append(entry)

    def entry_from_parts(
        self, parts: list[tuple], line: int, spaced_link: tuple[str, str] | None = None
    ) -> Entry | None:
        """An entry from one logical line: ("text", s) / ("link", label, href, bracketed) / ("strong", s) /
        ("badge", text) / ("note", s)."""
        text = line_text(parts)
        links = [p for p in parts if p[0] == "link" and link_kind(p[2]) != "anchor"]
        if spaced_link:
            links = [("link", spaced_link[0], spaced_link[1], False), *links]
        lead = parts[0][1] if parts and parts[0][0] == "text" else ""
        tag_match = _TAG.match(lead)
        tag = tag_match["tag"].strip() if tag_match else None
        venue, year, month = split_venue_tag(tag) if tag else (None, None, None)
        if tag and year is None and read_label(tag) is None:
            self.warn(line, f"venue tag [{tag}] has no year: expected e.g. [Venue'24] or [Arxiv'24.10]", "tag-no-year")
        title, title_link = self.find_title(parts, links, lead[tag_match.end() :] if tag_match else None, spaced_link)
        paper_link = next((link for link in links if link_kind(link[2]) == "paper"), None)
        if paper_link is None and title_link is not None and link_kind(title_link[2]) == "web" and tag:
            paper_link = title_link  # [Venue'YY] [Title](some page): the tag says it is a paper
        if title is None:
            if links:
                self.warn(
                    line,
                    "line has links but no title: expected [Title](url), **Title** [pdf](url) or Title [label](url)",
                    "no-title",
                )
            return None
        if not title:
            self.warn(line, "entry has an empty title: expected [Venue'YY] [Title](url)", "empty-title")
            return None
        url = paper_link[2].strip() if paper_link else None
        if paper_link is None and links:
            kinds = {link_kind(link[2]) for link in links}
            self.skip(line, "repository" if kinds <= {"code", "local"} else "web-page", text)
            return None
        if url is None:
            self.warn(line, f"entry '{title}' has no link: expected [Title](url)", "no-link")
        elif not url:
            self.warn(line, f"entry '{title}' has an empty link: expected [Title](url)", "empty-link")
            url = None
        labels = [(p[1], True) for p in links if p[3]] + [(p[1], False) for p in parts if p[0] == "badge"]
        for label, bracketed in labels + [(t, False) for t in _BRACKETED.findall(text)]:
            read = read_label(label, bracketed)
            if read and not (venue or year):
                venue, year, month = read
                tag = tag or label.strip("[] ")
        if year is None and (found := trailing_venue(parts)):
            venue, year = venue or found[0], found[1]
        if named_year := _NAME_COMMA_YEAR.fullmatch(title):  # [Switch Transformer, 2021](url)
            title, year = named_year["name"], year or int(named_year["year"])
        entry = Entry(line, self.stack[-1].key, title, url, tag or None, venue, year, month, file=self.page)
        for label, href in [(p[1], p[2]) for p in links]:
            if href == url or not href:
                continue
            if link_kind(href) == "code":
                entry.code_urls.append(href.strip())
            else:
                entry.other_links.append((label.strip(), href.strip()))
        entry.notes = [n for n in (p[1].strip() for p in parts if p[0] == "note") if n]
        tail = "".join(p[1] for p in parts[1:] if p[0] == "text")
        entry.notes += [n.strip() for n in _BRACKETED.findall(tail) if n.strip() and read_label(n) is None]
        return entry

    def find_title(self, parts, links, after_tag: str | None, spaced_link) -> tuple[str | None, tuple | None]:
        """The line's title: bold text, else a link label that is not a tag, else the text before the links."""
        if spaced_link:
            return spaced_link[0], links[0]
        strong = strong_text(parts)
        if strong.strip():
            return clean_title(strong), None
        if after_tag is not None and not [p for p in parts[1:2] if p[0] == "link"]:
            if bracketed := _BRACKETED.search(after_tag):  # [Venue'YY] [Title] with no link
                return bracketed[1].strip(), None
        for link in links:
            label = link[1].strip()
            if not link[3] and label and read_label(label) is None and label.lower() not in GENERIC_LABELS:
                return clean_title(label), link
        before = []
        for part in parts:
            if part[0] == "link":
                break
            if part[0] == "text":
                before.append(part[1])
        lead = "".join(before)
        if after_tag is not None:
            lead = lead[tagged.end() :] if (tagged := _TAG.match(lead)) else lead
        lead = re.sub(r"(?:\s*\[[^\[\]]*\]?)+\s*$", "", lead)  # trailing [Dec 2023] tags and an open [
        lead = lead.strip().rstrip(",:;-–—([").strip()
        if lead:
            return clean_title(lead), None
        return (None, None) if links else ("", None)

    def on_table_row(self, tokens, i: int, offset: int) -> int:
        """Read one table row: a row of a paper table is an entry, a row of a model table a model."""
        line = tokens[i].map[0] + 1 + offset if tokens[i].map else 0
        cells: list[list[tuple]] = []
        header = False
        j = i + 1
        while tokens[j].type != "tr_close":
            if tokens[j].type == "inline":
                cells.append(inline_parts(tokens[j].children or []))
            header = header or tokens[j].type == "th_open"
            j += 1
        if header:
            self.table_labels = [line_text(c, "text", "strong").strip() or line_text(c).strip() for c in cells]
            self.table_header = [normalize_title(label) for label in self.table_labels]
        elif not self.current():
            if any(p[0] == "link" for c in cells for p in c):
                self.skip(line, "boilerplate" if self.skipping else "preamble", " | ".join(line_text(c) for c in cells))
        elif cells:
            if len(MODEL_COLUMNS & set(self.table_header)) >= 2:
                self.add_model(cells, line)
            else:
                self.add_table_paper(cells, line)
        return j

    def add_table_paper(self, cells: list[list[tuple]], line: int) -> None:
        """A paper table row: the cell with the paper link gives title, badges and authors (after <br>);
        columns named Venue / Year / Month fill what the cell does not say."""
        links = [(k, p) for k, cell in enumerate(cells) for p in cell if p[0] == "link"]
        paper = [(k, p) for k, p in links if link_kind(p[2]) == "paper"]
        if not paper:
            if links:
                self.warn(
                    line,
                    "table row has no link to a paper (arXiv, DOI, proceedings, PDF): expected "
                    "[Title](paper url) in a cell",
                    "table-row-no-paper",
                )
            return
        titled = next(
            (
                k
                for k, p in links
                if not p[3] and read_label(p[1]) is None and p[1].strip().lower() not in GENERIC_LABELS
            ),
            paper[0][0],
        )
        parts = [p for p in cells[titled] if p[0] != "break" or not p[1]]
        authors: list[str] = []
        segments = split_segments(cells[titled])
        title_segment = next(
            (
                n
                for n, seg in enumerate(segments)
                if any(p[0] == "link" and p[1] and read_label(p[1]) is None for p in seg)
            ),
            0,
        )
        for segment in segments[title_segment + 1 :]:
            names = line_text(segment, "text").strip()
            if names and not any(p[0] == "link" for p in segment):
                authors = [a.strip() for a in re.split(r",|\band\b", names) if a.strip()]
                break
        parts = [p for seg in segments[: title_segment + 1] for p in seg]
        extra = [p for k, cell in enumerate(cells) if k != titled for p in cell if p[0] in ("link", "badge")]
        columns = {
            self.table_header[k] if k < len(self.table_header) else "": line_text(c).strip()
            for k, c in enumerate(cells)
        }
        venue = next(
            (
                v
                for h, v in columns.items()
                if h in ("venue", "conference", "publication", "published")
                and v
                and v.lower() not in ("none", "-", "n/a")
            ),
            None,
        )
        when = next((v for h, v in columns.items() if h in ("year", "month", "date", "time") and v), "")
        if when and (m := re.fullmatch(r"((?:19|20)\d{2})(?:[.\-/](\d{1,2}))?", when.strip())):
            extra.append(("badge", f"{venue or ''} {m[1]}".strip() if not m[2] else f"{m[1]}-{m[2]}"))
        self.add_entry(parts + extra, line, authors=authors, venue_column=venue)

    def add_model(self, cells: list[list[tuple]], line: int) -> None:
        names = self.table_labels
        first_links = [p for p in cells[0] if p[0] == "link"]
        if not first_links:
            self.warn(
                line,
                "table row has no [Name](link) in its first column: expected a model with a link",
                "model-row-no-link",
            )
            return
        name, url = first_links[0][1].strip(), first_links[0][2]
        report = next((p[2] for p in first_links[1:] if p[1].strip("[] ").lower() in PAPER_LABELS), None)
        values = {
            names[k] if k < len(names) else f"column {k + 1}": line_text(cell).strip()
            for k, cell in enumerate(cells[1:], 1)
        }
        self.models.append(ModelRow(line, self.stack[-1].key, name, url, report, values))

    def check_empty_headings(self) -> None:
        filled: set[str] = set()
        for key in {e.heading for e in self.entries} | {m.heading for m in self.models}:
            parts = key.split("/")  # a heading is filled when it or a heading below it has entries
            filled.update("/".join(parts[:n]) for n in range(1, len(parts) + 1))
        for heading in self.headings:
            if heading.key not in filled:
                self.warnings.append(
                    ParseWarning(
                        heading.file or self.name,
                        heading.line,
                        f"heading '{heading.label}' has no entries yet",
                        "heading-empty",
                    )
                )


GENERIC_LABELS = CODE_LABELS | PAPER_LABELS | {"here", "this", "url", "page", "website", "official", "source"}


def clean_title(title: str) -> str:
    """A printed title without list punctuation around it (a trailing period, quotes, `Title,`)."""
    title = re.sub(r"\s+", " ", title).strip()
    return title.strip(" \"'“”*_").rstrip(".,;:").strip()


def line_text(parts: list[tuple], *kinds: str) -> str:
    kinds = kinds or ("text", "strong", "link", "note")
    return "".join(p[1] for p in parts if p[0] in kinds)


def strong_text(parts: list[tuple]) -> str:
    """The bold title, without an italic note leading it (`**_Router Z-loss_ - ST-MoE: ...**`)."""
    strong = next((p for p in parts if p[0] == "strong"), None)
    if not strong:
        return ""
    text, lead = strong[1], strong[2] if len(strong) > 2 else ""
    if lead and text.startswith(lead):
        text = re.sub(r"^\s*[-–—:]\s*", "", text[len(lead) :])
    return text


def trailing_venue(parts: list[tuple]) -> tuple[str, int] | None:
    """`... [[pdf]](url) ICLR 2022` or `arXiv, [[Paper](url)]`: the venue and year printed beside the links."""
    for part in parts:
        if part[0] in ("text", "note"):
            for chunk in re.split(r"[,;|\]\[()]", part[1]):
                chunk = chunk.strip()
                if m := _PRINTED_VENUE_YEAR.fullmatch(chunk):
                    return m["venue"], int(m["year"])
    return None


def split_segments(parts: list[tuple]) -> list[list[tuple]]:
    """A table cell split at its `<br>`s."""
    segments: list[list[tuple]] = [[]]
    for part in parts:
        if part[0] == "break" and not part[1]:
            segments.append([])
        else:
            segments[-1].append(part)
    return [s for s in segments if s]


def inline_parts(children) -> list[tuple]:
    """Flatten inline tokens into ("text", s), ("strong", s, italic_lead), ("link", label, href, bracketed),
    ("badge", text) for a shields.io badge image, ("break", in_link); `<br>` is a break."""
    parts: list[tuple] = []
    link: list | None = None
    strong: list | None = None
    em_lead: list | None = None
    for child in children:
        kind = child.type
        if kind == "link_open":
            link = [child.attrs.get("href", ""), []]
        elif kind == "link_close" and link is not None:
            label = "".join(link[1]).strip()
            before = parts[-1][1] if parts and parts[-1][0] == "text" else ""
            bracketed = (label.startswith("[") and label.endswith("]")) or before.rstrip().endswith("[")
            parts.append(("link", label.strip("[] ") if bracketed else label, str(link[0]), bracketed))
            link = None
        elif kind == "strong_open" and link is None:
            strong, em_lead = [], None
        elif kind == "strong_close" and strong is not None:
            parts.append(("strong", "".join(strong), "".join(em_lead or [])))
            strong = None
        elif kind == "em_open" and strong is not None and not "".join(strong).strip():
            em_lead = []
        elif kind == "em_close" and em_lead is not None and strong is not None:
            em_lead = list(strong)
        elif kind in ("text", "code_inline"):
            target = link[1] if link is not None else strong if strong is not None else None
            (target.append(child.content) if target is not None else parts.append(("text", child.content)))
        elif kind in ("softbreak", "hardbreak") or (kind == "html_inline" and _BR.match(child.content)):
            if link is not None:
                link[1].append(" ")
            elif strong is not None:
                strong.append(" ")
                continue
            parts.append(("break", link is not None, kind == "hardbreak"))
        elif kind == "image":
            src = str(child.attrs.get("src", ""))
            if badge := _BADGE.search(src):
                parts.append(
                    (
                        "badge",
                        re.sub(
                            r"^(?:Conference|Journal|Venue|Publish)-",
                            "",
                            badge["text"].replace("--", "-").replace("_", " "),
                        ),
                    )
                )
            else:
                parts.append(("image", src))
    return parts


def split_lines(children) -> list[tuple[int, list[tuple]]]:
    """Split a paragraph into logical lines: a line break outside a link starts a new entry."""
    lines: list[tuple[int, list[tuple]]] = []
    current: list[tuple] = []
    offset = start = 0
    for part in inline_parts(children):
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


LEAF_TOKENS = {"inline", "fence", "code_block", "html_block", "hr", "table_open", "heading_open", "paragraph_open"}


def covered_lines(tokens) -> set[int]:
    covered: set[int] = set()
    for token in tokens:
        if token.type in LEAF_TOKENS and token.map:
            covered.update(range(token.map[0], token.map[1]))
    return covered


def first_uncovered_line(tokens, lines: list[str]) -> int | None:
    """The first line with text that no token read (markdown-it stops at its nesting limit without a word)."""
    covered = covered_lines(tokens)
    for number, line in enumerate(lines):
        if number not in covered and not _NOTHING_TO_READ.fullmatch(line) and not _REFERENCE_DEFINITION.match(line):
            return number
    return None


def next_covered_line(tokens, after: int, total: int) -> int:
    covered = covered_lines(tokens)
    return next((n for n in range(after + 1, total) if n in covered), total)


def merge_entries(entries: list[Entry], warn) -> list[ListedPaper]:
    """One ListedPaper per identity, in the order papers first appear. An entry without a link joins
    the paper that another entry of the same title links; titles unlike each other are reported."""
    papers: dict[str, ListedPaper] = {}
    for entry in entries:
        papers.setdefault(entry.key, ListedPaper(entry.key, [])).entries.append(entry)
    by_title = {
        normalize_title(e.title): p.key for p in papers.values() if not p.key.startswith("title:") for e in p.entries
    }
    order = {id(entry): n for n, entry in enumerate(entries)}
    for key in [k for k in papers if k.startswith("title:")]:
        if (home := by_title.get(key.removeprefix("title:"))) is not None:
            papers[home].entries.extend(papers.pop(key).entries)
            papers[home].entries.sort(key=lambda entry: order[id(entry)])
    for paper in papers.values():
        lines = ", ".join(str(e.line) for e in paper.entries)
        if paper.conflicting_titles:
            wrong = next(e for e in paper.entries if e.title in paper.conflicting_titles)
            warn(
                wrong,
                f"one link ({paper.key}) is listed under unrelated titles: '{paper.titles[0]}' and "
                f"'{wrong.title}' (lines {lines}); one of the links points at a different paper than its "
                f"title says",
                "link-title-mismatch",
            )
        if len(paper.titles) > 1:
            warn(
                paper.first,
                f"one paper ({paper.key}) is listed with {len(paper.titles)} different titles "
                f"(lines {lines}): kept as alternatives",
                "title-variants",
            )
    return list(papers.values())
