"""Hostile and broken input that once crashed or poisoned builds (issue 15, items 8, 11, 13, 14, 15)."""

from __future__ import annotations

import copy
import json
import os
import sqlite3

import pytest
from click.testing import CliRunner

from conftest import DEFAULT_LIST, LATEST_LIST
from kg.build import BuildError, ListSource, build, build_lock
from kg.cli import main
from kg.enrich.cache import Cache
from kg.enrich.client import RetryPolicy, S2Client
from kg.enrich.records import MAX_TITLE, identifier_problem, record_problem
from kg.store import KnowledgeGraph
from s2_fixtures import build_records
from s2_server import S2TestServer

FAST = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.02, seed=1)
INJECTED_ARXIV = "2301.00000}, note = {\\input{/etc/hostname}"


@pytest.fixture(scope="module")
def records():
    return build_records()


def latest() -> ListSource:
    return ListSource.from_path(LATEST_LIST, "awesome-moe-inference")


def listed_arxiv_records(records) -> list[dict]:
    """Records of papers the latest list links by arXiv id, with references (found in the list's text)."""
    text = LATEST_LIST.read_text(encoding="utf-8")
    found = [
        r
        for r in records
        if (r.get("externalIds") or {}).get("ArXiv") and r["externalIds"]["ArXiv"] in text and r.get("references")
    ]
    assert len(found) >= 4
    return found


def build_against(server, tmp_path, *, out="out", cache="cache", **options):
    client = S2Client(server.url, policy=FAST, timeout=5.0)
    try:
        return build(latest(), tmp_path / out, cache_dir=tmp_path / cache, client=client, **options)
    finally:
        client.close()


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(main, list(args), env=env)


# --- item 8 and 13: every API record is checked when it arrives ---------------------------------


@pytest.mark.parametrize(
    "kind, value",
    [
        ("ArXiv", INJECTED_ARXIV),
        ("ArXiv", "2301.000"),
        ("DOI", "10.1/x}y"),
        ("DOI", "not a doi"),
        ("ACL", "2023.acl-long.1 }"),
        ("CorpusId", "12a"),
        ("paperId", "ZZ" * 20),
        ("paperId", "abc"),
    ],
)
def test_identifiers_that_break_their_syntax_are_named(kind, value):
    assert identifier_problem(kind, value)


@pytest.mark.parametrize(
    "kind, value",
    [
        ("ArXiv", "2401.14361"),
        ("ArXiv", "hep-th/9901001v2"),
        ("DOI", "10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-O"),
        ("ACL", "2023.acl-long.1"),
        ("CorpusId", 14636783),
        ("paperId", "2d5673caa9e6af3a7b82a43f19ee920992db07ad"),
    ],
)
def test_real_identifiers_pass(kind, value):
    assert identifier_problem(kind, value) is None


def test_real_recorded_records_pass_the_checks(records):
    assert records
    assert [r["paperId"] for r in records if record_problem(r)] == []
    items = [item for r in records for item in (r.get("references") or [])]
    assert items and [item for item in items if record_problem(item, edge_item=True)] == []


def test_malformed_api_records_are_reported_never_cached_and_rebuilds_recover(records, tmp_path):
    """Wrong types, a non-hex paperId, a negative year, an injected arXiv id of an outside work."""
    hostile = copy.deepcopy(records)
    targets = listed_arxiv_records(hostile)
    targets[0]["year"] = -5
    targets[1]["citationCount"] = "many"
    targets[2]["authors"] = [{"authorId": "x'); DROP", "name": "Alice"}]
    outside = targets[3]["references"][0]
    outside["externalIds"] = {**(outside.get("externalIds") or {}), "ArXiv": INJECTED_ARXIV}
    with S2TestServer(hostile) as server:
        result = build_against(server, tmp_path)
    errors = "\n".join(result.manifest["enrichment"]["errors"])
    assert "year is -5" in errors and "citationCount is 'many'" in errors
    assert 'authorId "x\'); DROP" is not a number' in errors
    assert 'authorId "x\'); DROP" is not a number' in errors
    assert "externalIds.ArXiv" in errors and "malformed item" in errors
    bib = (result.out / "references.bib").read_text(encoding="utf-8")
    assert "\\input" not in bib and "/etc/hostname" not in (result.out / "graph.nt").read_text(encoding="utf-8")
    cache = Cache(tmp_path / "cache")
    stored = [row["record"] for row in cache.rows() if row["kind"] == "paper"]
    cache.close()
    assert stored and all(record_problem(record) is None for record in stored)
    assert targets[0]["paperId"] not in {record["paperId"] for record in stored}
    offline = build(latest(), tmp_path / "again", cache_dir=tmp_path / "cache", offline=True)
    assert offline.manifest["counts"]["listed_papers"] == result.manifest["counts"]["listed_papers"]


def test_a_cached_record_that_no_longer_passes_is_dropped_with_a_warning(tmp_path):
    cache_dir = tmp_path / "cache"
    good = {"paperId": "a" * 40, "title": "A Good Paper", "year": 2024}
    cache = Cache(cache_dir)
    cache.write(
        [
            {"kind": "paper", "key": "a" * 40, "record": good, "source": "s", "retrieved": "2026-01-01T00:00:00"},
            {
                "kind": "paper",
                "key": "b" * 40,
                "record": {"paperId": "b" * 40, "year": "2024"},
                "source": "s",
                "retrieved": "2026-01-01T00:00:00",
            },
            {
                "kind": "edges",
                "paper": "a" * 40,
                "direction": "references",
                "complete": True,
                "items": [{"paperId": "nothex", "title": "x"}],
                "source": "s",
                "retrieved": "2026-01-01T00:00:00",
            },
        ]
    )
    assert cache.paper("a" * 40)["record"] == good
    assert cache.paper("b" * 40) is None and cache.edges("a" * 40, "references") is None
    assert len(cache.dropped) == 2 and "year is '2024'" in cache.dropped[0]
    assert cache.stats()["papers"] == 1 and cache.stats()["edge_lists"] == 0  # gone: fetched again next time
    cache.close()


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\u0085"])
def test_line_and_paragraph_separators_in_a_title_do_not_break_the_writer(tmp_path, separator):
    text = DEFAULT_LIST.read_text(encoding="utf-8")
    first = "A Survey on Mixture of Experts"
    assert first in text
    listfile = tmp_path / "list.md"
    listfile.write_text(text.replace(first, f"A Survey on{separator}Mixture of Experts", 1), encoding="utf-8")
    result = build(ListSource.from_path(listfile, "sep"), tmp_path / "out", offline=True, cache_dir=tmp_path / "c")
    titles = {row["t"].value for row in result.graph.query("SELECT ?t WHERE { ?p akg:printedTitle ?t }")}
    assert first in titles  # the parser reads the separator as the white space it is
    assert len(KnowledgeGraph.load(result.out / "graph.nt")) == len(KnowledgeGraph.load(result.out / "graph.ttl"))


def test_a_separator_in_an_api_title_does_not_break_the_writer(records, tmp_path):
    odd = copy.deepcopy(records)
    text = LATEST_LIST.read_text(encoding="utf-8")
    target = next(
        item
        for record in listed_arxiv_records(odd)
        for item in record["references"]
        if item.get("paperId") and item.get("title") and item["title"] not in text
    )  # an outside work
    for item in (item for record in odd for item in record.get("references") or []):
        if item.get("paperId") == target["paperId"]:  # every list that cites it says the same
            item["title"] = "Outside\u2028work\u0085with separators"
    with S2TestServer(odd) as server:
        result = build_against(server, tmp_path)
    nt = (result.out / "graph.nt").read_text(encoding="utf-8")
    assert "Outside\u2028work\u0085with separators" in nt


# --- item 14: size caps ---------------------------------------------------------------------


def test_a_title_past_the_cap_is_refused_with_its_line(tmp_path):
    """(A line past the parser's 10,000 characters is emptied with a warning before it gets here.)"""
    listfile = tmp_path / "list.md"
    listfile.write_text(
        "# Big\n\n## Papers\n\n- [" + "A" * 5_000 + "](https://arxiv.org/abs/2401.04088)\n", encoding="utf-8"
    )
    with pytest.raises(BuildError, match=r"list\.md:5: a title of 5000 characters"):
        build(ListSource.from_path(listfile), tmp_path / "out", offline=True, cache_dir=tmp_path / "c")
    assert not (tmp_path / "out").exists()


def test_an_api_record_past_the_title_cap_is_refused():
    assert "more than the cap" in record_problem({"paperId": "a" * 40, "title": "x" * (MAX_TITLE + 1)})


# --- item 11: builds into one folder never mix --------------------------------------------------


def test_a_second_build_into_a_locked_folder_fails_clearly_and_writes_nothing(tmp_path):
    out = tmp_path / "out"
    with build_lock(out):
        second = run("build", str(DEFAULT_LIST), "--offline", "--out", str(out), "--cache", str(tmp_path / "c"))
    assert second.exit_code == 1
    assert f"pid {os.getpid()}" in second.output and "is writing this folder" in second.output
    assert not out.exists()
    assert (
        run("build", str(DEFAULT_LIST), "--offline", "--out", str(out), "--cache", str(tmp_path / "c")).exit_code == 0
    )


def test_the_swap_exchanges_folders_and_keeps_what_only_the_old_build_had(tmp_path):
    out = tmp_path / "out"
    build(out=out, offline=True, cache_dir=tmp_path / "c")
    (out / "notes.txt").write_text("mine")
    inode = (out / "notes.txt").stat().st_ino
    second = build(latest(), out, offline=True, cache_dir=tmp_path / "c")
    assert json.loads((out / "manifest.json").read_text())["input"]["sha256"] == second.manifest["input"]["sha256"]
    assert (out / "notes.txt").read_text() == "mine" and (out / "notes.txt").stat().st_ino == inode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c", "out"]


def test_the_exchange_swaps_two_folders_in_one_step(tmp_path):
    from kg.build import exchange

    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "graph.nt").write_text("new")
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "graph.nt").write_text("old")
    assert exchange(tmp_path / "new", tmp_path / "old")  # Linux: renameat2(RENAME_EXCHANGE)
    assert (tmp_path / "old" / "graph.nt").read_text() == "new" and (tmp_path / "new" / "graph.nt").read_text() == "old"


def test_a_build_killed_between_the_two_renames_loses_nothing(tmp_path, monkeypatch):
    """Where the atomic exchange is missing the swap is two renames; a kill between them leaves no build
    folder, and the next build puts the old one back instead of deleting it."""
    import kg.build

    out = tmp_path / "out"
    build(out=out, offline=True, cache_dir=tmp_path / "c")
    old = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    real_rename = type(out).rename

    def killed_at_second_rename(self, target):
        if ".staging-" in self.name:
            raise KeyboardInterrupt  # the process dies here
        return real_rename(self, target)

    monkeypatch.setattr(kg.build, "exchange", lambda a, b: False)
    monkeypatch.setattr(type(out), "rename", killed_at_second_rename)
    with pytest.raises(KeyboardInterrupt):
        build(latest(), out, offline=True, cache_dir=tmp_path / "c")
    monkeypatch.undo()
    assert not out.exists() and any(p.name.startswith(".out.old-") for p in tmp_path.iterdir())
    with pytest.raises(BuildError):
        build(latest(), out, offline=True, strict=True, cache_dir=tmp_path / "c", max_papers=1)
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c", "out"]


def paper_row(key: str, record: dict) -> dict:
    return {"kind": "paper", "key": key, "record": record, "source": "s", "retrieved": "2026-01-01T00:00:00"}


def test_a_cached_row_that_passed_is_read_without_checking_its_records_again(tmp_path, monkeypatch):
    cache = Cache(tmp_path / "c")
    cache.write([paper_row("a" * 40, {"paperId": "a" * 40, "year": 2024})])
    edges = [{"paperId": f"{n:040x}", "title": "t"} for n in range(3)]
    cache.write(
        [
            {
                **paper_row("", {}),
                "kind": "edges",
                "paper": "a" * 40,
                "direction": "citations",
                "items": edges,
                "complete": True,
            }
        ]
    )
    cache.close()
    monkeypatch.setattr("kg.enrich.cache.record_problem", lambda *args, **kwargs: pytest.fail("checked again"))
    cache = Cache(tmp_path / "c")
    assert cache.paper("a" * 40)["record"]["year"] == 2024 and cache.edges("a" * 40, "citations")["items"] == edges
    cache.close()


def test_a_cached_row_edited_after_it_passed_is_checked_again(tmp_path):
    cache = Cache(tmp_path / "c")
    cache.write([paper_row(key, {"paperId": key, "year": 2024}) for key in ("a" * 40, "b" * 40)])
    cache.db.execute(
        "UPDATE papers SET record = ? WHERE key = ?", (json.dumps({"paperId": "b" * 40, "year": -1}), "b" * 40)
    )
    cache.close()
    cache = Cache(tmp_path / "c")
    assert cache.papers(["a" * 40, "b" * 40]).keys() == {"a" * 40}
    assert len(cache.dropped) == 1 and f"paper {'b' * 40}: year is -1" in cache.dropped[0]
    cache.close()


def test_a_cache_written_before_rows_kept_their_digest_is_read_and_checked_once(tmp_path):
    (tmp_path / "c").mkdir()
    old = sqlite3.connect(tmp_path / "c" / "s2-cache.sqlite3")
    old.executescript(
        "CREATE TABLE papers (key TEXT PRIMARY KEY, record TEXT NOT NULL, source TEXT NOT NULL,"
        " retrieved TEXT NOT NULL, fields TEXT);"
        "CREATE TABLE edges (paper TEXT NOT NULL, direction TEXT NOT NULL, items TEXT NOT NULL,"
        " complete INTEGER NOT NULL, source TEXT NOT NULL, retrieved TEXT NOT NULL, PRIMARY KEY (paper, direction));"
    )
    for key, year in (("a" * 40, 2024), ("b" * 40, -1)):
        old.execute(
            "INSERT INTO papers VALUES (?, ?, 's', '2026-01-01T00:00:00', NULL)",
            (key, json.dumps({"paperId": key, "year": year})),
        )
    old.commit()
    old.close()
    cache = Cache(tmp_path / "c")
    assert cache.papers(["a" * 40, "b" * 40]).keys() == {"a" * 40} and len(cache.dropped) == 1
    assert cache.db.execute("SELECT key FROM papers_checked").fetchall() == [("a" * 40,)]
    columns = [row[1] for row in cache.db.execute("PRAGMA table_info(papers)")]
    assert columns == ["key", "record", "source", "retrieved", "fields"]  # as before: older versions still open it
    cache.close()


# --- item 15: clear errors instead of tracebacks --------------------------------------------------


def corrupt_truncated(path):
    cache = Cache(path.parent)
    cache.write(
        {
            "kind": "paper",
            "key": f"{n:040x}",
            "record": {"paperId": f"{n:040x}", "title": "t" * 900},
            "source": "s",
            "retrieved": "2026-01-01T00:00:00",
        }
        for n in range(300)
    )
    cache.close()
    data = path.read_bytes()
    assert len(data) > 100_000
    path.write_bytes(data[: len(data) // 2])


CORRUPTIONS = {
    "truncated": corrupt_truncated,
    "random bytes": lambda path: path.write_bytes(os.urandom(8192)),
    "wrong schema": lambda path: sqlite3.connect(path).executescript("CREATE TABLE papers (id INTEGER, x BLOB);"),
    "a directory": lambda path: path.mkdir(),
}


@pytest.mark.parametrize("corruption", list(CORRUPTIONS))
def test_a_corrupt_cache_is_named_the_previous_build_kept_and_reset_recovers(tmp_path, corruption):
    out, cache = tmp_path / "out", tmp_path / "cache"
    assert run("build", "--offline", "--out", str(out), "--cache", str(tmp_path / "good")).exit_code == 0
    before = (out / "graph.nt").read_bytes()
    cache.mkdir()
    CORRUPTIONS[corruption](cache / "s2-cache.sqlite3")
    broken = run("build", "--offline", "--out", str(out), "--cache", str(cache))
    assert broken.exit_code == 1 and "Traceback" not in broken.output and broken.exception.__class__ is SystemExit
    assert "s2-cache.sqlite3: the enrichment cache cannot be read" in broken.output
    assert "--cache DIR" in broken.output and "kg cache reset" in broken.output
    assert (out / "graph.nt").read_bytes() == before
    assert run("cache", "stats", "--cache", str(cache)).exit_code == 1
    reset = run("cache", "reset", "--cache", str(cache))
    assert reset.exit_code == 0 and "s2-cache.sqlite3" in reset.output
    assert run("build", "--offline", "--out", str(out), "--cache", str(cache)).exit_code == 0


@pytest.mark.parametrize(
    "command",
    [
        ["query", "{target}", "most-cited"],
        ["export", "{target}", "--format", "bibtex"],
        ["clusters", "{target}"],
        ["view", "{target}", "--no-open"],
        ["suggest", "{target}"],
    ],
)
def test_commands_given_a_file_that_is_not_rdf_say_so(tmp_path, command):
    target = tmp_path / "notes.ttl"
    target.write_text("this is not turtle {", encoding="utf-8")
    result = run(*[part.format(target=target) for part in command])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert f"{target}" in result.output and "not an RDF graph" in result.output


def test_an_out_folder_that_cannot_be_created_is_a_clear_error(tmp_path):
    result = run("build", "--offline", "--out", "/proc/nope/x", "--cache", str(tmp_path / "c"))
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "/proc/nope/x: cannot create the build folder there" in result.output


def test_cache_export_to_a_bad_path_is_a_clear_error(tmp_path):
    result = run("cache", "export", "/proc/nope/cache.jsonl", "--cache", str(tmp_path / "c"))
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "/proc/nope/cache.jsonl: cannot write" in result.output


# --- terminal output: outside text is shown, never obeyed --------------------------------------


def test_a_title_with_rich_markup_is_printed_as_text_by_kg_query(tmp_path):
    text = DEFAULT_LIST.read_text(encoding="utf-8")
    title = "A Survey on Mixture of Experts"
    assert title in text
    listfile = tmp_path / "list.md"
    listfile.write_text(text.replace(title, "A Survey [/red] on [bold]Mixture[/] of Experts", 1), encoding="utf-8")
    out = tmp_path / "out"
    assert run("build", str(listfile), "--offline", "--out", str(out), "--cache", str(tmp_path / "c")).exit_code == 0
    result = run("query", str(out), "SELECT ?t WHERE { ?p akg:printedTitle ?t FILTER(CONTAINS(?t, 'Survey')) }")
    assert result.exit_code == 0, result.output
    assert "A Survey [/red] on [bold]Mixture[/] of Experts" in result.output


def test_escape_codes_in_list_text_are_shown_escaped_in_warnings(tmp_path):
    listfile = tmp_path / "list.md"
    listfile.write_text("# Codes\n\n## Papers\n\n## Empty \x1b]0;pwned\x07 heading \x1b[2J\n", encoding="utf-8")
    result = run("build", str(listfile), "--offline", "--out", str(tmp_path / "out"), "--cache", str(tmp_path / "c"))
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "\\x1b]0;pwned\\x07" in result.output and "\\x1b[2J" in result.output


def test_tables_take_the_terminal_width(default_build, monkeypatch):
    sparql = "SELECT ?t WHERE { ?p akg:printedTitle ?t } ORDER BY DESC(STRLEN(?t)) LIMIT 3"
    monkeypatch.setenv("COLUMNS", "60")
    narrow = run("query", str(default_build.out), sparql).output.splitlines()
    monkeypatch.setenv("COLUMNS", "250")
    wide = run("query", str(default_build.out), sparql).output.splitlines()
    assert max(map(len, narrow)) <= 60 < max(map(len, wide)) and len(narrow) > len(wide)


def test_classify_exits_non_zero_when_the_paper_is_not_found(default_build, tmp_path):
    result = run("classify", str(default_build.out), "arXiv:2401.14361", "--offline", "--cache", str(tmp_path / "c"))
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "Error: arXiv:2401.14361: not in the build, the cache or the snapshot (--offline)" in result.stderr


def test_plain_messages_carry_no_markdown_escapes(default_build, tmp_path):
    """The reason a paper was not found ([Errno -2] from the network) is plain text on stderr."""
    result = run(
        "classify",
        str(default_build.out),
        "arXiv:2401.14361",
        "--cache",
        str(tmp_path / "c"),
        env={"S2_API_URL": "http://127.0.0.1:9/graph/v1"},
    )
    assert result.exit_code == 1 and "Errno" in result.stderr and "\\[" not in result.stderr


def test_view_without_a_browser_prints_the_page_path(default_build, tmp_path, monkeypatch):
    import webbrowser

    monkeypatch.setattr(webbrowser, "open", lambda url: False)  # what it answers where no browser is found
    page = tmp_path / "page.html"
    result = run("view", str(default_build.out), "--out", str(page))
    assert result.exit_code == 0 and page.is_file()
    assert f"no browser found here: open {page.resolve()} yourself" in result.output


def test_classify_on_a_corrupt_cache_is_a_clear_error(default_build, tmp_path):
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "s2-cache.sqlite3").write_bytes(b"not a database" * 1000)
    result = run("classify", str(default_build.out), "arXiv:2401.14361", "--offline", "--cache", str(tmp_path / "c"))
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "the enrichment cache cannot be read" in result.stderr and "kg cache reset" in result.stderr


def test_cache_export_leaves_out_rows_that_no_longer_pass_and_says_so(tmp_path):
    cache = Cache(tmp_path / "c")
    cache.write(
        [
            {
                "kind": "paper",
                "key": key,
                "record": {"paperId": key, "year": year},
                "source": "s",
                "retrieved": "2026-01-01T00:00:00",
            }
            for key, year in (("a" * 40, 2024), ("b" * 40, -1))
        ]
    )
    cache.close()
    result = run("cache", "export", str(tmp_path / "rows.jsonl"), "--cache", str(tmp_path / "c"))
    assert result.exit_code == 0 and "exported 1 records" in result.stdout
    assert (
        f"warning: dropped a malformed cached record, to be fetched again: paper {'b' * 40}: year is -1"
        in result.stderr
    )
    assert [json.loads(line)["key"] for line in (tmp_path / "rows.jsonl").read_text().splitlines()] == ["a" * 40]
