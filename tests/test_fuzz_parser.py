"""The list parser on generated Markdown: it never crashes or hangs, and every problem it
finds is a ParseWarning on a line that exists in the file.

CI runs a short, repeatable budget. For a longer local run:
    HYPOTHESIS_PROFILE=long pytest tests/test_fuzz_parser.py
or `python bench/fuzz_long.py`, which runs the same properties for longer and reports.
"""

from __future__ import annotations

import os
import re
import time
from datetime import timedelta
from itertools import takewhile

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import LATEST_LIST
from kg.build import ListSource
from kg.graphmap import list_quads
from kg.listparse import (
    _PLAIN_WEB_LINK,
    GENERIC_LABELS,
    MAX_LINE_CHARS,
    markdown,
    parse_list_file,
    parse_list_text,
    split_venue_tag,
)
from kg.store import KnowledgeGraph

PROFILES = {
    # Repeatable and short: the same examples every CI run, nothing written to .hypothesis/.
    "ci": settings(
        max_examples=60,
        deadline=timedelta(seconds=5),
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    ),
    # Random and long, with the example database, for local runs.
    "long": settings(
        max_examples=3000,
        deadline=timedelta(seconds=10),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    ),
}
PROFILE_NAME = os.environ.get("HYPOTHESIS_PROFILE", "ci")
if PROFILE_NAME not in PROFILES:
    raise ValueError(f"HYPOTHESIS_PROFILE={PROFILE_NAME!r}: expected one of {sorted(PROFILES)}")
FUZZ = PROFILES[PROFILE_NAME]

# --- Markdown made of the fragments real lists are written in, and of what breaks them -------------

ODD = [
    "\u2028",
    "\u2029",
    "\x85",
    "\x0b",
    "\x0c",
    "\x1c",
    "\u200b",
    "\u202e",
    "\ufeff",
    "\ufffd",
    "\x00",
    "\t",
    "ｘ",
    "’",
    "`",
    "\\",
    "[",
    "]",
    "(",
    ")",
    "|",
    "*",
    "**",
    "_",
    "#",
    "<",
    ">",
    "&amp;",
    "&#0;",
    "é",
    "中文",
    "🙂",
    "\u0301",
    "İ",
    "ß",
]
odd_text = st.lists(st.one_of(st.text(max_size=12), st.sampled_from(ODD)), max_size=6).map("".join)
word = st.text(alphabet=st.characters(codec="utf-8", categories=("L", "N")), min_size=1, max_size=10)
plain_title = st.lists(word, min_size=1, max_size=8).map(" ".join)
# A title a clean list prints: a link label such as "URL" or "pdf" is never taken for a title (it warns).
entry_title = plain_title.filter(lambda text: text.lower() not in GENERIC_LABELS)
title = st.one_of(plain_title, odd_text)
url = st.one_of(
    st.builds(
        "https://arxiv.org/abs/{}.{:05d}".format, st.sampled_from(["2401", "2312", "1701"]), st.integers(0, 99999)
    ),
    st.builds("https://doi.org/10.{}/{}".format, st.integers(1000, 99999), word),
    st.builds("https://openreview.net/forum?id={}".format, word),
    st.builds("https://aclanthology.org/2024.acl-long.{}.pdf".format, st.integers(1, 999)),
    st.builds("https://proceedings.mlr.press/v{}/{}.html".format, st.integers(1, 300), word),
    st.builds("https://ieeexplore.ieee.org/document/{}".format, st.integers(1, 10**9)),
    st.builds("https://github.com/{}/{}".format, word, word),
    st.sampled_from(
        [
            "",
            "#",
            "/relative/path",
            "mailto:a@b",
            "http://[::1",
            "http://%zz",
            "javascript:x",
            "https://arxiv.org/abs/",
            "https://doi.org/10.1/<>{}",
            "data:text/html,x",
        ]
    ),
    odd_text,
)
venue_tag = st.one_of(
    st.builds("{}'{}".format, st.sampled_from(["Arxiv", "ICML", "SoCC ", "ISSCC", ""]), st.integers(0, 2100)),
    st.builds("{}’{}.{}".format, st.sampled_from(["Arxiv", "NeurIPS"]), st.integers(0, 99), st.integers(0, 99)),
    odd_text,
)
entry = st.builds(
    "[{}] [{}]({}){}".format,
    venue_tag,
    title,
    url,
    st.one_of(st.just(""), st.builds(" [[Code]({})]".format, url), odd_text),
)
bold_entry = st.builds("- **{}** [[Paper]({})] [[Code]({})]".format, title, url, url)
heading = st.builds("{} {}".format, st.integers(1, 8).map("#".__mul__), title)
setext = st.builds("{}\n{}".format, title, st.sampled_from(["===", "---"]))
table = st.builds(
    "| Model | Experts |\n|---|---|\n| [{}]({}) [[Tech Report]({})] | {} |".format, title, url, url, odd_text
)
table_row = st.builds("| [{}]({}) | {} |".format, title, url, odd_text)
fence = st.sampled_from(["```", "~~~", "```python", "    indented code"])
long_line = st.builds(
    str.__mul__,
    st.sampled_from(["[", "a ", "*a **", "[Arxiv'24] ", " ", "#", "[a]("]),
    st.integers(100, 3 * MAX_LINE_CHARS),
)
fragment = st.one_of(entry, bold_entry, heading, setext, table, table_row, fence, odd_text, long_line)
prefix = st.sampled_from(["", "", "", "> ", "- ", "  ", "1. ", "> - ", "    ", "\t", "> > > > "])
line = st.builds("{}{}".format, prefix, fragment)
newline = st.sampled_from(["\n", "\n", "\r\n", "\r", "\n\n"])


@st.composite
def documents(draw) -> str:
    """A list-like document: a title, then fragments joined by any kind of line break."""
    lines = draw(st.lists(line, max_size=30))
    text = draw(st.sampled_from(["", "# Awesome list\n"]))
    for fragment_line in lines:
        text += fragment_line + draw(newline)
    return text


def line_count(text: str) -> int:
    """Lines as Markdown counts them: \\r\\n, \\r and \\n end a line, nothing else does."""
    return text.replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1


def check_parsed(parsed, text: str, name: str) -> None:
    """What must hold for any input: warnings and items on real lines, headings a proper tree."""
    lines = line_count(text)
    for warning in parsed.warnings:
        assert warning.file == name and 1 <= warning.line <= lines, (warning, lines)
        assert warning.message.strip()
    for paper in parsed.papers:
        assert paper.entries and all(1 <= e.line <= lines for e in paper.entries)
        assert all(e.title.strip() for e in paper.entries)
    assert all(1 <= m.line <= lines for m in parsed.models)
    keys = [h.key for h in parsed.headings]
    assert len(keys) == len(set(keys)), "two headings share a key"
    seen: dict[str, int] = {}
    for heading in parsed.headings:
        assert 1 <= heading.line <= lines
        if heading.parent is not None:
            assert heading.parent in seen and seen[heading.parent] < heading.level
        seen[heading.key] = heading.level


@FUZZ
@given(documents())
def test_any_markdown_parses_with_warnings_on_real_lines(text):
    parsed = parse_list_text(text, "fuzz.md")
    check_parsed(parsed, text, "fuzz.md")


junk = st.one_of(
    st.binary(max_size=40),
    st.sampled_from(
        [
            b"\x00",
            b"\xff\xfe",
            b"\xc3",
            b"\xe2\x80",
            b"\xed\xa0\x80",
            b"\x00" * 300,
            b"\r",
            b"\n",
            b"\r\n",
            b"\xef\xbb\xbf",
        ]
    ),
)


@FUZZ
@given(documents(), st.lists(st.tuples(st.integers(0, 10**6), junk), max_size=8))
def test_undecodable_bytes_are_warned_on_their_own_line(text, insertions):
    data = text.encode("utf-8")
    for position, bytes_ in insertions:
        at = position % (len(data) + 1)
        data = data[:at] + bytes_ + data[at:]
    parsed = ListSource.from_bytes(data, "fuzz.md", "fuzz").parse()
    decoded = data.decode("utf-8", errors="replace")
    check_parsed(parsed, decoded, "fuzz.md")
    junk_lines = {
        number for number, raw in enumerate(re.split(rb"\r\n|\r|\n", data), 1) if b"\x00" in raw or not is_utf8(raw)
    }
    warned = {w.line for w in parsed.warnings if "not UTF-8" in w.message}
    assert junk_lines <= warned


def is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@st.composite
def clean_lists(draw) -> tuple[str, list[tuple], list[int]]:
    """A list of headings and entries, some broken in a known way. -> (text, entries as
    (heading label, title, url, (venue, year, month)), lines that must be warned about)."""
    lines, expected, broken, headings = ["# A list"], [], [], []
    for h, label in enumerate(draw(st.lists(plain_title, min_size=1, max_size=5))):
        level = draw(st.integers(2, 4))
        lines += ["", f"{'#' * level} {label} {h}", ""]
        heading_line, entries_before = len(lines) - 1, len(expected)
        for n, name in enumerate(draw(st.lists(entry_title, min_size=1, max_size=5))):
            venue, year = draw(st.sampled_from(["Arxiv", "ICML", "OSDI"])), draw(st.integers(0, 99))
            written = draw(st.sampled_from([f"{year:02d}", f"{2000 + year}"]))
            month = draw(st.one_of(st.none(), st.integers(1, 12)))
            tag, link = f"{venue}'{written}{'' if month is None else f'.{month}'}", f"https://example.org/{h}/{n}"
            fault = draw(st.sampled_from([None, None, None, "no year", "no link", "no title"]))
            if fault == "no year":
                tag, (venue, year, month) = venue, (venue, None, None)
            elif fault == "no link":
                name, link = f"{name} {h}-{n}", None
            lines.append(
                {"no title": f"[{tag}] just prose", "no link": f"[{tag}] [{name}]"}.get(
                    fault, f"[{tag}] [{name}]({link})"
                )
            )
            if fault:
                broken.append(len(lines))
            if fault != "no title":
                expected.append((f"{label} {h}", name, link, (venue, None if year is None else 2000 + year, month)))
            lines.append("")
        headings.append((heading_line, level, len(expected) - entries_before))
    for n, (line, level, entries) in enumerate(headings):  # empty: no entries in it nor below it
        below = takewhile(lambda deeper, top=level: deeper[1] > top, headings[n + 1 :])
        if not entries and not any(count for _, _, count in below):
            broken.append(line)
    return "\n".join(lines), expected, sorted(broken)


@FUZZ
@given(clean_lists())
def test_entries_are_found_as_written_and_each_broken_one_is_warned_on_its_line(case):
    text, expected, broken = case
    parsed = parse_list_text(text, "clean.md")
    labels = {h.key: h.label for h in parsed.headings}
    found = [(labels[e.heading], e.title, e.url, (e.venue, e.year, e.month)) for p in parsed.papers for e in p.entries]
    assert found == expected
    assert sorted(w.line for w in parsed.warnings) == broken


@settings(FUZZ, max_examples=min(FUZZ.max_examples, 25))
@given(documents())
def test_any_parsed_list_maps_to_a_loadable_graph(text):
    parsed = parse_list_text(text, "fuzz.md")
    graph = KnowledgeGraph(list_quads(parsed, "fuzz"))
    assert len(graph) >= len(parsed.papers)


# --- Inputs that used to take minutes: each must parse in seconds ----------------------------------

PATHOLOGICAL = {  # built when the test runs, not when it is collected
    "3,000 sibling headings with one label": lambda: "# T\n" + "## Same\n[A'24] [X](https://a.org/x)\n" * 3000,
    "20,000 empty headings": lambda: "# T\n" + "".join(f"## H{i}\n### S{i}\n" for i in range(10_000)),
    "venue tags padded with spaces": lambda: "# T\n## A\n" + f"[Arxiv{' ' * 9000}x] [T](https://a.org)\n\n" * 200,
    "headings nested in 40 quotes": lambda: (
        "# T\n" + "".join(f"{'> ' * 40}{'#' * (1 + i % 6)} H\n" for i in range(2000))
    ),
    "list items nested 200 deep": lambda: (
        "# T\n## A\n" + "".join(f"{'  ' * i}- [X{i}](https://a.org/{i})\n" for i in range(200))
    ),
    "a 20 MB line of brackets": lambda: "# T\n## A\n" + "[" * 20_000_000 + "\n[A'24] [X](https://a.org/x)\n",
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", PATHOLOGICAL)
def test_pathological_input_parses_in_seconds(name):
    text = PATHOLOGICAL[name]()
    started = time.perf_counter()
    parsed = parse_list_text(text, "slow.md")
    assert time.perf_counter() - started < 10, f"{name}: parsing took too long"
    check_parsed(parsed, text, "slow.md")


def test_overlong_line_is_skipped_with_a_warning_and_the_rest_is_read():
    text = (
        f"# T\n## A\n[Arxiv'24] [{'x' * (MAX_LINE_CHARS + 1)}](https://a.org/long)\n\n"
        f"[Arxiv'24] [Short](https://a.org/short)\n"
    )
    parsed = parse_list_text(text, "long.md")
    assert [p.first.title for p in parsed.papers] == ["Short"]
    assert [(w.line, "characters long" in w.message) for w in parsed.warnings] == [(3, True)]


def test_line_numbers_count_only_real_line_breaks():
    """U+2028, form feed and friends are not line breaks in Markdown: warnings must not drift."""
    data = "# T\n## A\nprose with \u2028 and \x0c inside\n[Arxiv] [Entry \x00 here](https://a.org)\n".encode()
    parsed = ListSource.from_bytes(data, "odd.md", "odd").parse()
    assert sorted({w.line for w in parsed.warnings}) == [4]


@pytest.mark.timeout(120)
def test_a_50_mb_file_parses_in_bounded_time(tmp_path):
    """Junk around a real list: the real entries all come through, the junk only as warnings."""
    real = LATEST_LIST.read_bytes()
    odd_lines = "".join(
        f"{'#' * (n % 8)} [{ODD[n % len(ODD)]}'{n % 100}] [{ODD[n * 7 % len(ODD)]} {n}]"
        f"(https://a.org/{n}){ODD[n * 3 % len(ODD)]}\n"
        for n in range(5_000)
    )
    chunks = [real, b"\n\n## Junk\n", odd_lines.encode(), b"\x00" * 2**20, b"\n", b"\xff\xfe" * 2**19, b"\n"]
    while sum(map(len, chunks)) < 50 * 2**20:
        chunks += [b"[" * 8 * 2**20, b"\n", "é🙂\u2028".encode() * 2**20, b"\n", b"*a **" * 2**20, b"\r\n"]
    chunks.append(b"\n## After the junk\n[Arxiv'25] [After the junk](https://arxiv.org/abs/2501.00001)\n")
    path = tmp_path / "huge.md"
    path.write_bytes(b"".join(chunks))
    started = time.perf_counter()
    parsed = parse_list_file(path)
    elapsed = time.perf_counter() - started
    assert elapsed < 60, f"parsing 50 MB took {elapsed:.0f} s"
    text = path.read_bytes().decode("utf-8", errors="replace")
    check_parsed(parsed, text, str(path))
    keys = {p.key for p in parsed.papers}
    assert {p.key for p in parse_list_file(LATEST_LIST).papers} | {"arxiv:2501.00001"} <= keys
    text = text.replace("\x00", "")
    overlong = {n for n, line in enumerate(re.split(r"\r\n|\r|\n", text), 1) if len(line) > MAX_LINE_CHARS}
    assert {w.line for w in parsed.warnings if "characters long" in w.message} == overlong
    assert len(overlong) >= 7 and min(overlong) > real.count(b"\n")


def test_venue_tags_split_alike_however_they_are_spaced():
    assert split_venue_tag("Arxiv'24.10") == split_venue_tag("  Arxiv  '  24.10 ") == ("Arxiv", 2024, 10)
    assert split_venue_tag("Arxiv" + " " * 50_000 + "x") == ("Arxiv" + " " * 50_000 + "x", None, None)


@settings(FUZZ, max_examples=max(FUZZ.max_examples, 500))
@given(st.from_regex(_PLAIN_WEB_LINK, fullmatch=True))
def test_a_plain_web_link_is_one_markdown_it_would_leave_as_it_is(url):
    """The parser skips markdown-it's URL normalization for plain links only where it changes nothing."""
    from markdown_it.common.normalize_url import normalizeLink

    assert normalizeLink(url) == url
    assert markdown().parseInline(f"[x]({url})")[0].children[0].attrs["href"] == url


def test_links_that_markdown_it_escapes_are_still_escaped():
    for url, href in [
        ("https://a.org/a b", "https://a.org/a%20b"),
        ("https://a.org/é", "https://a.org/%C3%A9"),
        ('https://a.org/x?q="y"', "https://a.org/x?q=%22y%22"),
        ("https://bücher.example/", "https://xn--bcher-kva.example/"),
    ]:
        children = markdown().parseInline(f"[x](<{url}>)")[0].children
        assert children[0].attrs["href"] == href
