"""Exports of the related-work clusters: the BibTeX parses back, every LaTeX citation resolves (and
compiles when a TeX engine is present), CSL-JSON, GraphML/GEXF, Markdown and CSV carry the clusters."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess

import bibtexparser
import pytest
from bibtexparser import middlewares
from click.testing import CliRunner

from conftest import DATA
from kg.cli import main
from kg.clusters import UNCONNECTED
from kg.exports import (
    FORMATS,
    Reference,
    assign_keys,
    export,
    latex,
    related_work,
    to_bibtex,
    to_csl_json,
    to_latex,
    to_markdown,
)
from kg.store import KnowledgeGraph
from test_clusters import planted_graph

CITE = re.compile(r"\\cite\{([^}]*)\}")
ODD_TITLE = "Sub-1-Bit {MoE}: 50% & $x_1$ #2 ~ ^ \\ über Ødegård’s “GPU” – fast_path"


def parse_bibtex(text: str):
    library = bibtexparser.parse_string(text, append_middleware=[middlewares.LatexDecodingMiddleware()])
    assert not library.failed_blocks, [block.error for block in library.failed_blocks]
    return library


def cited_keys(tex: str) -> set[str]:
    return {key.strip() for group in CITE.findall(tex) for key in group.split(",")}


@pytest.fixture(scope="module")
def default_rw(default_graph):
    return related_work(default_graph)


@pytest.fixture(scope="module")
def odd_graph():
    """The planted graph with a title full of LaTeX specials and accented authors."""
    graph, truth = planted_graph("direct", "cocitation", "coupling")
    paper = sorted(truth)[0]
    retitle(graph, paper, ODD_TITLE)
    return graph


def retitle(graph: KnowledgeGraph, paper: str, title: str) -> None:
    """Semantic Scholar gives the paper another title: its akg:sourceTitle and so its dcterms:title."""
    from pyoxigraph import Literal, NamedNode, Quad

    from kg.vocab import S2_GRAPH, akg, dcterms

    for prop in (akg.sourceTitle, dcterms.title):
        for old in list(graph.store.quads_for_pattern(NamedNode(paper), prop, None, S2_GRAPH)):
            graph.store.remove(old)
        graph.store.add(Quad(NamedNode(paper), prop, Literal(title), S2_GRAPH))


def test_build_writes_the_four_files_from_the_graph(default_build):
    for name in ("clusters.md", "related-work.tex", "references.bib", "clusters.json"):
        assert (default_build.out / name) in default_build.files
    reloaded = KnowledgeGraph.load(default_build.out)
    assert (default_build.out / "clusters.json").read_text() == export(reloaded, "json")
    assert (default_build.out / "references.bib").read_text() == export(reloaded, "bibtex")


@pytest.mark.parametrize("which", ["default", "odd"])
def test_bibtex_parses_back_and_every_latex_citation_is_in_it(which, default_graph, odd_graph):
    rw = related_work(default_graph if which == "default" else odd_graph)
    library = parse_bibtex(to_bibtex(rw))
    keys = [entry.key for entry in library.entries]
    assert len(keys) == len(set(keys))
    cited = cited_keys(to_latex(rw))
    assert cited <= set(keys)
    outside = {iri for c in rw.clustering.clusters for iri, _ in c.builds_on}
    assert len(keys) == len(rw.clustering.data.papers) + len(outside)
    assert {rw.works[iri].key for iri in rw.clustering.data.papers} <= cited  # every listed paper is cited


def test_special_characters_survive_a_round_trip_through_bibtex(odd_graph):
    rw = related_work(odd_graph)
    library = parse_bibtex(to_bibtex(rw))
    odd = next(e for e in library.entries if "Sub-1-Bit" in e.fields_dict["title"].value)
    decoded = odd.fields_dict["title"].value.replace("{", "").replace("}", "")
    assert decoded == ODD_TITLE.replace("{", "").replace("}", "").replace("^", "\u02c6")
    authors = {e.fields_dict["author"].value for e in library.entries if "author" in e.fields_dict}
    assert any("Müller, José" in a for a in authors) and any("van der Berg, Ana" in a for a in authors)
    raw = to_bibtex(rw)
    assert r"M{\"u}ller" in raw and r"50\% \& \$x\_1\$ \#2" in raw


def test_keys_are_human_and_follow_the_author_year_word_pattern(default_rw):
    works = {w.title: w for w in default_rw.cited()}
    fiddler = next(w for title, w in works.items() if title.startswith("Fiddler"))
    assert fiddler.key == "kamahori2025fiddler"  # published at ICLR 2025 (on arXiv since 2024)
    for work in default_rw.cited():
        family = work.authors[0].split()[-1].lower() if work.authors else ""
        assert re.fullmatch(rf"{re.escape(family)}[a-z0-9]*{work.year}[a-z0-9]+", work.key), work.key


def test_clashing_keys_get_letters_in_a_stable_order():
    same = {
        "listed": Reference("iri:z", "Fiddler: fast", listed=True, authors=["Keisuke Kamahori"], date="2024-02-10"),
        "older": Reference("iri:b", "Fiddler revisited", authors=["Kei Kamahori"], date="2024-01-01"),
        "newer": Reference("iri:a", "Fiddler again", authors=["K. Kamahori"], date="2024-05-01"),
        "other": Reference("iri:c", "Fiddlerb", authors=["Ann Kamahori"], date="2024"),
    }
    assign_keys(same)
    assert {name: work.key for name, work in same.items()} == {
        "listed": "kamahori2024fiddler",
        "older": "kamahori2024fiddlerc",
        "newer": "kamahori2024fiddlerd",
        "other": "kamahori2024fiddlerb",
    }


def test_entry_types_follow_venue_and_publication_type(default_rw):
    library = parse_bibtex(to_bibtex(default_rw))
    by_title = {e.fields_dict["title"].value.replace("{", "").replace("}", ""): e for e in library.entries}
    deepspeed = by_title[
        "DeepSpeed-MoE: Advancing Mixture-of-Experts Inference and Training to Power Next-Generation AI Scale"
    ]
    assert deepspeed.entry_type == "inproceedings" and "ICML" in deepspeed.fields_dict["booktitle"].value
    survey = by_title["A Survey on Mixture of Experts"]
    assert survey.entry_type == "article" and "Transactions" in survey.fields_dict["journal"].value
    review = by_title["A Review of Sparse Expert Models in Deep Learning"]
    assert review.entry_type == "misc"
    assert review.fields_dict["eprint"].value == "2209.01667"
    assert review.fields_dict["archivePrefix"].value == "arXiv"
    s2 = {
        "Neural Information Processing Systems": ({"JournalArticle", "Conference"}, "inproceedings"),
        "IEEE Transactions on Parallel and Distributed Systems": ({"JournalArticle"}, "article"),
        "Electronics": ({"JournalArticle"}, "article"),
        "": (set(), "misc"),
    }
    for venue, (types, kind) in s2.items():
        assert Reference("x", "T", venue=venue or None, types=types).entry_type == kind


def graph_of(which: str, request):
    """The default build's graph, the odd-titled planted graph, or the latest list built through the test API."""
    if which == "latest":
        from curate_builds import enriched_build

        return enriched_build(LATEST_LIST_NAME, request.getfixturevalue("tmp_path_factory")).graph
    return request.getfixturevalue("default_graph" if which == "default" else "odd_graph")


@pytest.mark.skipif(not (shutil.which("pdflatex") and shutil.which("bibtex")), reason="no TeX engine installed")
@pytest.mark.parametrize("which", ["default", "odd", "latest"])
def test_related_work_compiles_with_its_references_without_a_warning(which, tmp_path, request):
    rw = related_work(graph_of(which, request))
    log = compile_paper(tmp_path, to_bibtex(rw), to_latex(rw))
    blg = (tmp_path / "paper.blg").read_text(errors="replace")
    assert "Warning--" not in blg and "error message" not in blg, blg[-2000:]
    assert "LaTeX Warning" not in log and "Missing character" not in log
    assert len(re.findall(r"\\bibitem", (tmp_path / "paper.bbl").read_text())) == len(cited_keys(to_latex(rw)))


def has_biblatex() -> bool:
    if not (shutil.which("biber") and shutil.which("kpsewhich")):
        return False
    return bool(subprocess.run(["kpsewhich", "biblatex.sty"], capture_output=True, text=True).stdout.strip())


@pytest.mark.skipif(not has_biblatex(), reason="biber or biblatex not installed")
def test_references_compile_with_biblatex_and_biber_without_a_warning(tmp_path, request):
    rw = related_work(graph_of("latest", request))
    (tmp_path / "references.bib").write_text(to_bibtex(rw))
    (tmp_path / "related-work.tex").write_text(to_latex(rw))
    (tmp_path / "paper.tex").write_text(
        "\\documentclass{article}\n\\usepackage[backend=biber]{biblatex}\n"
        "\\addbibresource{references.bib}\n\\begin{document}\n"
        "\\input{related-work}\n\\printbibliography\n\\end{document}\n"
    )
    latex_run = ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "paper"]
    for command in (latex_run, ["biber", "paper"], latex_run):
        done = subprocess.run(
            command, cwd=tmp_path, capture_output=True, text=True, errors="replace", timeout=120
        )  # TeX prints 8-bit font bytes that are not UTF-8
        assert done.returncode == 0, done.stdout[-3000:]
    assert "WARN" not in (tmp_path / "paper.blg").read_text(errors="replace")


@pytest.mark.parametrize("which", ["default", "odd", "latest"])
def test_csl_json_validates_against_the_csl_schema(which, request):
    import jsonschema

    schema = json.loads((DATA / "csl" / "csl-data.json").read_text())
    items = json.loads(to_csl_json(related_work(graph_of(which, request))))
    assert items
    jsonschema.validate(items, schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


def test_csl_json_is_what_zotero_imports(default_rw):
    items = json.loads(to_csl_json(default_rw))
    assert [item["id"] for item in items] == [w.key for w in default_rw.cited()]
    assert {item["type"] for item in items} <= {
        "paper-conference",
        "article-journal",
        "article",
        "book",
        "chapter",
        "document",
    }
    fiddler = next(item for item in items if item["id"] == "kamahori2025fiddler")
    assert fiddler["author"][0] == {"family": "Kamahori", "given": "Keisuke"}
    assert fiddler["issued"] == {"date-parts": [[2025]]} and fiddler["container-title"].startswith("ICLR 2025")
    for item in items:
        assert item["title"]
        for part in item.get("issued", {}).get("date-parts", [[]])[0]:
            assert isinstance(part, int)


def test_graphml_and_gexf_open_in_graph_tools_with_cluster_and_heading(default_rw, default_graph, tmp_path):
    import igraph
    import networkx

    clustering = default_rw.clustering
    cluster_of = {iri: c.id for c in clustering.clusters for iri in c.members}
    (tmp_path / "clusters.graphml").write_text(export(default_graph, "graphml"))
    graphml = igraph.Graph.Read_GraphML(str(tmp_path / "clusters.graphml"))
    assert graphml.vcount() == len(clustering.data.papers) and graphml.ecount() == len(clustering.edges)
    assert {v["id"]: v["cluster"] for v in graphml.vs} == cluster_of
    assert all(v["heading"] and v["top_heading"] for v in graphml.vs)
    gexf = networkx.read_gexf(io.BytesIO(export(default_graph, "gexf").encode()))
    assert {n: d["cluster"] for n, d in gexf.nodes(data=True)} == cluster_of
    assert gexf.number_of_edges() == len(clustering.edges)
    assert sorted(w for _, _, w in gexf.edges(data="weight")) == sorted(w for _, _, w in clustering.edges)


def test_markdown_has_a_section_per_cluster_and_names_every_paper(default_rw, default_graph):
    text = export(default_graph, "markdown")
    sections = re.findall(r"^## (.+)$", text, re.M)
    assert len(sections) == len(default_rw.clustering.clusters)
    for cluster, section in zip(default_rw.clustering.clusters, sections, strict=True):
        assert section == ("Unconnected papers" if cluster.id == UNCONNECTED else f"{cluster.id}. {cluster.label}")
    for iri in default_rw.clustering.data.papers:
        assert f"`{default_rw.works[iri].key}`" in text
    for cluster in default_rw.clustering.clusters:
        for iri in cluster.elsewhere:
            assert (
                "listed under "
                + default_rw.clustering.data.headings[default_rw.clustering.data.papers[iri].headings[0]].label
                in text
            )


def test_csv_has_one_row_per_listed_paper(default_rw, default_graph):
    rows = list(csv.DictReader(io.StringIO(export(default_graph, "csv"))))
    assert sorted(r["iri"] for r in rows) == sorted(default_rw.clustering.data.papers)
    moved = {iri for c in default_rw.clustering.clusters for iri in c.elsewhere}
    assert {r["iri"] for r in rows if r["under_dominant_heading"] == "no"} == moved


def test_latex_escapes_every_special_character():
    assert latex("a & b % c $ d # e _ f { g } h ~ i ^ j \\ k") == (
        r"a \& b \% c \$ d \# e \_ f \textbraceleft{} g \textbraceright{} h \textasciitilde{} i "
        r"\textasciicircum{} j \textbackslash{} k"
    )
    assert latex("Çelik Łukasz Søren José naïve") == r"{\c{C}}elik {\L}ukasz S{\o}ren Jos{\'e} na{\"\i}ve"
    assert latex("模型 α\x07") == (
        r"\ensuremath{\langle}\texttt{U+6A21}\ensuremath{\rangle}"
        r"\ensuremath{\langle}\texttt{U+578B}\ensuremath{\rangle} {\ensuremath{\alpha}}"
        r"\texttt{U+0007}"
    )


def test_kg_export_writes_each_format(default_build, tmp_path):
    from kg.cli import CLUSTER_METHODS, EXPORT_FORMATS
    from kg.clusters import METHODS

    assert EXPORT_FORMATS == tuple(FORMATS) and CLUSTER_METHODS == METHODS
    runner = CliRunner()
    for fmt in FORMATS:
        out = tmp_path / f"clusters.{fmt}"
        result = runner.invoke(main, ["export", str(default_build.out), "--format", fmt, "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert out.read_bytes().decode() == export(KnowledgeGraph.load(default_build.out), fmt)
    shown = runner.invoke(main, ["export", str(default_build.out), "--format", "bibtex", "--method", "direct"])
    assert shown.exit_code == 0 and "@inproceedings{kamahori2025fiddler," in shown.output
    bad = runner.invoke(main, ["export", str(default_build.out), "--format", "docx"])
    assert bad.exit_code == 2 and "markdown" in bad.output


# ---------------------------------------------------------------------------
# Exports cannot attack the person who compiles or opens them (issue 15, items 7, 9, 10)
# ---------------------------------------------------------------------------

HOSTILE_TITLES = {
    "atx": '# My list @preamble{"\\input{/etc/hostname}"}\n',
    "setext": "My list\n\\input{/etc/hostname} \\immediate\\write18{touch pwned}\n=======\n",
}


def compile_paper(folder, bib: str, tex: str) -> str:
    """pdflatex + bibtex + pdflatex twice, as an author does; returns the LaTeX log."""
    (folder / "references.bib").write_text(bib)
    (folder / "related-work.tex").write_text(tex)
    (folder / "paper.tex").write_text(
        "\\documentclass{article}\n\\usepackage{url}\n\\begin{document}\n"
        "\\section{Related work}\n\\input{related-work}\n\\bibliographystyle{plain}\n"
        "\\bibliography{references}\n\\end{document}\n"
    )
    latex_run = ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "paper"]

    def run(command):
        done = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout[-3000:]

    for command in (latex_run, ["bibtex", "paper"], latex_run, latex_run):
        run(command)
    for _ in range(2):  # as latexmk does: again while LaTeX asks for it
        if "Rerun to get" in (folder / "paper.log").read_text(errors="replace"):
            run(latex_run)
    return (folder / "paper.log").read_text(errors="replace")


@pytest.mark.parametrize("form", sorted(HOSTILE_TITLES))
def test_a_hostile_list_title_stays_text_in_latex_and_bibtex(form, tmp_path):
    from conftest import DEFAULT_LIST
    from kg.build import ListSource, build

    body = DEFAULT_LIST.read_text(encoding="utf-8").split("\n", 1)[1]
    source = ListSource.from_bytes((HOSTILE_TITLES[form] + body).encode(), "hostile.md", "hostile")
    out = build(source, tmp_path / "out", offline=True, cache_dir=tmp_path / "cache").out
    bib, tex = (out / "references.bib").read_text(), (out / "related-work.tex").read_text()
    library = parse_bibtex(bib)
    assert library.entries and not library.preambles
    assert len(re.findall(r"^@", bib, re.M)) == len(library.entries)  # no @command outside an entry
    assert "input{" not in bib and "@preamble" not in bib
    for line in tex.splitlines():
        assert line.startswith("%") or "\\input" not in line, line  # nothing runs outside a comment
    assert "\\input{/etc/hostname}" not in tex.replace("\\textbackslash{}", "")
    if shutil.which("pdflatex") and shutil.which("bibtex"):
        log = compile_paper(tmp_path, bib, tex)
        assert "/etc/hostname" not in log and not (tmp_path / "pwned").exists()
        assert "(at)preamble" in bib.splitlines()[0] or form == "setext"


def test_hostile_identifiers_never_leave_their_field():
    from pyoxigraph import Literal, NamedNode, Quad

    from kg.vocab import S2_GRAPH, akg

    graph, truth = planted_graph("direct")
    paper = NamedNode(sorted(truth)[0])
    for quad in list(graph.store.quads_for_pattern(paper, akg.arxiv, None, None)):
        graph.store.remove(quad)
    graph.store.add(Quad(paper, akg.arxiv, Literal("2301.00000}, note = {\\input{/etc/hostname}"), S2_GRAPH))
    graph.store.add(Quad(paper, akg.doi, Literal("10.1234/x}, note = {\\input{/etc/hostname}"), S2_GRAPH))
    bib = export(graph, "bibtex")
    library = parse_bibtex(bib)
    assert library.entries and all("note" not in entry.fields_dict for entry in library.entries)
    assert "input{" not in bib


@pytest.mark.parametrize(
    "page",
    [
        "javascript://%0aalert(document.domain)",
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/hostname",
    ],
)
def test_only_http_links_are_written(page):
    from kg.exports import bibtex_entry, csl_item, markdown_item

    work = Reference("iri:x", "A paper", authors=["Ann Lee"], date="2024", pages=[page], key="lee2024paper")
    assert work.url is None
    assert "url" not in bibtex_entry(work) and "URL" not in csl_item(work)
    assert "](" not in markdown_item(work) and page not in markdown_item(work)
    safe = Reference("iri:y", "B", pages=[page, 'https://example.org/a b{c}\\"d'], key="b")
    assert safe.url == "https://example.org/a%20b%7Bc%7D%5C%22d"


@pytest.mark.parametrize("formula", ["=cmd|' /C calc'!A0", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)", "\tx", "\rx"])
def test_csv_cells_never_start_a_spreadsheet_formula(formula):
    from pyoxigraph import NamedNode

    graph, truth = planted_graph("direct")
    paper = NamedNode(sorted(truth)[0])
    retitle(graph, paper.value, formula)
    rows = list(csv.DictReader(io.StringIO(export(graph, "csv"), newline="")))
    assert rows
    row = next(r for r in rows if r["iri"] == paper.value)
    assert row["title"] == "'" + formula
    for cell in (value for r in rows for value in r.values()):
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_titles_reach_the_terminal_as_text_not_markup_or_escape_codes():
    from kg.exports import to_table

    graph, truth = planted_graph("direct")
    retitle(graph, sorted(truth)[0], "[/red]\x1b[31mRed[bold]: a title")
    table = to_table(related_work(graph))
    assert "[/red]\\x1b[31mRed[bold]" in table and "\x1b" not in table
    markdown = export(graph, "markdown")
    assert "U+001B" in markdown and "\x1b" not in markdown


# ---------------------------------------------------------------------------
# Paper-ready: every entry has its authors, year and venue agree (issue 14)
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def latest_bib(tmp_path_factory):
    """references.bib of the latest list version, built through the Semantic Scholar test server."""
    from curate_builds import enriched_build

    build = enriched_build(LATEST_LIST_NAME, tmp_path_factory)
    return parse_bibtex((build.out / "references.bib").read_text()), related_work(build.graph)


LATEST_LIST_NAME = "2025-10-20_f7ccad0.md"


def test_every_entry_has_its_authors_outside_works_too(latest_bib):
    from s2_fixtures import UNKNOWN_HOSTS

    library, rw = latest_bib
    outside = {rw.works[iri].key for c in rw.clustering.clusters for iri, _ in c.builds_on}
    assert len(library.entries) > 120 and outside  # the latest list names 127 papers
    without = [e for e in library.entries if "author" not in e.fields_dict]
    # Only papers Semantic Scholar does not know and whose authors the list does not name.
    assert all(any(host in e.fields_dict["url"].value for host in UNKNOWN_HOSTS) for e in without), [
        e.key for e in without
    ]
    assert not outside & {e.key for e in without}


def test_year_is_the_year_of_the_version_cited(latest_bib):
    from kg.exports import cited_date

    library, _ = latest_bib
    preprints = [
        e
        for e in library.entries
        if e.entry_type == "misc"
        and "eprint" in e.fields_dict
        and re.fullmatch(r"\d{4}\.\d{4,5}", e.fields_dict["eprint"].value)
    ]
    assert preprints
    for entry in preprints:  # an arXiv preprint: the arXiv year
        assert entry.fields_dict["year"].value == "20" + entry.fields_dict["eprint"].value[:2], entry.key
    findings = Reference("x", "T", venue="Findings of ACL 2025", arxiv="2411.00001")
    assert cited_date(findings, None, None, "2024-11-03") == "2025"
    iclr = Reference(
        "x", "Fiddler: fast", venue="International Conference on Learning Representations", arxiv="2402.07033"
    )
    assert cited_date(iclr, "2025", None, "2024-02-10") == "2025"
    assert cited_date(iclr, None, "2025", "2025-01-22") == "2025-01-22"
    assert cited_date(Reference("x", "T", arxiv="2402.07033"), "2025", None, "2024-02-10") == "2024-02"


def test_each_cluster_paragraph_tells_its_papers_in_time_and_what_each_builds_on(latest_bib):
    from kg.exports import cluster_paragraph

    _, rw = latest_bib
    data = rw.clustering.data
    clusters = [c for c in rw.clustering.clusters if c.id != UNCONNECTED]
    assert clusters
    told = 0
    for cluster in clusters:
        parts = cluster_paragraph(rw, cluster)
        cited = [p for p in parts if isinstance(p, Reference)]
        assert {rw.works[i].key for i in cluster.members} <= {w.key for w in cited}  # every member is told
        years = [int(y) for y in re.findall(r"In (\d{4}), ", "".join(p for p in parts if isinstance(p, str)))]
        assert years == sorted(set(years))  # in time
        for n, part in enumerate(parts):
            if part == " (building on ":
                paper, bases = parts[n - 1], [p for p in parts[n + 1 : parts.index(")", n)] if isinstance(p, Reference)]
                assert bases and all(base.iri in data.references[paper.iri] for base in bases)  # a citation edge
                assert all((base.year or 0) <= paper.year for base in bases)
                told += 1
    assert told > len(clusters)


def test_markdown_and_latex_cite_with_links_and_keys(latest_bib):
    _, rw = latest_bib
    markdown, tex = to_markdown(rw), to_latex(rw)
    cluster = next(c for c in rw.clustering.clusters if c.id != UNCONNECTED)
    first = rw.works[cluster.members[0]]
    assert f"](https://arxiv.org/abs/{first.arxiv})" in markdown or first.arxiv is None
    assert f"\\cite{{{first.key}}}" in tex
    assert f"*Distinctive terms: {', '.join(cluster.terms)}*" in markdown
