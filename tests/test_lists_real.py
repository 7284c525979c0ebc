"""The parser on real awesome lists of other styles (tests/data/lists/*/, each with its SOURCE.md)."""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import DATA, LISTS
from count_paper_links import count, paper_key
from kg.build import BuildError, ListSource
from kg.cli import main
from kg.listparse import (
    ListTooLarge,
    parse_list_file,
    parse_list_text,
    read_bounded,
    read_list_files,
    read_list_files_at,
)

FIXTURES = sorted(p.parent for p in (DATA / "lists").glob("*/README.md"))
DATE_OR_TAG = re.compile(
    r"^\[?\s*(?:\d{1,2}\s+)?[A-Z][a-z]{2,8}\.?\s+\d{4}\s*\]?$"  # 4 Sep 2022, Dec 2023
    r"|^\[?\s*[A-Za-z]+\s?['’]?\d{2,4}(?:\.\d{1,2})?\s*\]?$"  # ICML 2023, ICLR2017, Arxiv'24
    r"|^\[?\s*\d{4}(?:[-./]\d{1,2}){0,2}\s*\]?$"
)  # 2025-6-16
LABELS = {"pdf", "paper", "code", "github", "repo", "link", "arxiv", "project", "tech report", "blog", "publication"}


def fixture(name: str) -> Path:
    return DATA / "lists" / name


def by_title(parsed) -> dict:
    return {p.titles[0]: p for p in parsed.papers}


def test_there_are_six_real_lists_of_other_styles_each_with_its_source():
    assert len(FIXTURES) >= 6
    for folder in FIXTURES:
        source = (folder / "SOURCE.md").read_text(encoding="utf-8")
        assert re.search(r"repository: https://github\.com/\S+", source) and re.search(r"\b[0-9a-f]{40}\b", source)
        assert "licence" in source


@pytest.mark.parametrize("folder", FIXTURES, ids=lambda p: p.name)
def test_listed_papers_are_the_papers_the_list_links(folder):
    """Equal to the independent count, and carrying at least 97% of the counted paper links."""
    parsed = parse_list_file(folder)
    counted = count(folder)
    assert counted > 0 and len(parsed.papers) == counted
    text = "\n".join(p.read_text(encoding="utf-8") for p in folder.glob("*.md") if p.name != "SOURCE.md")
    links = {key for key in map(paper_key, re.findall(r"\]\s?\((\S+?)\)", text)) if key}
    carried = {key for paper in parsed.papers for url in paper.urls if (key := paper_key(url))}
    assert links and len(links & carried) >= 0.97 * len(links), sorted(links - carried)


@pytest.mark.parametrize("folder", FIXTURES, ids=lambda p: p.name)
def test_no_title_is_a_link_label_a_date_or_a_venue_tag(folder):
    titles = [t for paper in parse_list_file(folder).papers for t in paper.titles]
    assert titles
    wrong = [t for t in titles if DATE_OR_TAG.match(t) or t.strip("[] ").lower() in LABELS or not t.strip()]
    assert not wrong


@pytest.mark.parametrize("folder", FIXTURES, ids=lambda p: p.name)
def test_no_non_paper_is_a_paper(folder):
    """Repositories, anchors, contributors, sub-labels and boilerplate sections never become papers."""
    parsed = parse_list_file(folder)
    assert parsed.papers
    for paper in parsed.papers:
        assert paper.urls, paper.titles  # every fixture paper has a paper link
        assert not all(re.search(r"github\.com|huggingface\.co|^#", u) for u in paper.urls)
        assert not re.search(r"contributed by|^publication$|^arxiv$", paper.titles[0], re.I)


def test_date_tagged_bullets_and_the_paper_link_among_repo_and_news_links():
    parsed = parse_list_file(fixture("xuefuzhao-awesome-moe"))
    papers = by_title(parsed)
    review = papers["A Review of Sparse Expert Models in Deep Learning"]
    assert review.ids == {"arxiv": "2209.01667"} and (review.tagged.year, review.tagged.month) == (2022, 9)
    mixtral = parsed.paper("arxiv:2401.04088")
    assert mixtral.titles == ["Mixtral of Experts"] and mixtral.code_urls == []
    assert ("Repo", "https://mistral.ai/news/mixtral-of-experts/") in mixtral.first.other_links
    deepseek = parsed.paper("arxiv:2401.06066")
    assert deepseek.code_urls == ["https://github.com/deepseek-ai/DeepSeek-MoE"]
    openmoe = parsed.paper("arxiv:2402.01739")  # `Title [Aug 2023](url)`: the date is the label
    assert openmoe.titles == ["OpenMoE: An Early Effort on Open Mixture-of-Experts Language Models"]
    assert papers["Brainformers: Trading Simplicity for Efficiency"].tagged.venue == "ICML"
    skipped = Counter(s.kind for s in parsed.skipped)
    assert skipped["sub-label"] == 6 and skipped["repository"] == 5  # **Publication**, **arXiv**; LLaMA-MoE
    assert not [p for p in parsed.papers if "LLaMA-MoE" in p.titles[0] or "Tutel" in p.titles[0]]


def test_one_link_under_two_unrelated_titles_is_not_an_alternative_title():
    parsed = parse_list_file(fixture("xuefuzhao-awesome-moe"))
    switch = parsed.paper("arxiv:2101.03961")
    assert switch.titles == [
        "Switch Transformers: Scaling to Trillion Parameter Models with Simple and Efficient Sparsity"
    ]
    assert switch.conflicting_titles == ["Mixture-of-Experts with Expert Choice Routing"]
    mismatch = [w for w in parsed.warnings if w.code == "link-title-mismatch"]
    assert {w.line for w in mismatch} == {75, 84}
    assert any("Sparse Mixers" in w.message and "AdaMix" in w.message for w in mismatch)
    st_moe = parsed.paper("arxiv:2202.08906")  # renamed between versions: one paper, two spellings
    assert st_moe.titles == [
        "ST-MoE: Designing Stable and Transferable Sparse Expert Models",
        "Designing Effective Sparse Expert Models",
    ]


def test_bold_titles_with_pdf_links_give_title_venue_and_year():
    parsed = parse_list_file(fixture("codecaution-moe-papers"))
    taming = parsed.paper("arxiv:2110.04260")
    assert taming.titles == ["Taming Sparsely Activated Transformer with Stochastic Experts"]
    assert (taming.tagged.venue, taming.tagged.year) == ("ICLR", 2022)
    base = parsed.paper("pmlr:v139/lewis21a")
    assert base.titles == ["BASE Layers: Simplifying Training of Large, Sparse Models"]
    assert [(s.kind, s.line) for s in parsed.skipped] == [("contributor", 153)]
    assert parsed.paper("arxiv:2101.03961").conflicting_titles == ["Scaling Vision with Sparse Mixture of Experts"]


def test_a_multi_file_list_reads_its_pages_under_the_readme_links_that_lead_to_them():
    folder = fixture("horseee-efficient-llm")
    parsed = parse_list_file(folder)
    assert parsed.pages == ["README.md", "efficient_moe.md"]
    moe = next(h for h in parsed.headings if h.label == "Efficient MOE" and h.file == "")
    assert moe.parent == "full-list" and moe.line == 9
    lancet = parsed.paper("arxiv:2404.19429")
    assert lancet.headings == ["full-list/efficient-moe/efficient-moe"] and lancet.first.file == "efficient_moe.md"
    assert (lancet.tagged.venue, lancet.tagged.year) == ("MLsys", 2024)  # the Conference-MLsys'24 badge
    assert lancet.authors[:2] == ["Chenyu Jiang", "Ye Tian"]
    fiddler = parsed.paper("arxiv:2402.07033")
    assert fiddler.code_urls == ["https://github.com/efeslab/fiddler"]
    pruner = parsed.paper("arxiv:2406.02924")
    assert pruner.headings == ["paper-from-05-26-2024-now-see-full-list-from-05-22-2023-here/network-pruning-sparsity"]
    assert (pruner.tagged.venue, pruner.tagged.year) == ("ICML", 2024)
    missing = {re.search(r"page (\S+),", w.message)[1] for w in parsed.warnings if w.code == "page-missing"}
    assert "pruning.md" in missing and "efficient_moe.md" not in missing


def test_a_paper_on_the_readme_and_on_a_page_is_one_paper_under_both_headings(tmp_path):
    (tmp_path / "README.md").write_text(
        "# L\n## Recent\n- **Fiddler** [[pdf]](https://arxiv.org/abs/2402.07033)\n"
        "## Areas\n- [Offloading](offloading.md)\n",
        encoding="utf-8",
    )
    (tmp_path / "offloading.md").write_text(
        "# Offloading\n## 2024\n- **Fiddler: CPU-GPU Orchestration** [[pdf]](https://arxiv.org/pdf/2402.07033v2)\n",
        encoding="utf-8",
    )
    for parsed in (parse_list_file(tmp_path), parse_list_file(tmp_path / "README.md")):
        assert [p.key for p in parsed.papers] == ["arxiv:2402.07033"]
        assert parsed.papers[0].headings == ["recent", "areas/offloading/offloading/2024"]


def test_a_git_directory_at_a_commit(tmp_path):
    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    (tmp_path / "README.md").write_text("# L\n## Areas\n- [Pruning](pruning.md)\n", encoding="utf-8")
    (tmp_path / "pruning.md").write_text(
        "# Pruning\n- **Old** [[pdf]](https://arxiv.org/abs/2401.00001)\n", encoding="utf-8"
    )
    git("init", "-q")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "first")
    commit = subprocess.run(
        ["git", "-C", str(tmp_path), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    (tmp_path / "pruning.md").write_text(
        "# Pruning\n- **New** [[pdf]](https://arxiv.org/abs/2402.00002)\n", encoding="utf-8"
    )
    files = read_list_files_at(tmp_path, commit, "README.md")
    assert sorted(files.pages) == ["README.md", "pruning.md"]
    from kg.listparse import parse_list_files

    assert [p.key for p in parse_list_files(files, "README.md").papers] == ["arxiv:2401.00001"]
    assert [p.key for p in parse_list_file(tmp_path).papers] == ["arxiv:2402.00002"]
    out = tmp_path.parent / "at-commit"
    result = CliRunner().invoke(
        main,
        [
            "build",
            str(tmp_path),
            "--at",
            commit,
            "--offline",
            "--out",
            str(out),
            "--cache",
            str(tmp_path.parent / "cache"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "read: 1 entry -> 1 paper" in result.output
    assert '"https://w3id.org/awesome-kg/id/paper/arxiv/2401.00001"' in (out / "graph.jsonld").read_text()


def test_paper_tables_with_venue_and_month_columns():
    parsed = parse_list_file(fixture("syrgithub-moe4ts"))
    film = by_title(parsed)["Film: Frequency improved legendre memory model for long-term time series forecasting"]
    assert (film.tagged.venue, film.tagged.year) == ("NeurIPS", 2022)
    assert film.code_urls == ["https://github.com/tianzhou2011/FiLM/"]
    traffic = parsed.paper("arxiv:2409.03282")  # listed twice under two short names: one paper
    assert len(traffic.entries) == 2 and (traffic.tagged.year, traffic.tagged.month) == (2024, 9)
    assert parsed.title == ""  # the title is an HTML block, not a Markdown H1


def test_paragraph_entries_with_hard_breaks_and_italic_notes_in_bold_titles():
    parsed = parse_list_file(fixture("superbrucejia-awesome-moe"))
    st_moe = parsed.paper("arxiv:2202.08906")
    assert st_moe.titles == ["ST-MoE: Designing Stable and Transferable Sparse Expert Models"]
    survey = parsed.paper("arxiv:2407.06204")
    assert survey.titles == ["A Survey on Mixture of Experts"]
    assert survey.code_urls == ["https://github.com/withinmiaov/A-Survey-on-Mixture-of-Experts"]
    assert len(parsed.paper("arxiv:2402.12851").headings) == 3
    book = parsed.paper("doi:10.1007/978-3-031-23190-2")
    assert book.titles[0].startswith("Foundation Models for Natural Language Processing")
    web_pages = sorted(s.text for s in parsed.skipped if s.kind == "web-page")  # a course, a book in a shop
    assert len(web_pages) == 2 and web_pages[0].startswith("Stanford CS324: Large Language Models")
    assert web_pages[1].startswith("The Path to Artificial General Intelligence")


def test_names_with_years_as_labels_and_a_paper_beside_its_repository():
    parsed = parse_list_file(fixture("dannyxiaocn-awesome-moe"))
    switch = parsed.paper("arxiv:2101.03961")
    assert switch.titles == ["Switch Transformer"] and switch.tagged.year == 2021
    fastmoe = parsed.paper("arxiv:2103.13262")
    assert fastmoe.titles == ["fastmoe"] and fastmoe.code_urls == ["https://github.com/laekov/fastmoe"]
    assert [s.kind for s in parsed.skipped] == ["repository"]  # tutel: a repository only


def test_the_shipped_list_keeps_its_model_table_and_lists_127_papers():
    parsed = parse_list_file(LISTS / "2025-10-20_f7ccad0.md")
    assert len(parsed.papers) == 127 and len(parsed.models) == 31
    assert not [p for p in parsed.papers if "technical report" in p.titles[0].lower()]
    assert parsed.paper("arxiv:2201.10890").titles[0] == "One Student Knows All Experts Know: From Sparse to Dens"


def test_a_space_between_title_and_link_still_gives_the_paper():
    parsed = parse_list_file(LISTS / "2024-11-12_88da0e7.md")
    moe_i2 = parsed.paper("arxiv:2411.01016")
    assert moe_i2.titles[0].startswith("MoE-I2: Compressing Mixture of Experts Models")
    assert moe_i2.code_urls == ["https://github.com/xiaochengsky/MoEI-2"]
    assert [w.line for w in parsed.warnings if w.code == "space-before-link"] == [69]
    assert not [p for p in parsed.papers if p.titles[0] == "Code"]


def test_an_entry_without_link_is_the_paper_a_later_entry_links():
    parsed = parse_list_text(
        "# L\n## A\n[Arxiv'24] [MoEsaic: Shared Mixture of Experts]\n\n"
        "## B\n[SoCC'24] [MoEsaic: Shared Mixture of Experts]"
        "(https://dl.acm.org/doi/10.1145/3698038.3698521)\n"
    )
    assert [p.key for p in parsed.papers] == ["doi:10.1145/3698038.3698521"]
    assert parsed.papers[0].headings == ["a", "b"]
    assert [w.code for w in parsed.warnings] == ["no-link"]


def test_a_bullet_nested_ten_deep_drops_nothing_after_it():
    deep = "".join("  " * n + f"- [Paper {n}: a study](https://arxiv.org/abs/2401.{n:05d})\n" for n in range(12))
    text = "# L\n## A\n" + deep + "\n## B\n[Arxiv'24] [After the deep list](https://arxiv.org/abs/2402.00001)\n"
    parsed = parse_list_text(text, "deep.md")
    assert len(parsed.papers) == 13 and [h.label for h in parsed.headings] == ["A", "B"]
    assert parsed.paper("arxiv:2402.00001").headings == ["b"]
    assert [w.code for w in parsed.warnings] == ["nested-too-deep"] and parsed.warnings[0].line == 12


def test_strict_build_fails_on_a_deeply_nested_list(tmp_path):
    deep = "".join("  " * n + f"- [Paper {n}: a study](https://arxiv.org/abs/2401.{n:05d})\n" for n in range(12))
    listfile = tmp_path / "deep.md"
    listfile.write_text("# L\n## A\n" + deep, encoding="utf-8")
    result = CliRunner().invoke(
        main,
        ["build", str(listfile), "--offline", "--strict", "--out", str(tmp_path / "o"), "--cache", str(tmp_path / "c")],
    )
    assert result.exit_code == 1 and "nested deeper" in result.output
    assert not (tmp_path / "o").exists()


def test_sizes_are_checked_on_the_raw_bytes_read_with_a_bound(tmp_path):
    nul = tmp_path / "nul.md"
    with open(nul, "wb") as handle:  # 1 GB of NUL bytes, sparse on disk
        handle.truncate(2**30)
    with pytest.raises(BuildError, match="nothing was built"):
        ListSource.from_path(nul)
    with pytest.raises(ListTooLarge):
        read_bounded(Path("/dev/zero"), 2**20)
    with pytest.raises(ListTooLarge):
        read_list_files(nul, 2**20)


def test_every_warning_carries_a_stable_code_and_the_cli_decides_by_code(tmp_path):
    text = (
        "# L\n## Empty\n\n## A\n[Arxiv] [T](https://arxiv.org/abs/2401.00001)\n[Arxiv'24] [No link]\n"
        "- [Pruning](pruning.md)\n"
    )
    parsed = parse_list_text(text, "codes.md")
    assert {w.code for w in parsed.warnings} == {"heading-empty", "tag-no-year", "no-link", "page-missing"}
    listfile = tmp_path / "codes.md"
    listfile.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(
        main, ["build", str(listfile), "--offline", "--out", str(tmp_path / "o"), "--cache", str(tmp_path / "c")]
    )
    assert result.exit_code == 0, result.output
    assert "note: 1 heading with no entries yet: Empty" in result.output
    assert "read: 2 entries -> 2 papers; skipped lines: none; 4 warnings" in result.output
