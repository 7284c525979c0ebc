"""The list parser on every real version of the awesome list, and on malformed input."""

from __future__ import annotations

import gc
import re

import pytest

from conftest import DEFAULT_LIST, LATEST_LIST, list_versions
from kg.listparse import parse_list_file, parse_list_text, split_venue_tag

SKIPPED_SECTIONS = {"contents", "contribute", "citation", "todos", "todo"}


def joined_lines(text: str) -> list[str]:
    """Lines, with an entry whose title wraps onto the next line joined back."""
    lines: list[str] = []
    for line in text.splitlines():
        if lines and re.fullmatch(r"\[[^\]]*\]\s*\[[^\]]*", lines[-1]):  # title bracket left open
            lines[-1] += " " + line
        else:
            lines.append(line)
    return lines


def count_papers_by_hand(path) -> int:
    """Distinct papers a list file's entries hold, counted line by line without the parser. Rows of the
    model table are models (their report links are not entries); an entry without a link is the paper
    another entry of the same title links."""
    keys, titled, section = set(), {}, None
    for line in joined_lines(path.read_text(encoding="utf-8")):
        if line.startswith("## "):
            section = line[3:].strip().lower()
        if section is None or section in SKIPPED_SECTIONS or line.startswith("#") or line.startswith("|"):
            continue
        title = re.search(r"^\s*\[[^\]]*\]\s*\[([^\]]+)\]", line)
        if re.match(r"\s*\[[^\]]*\]\s*\[[^\]]+\]\s*$", line):  # [Venue'YY] [Title], no link
            titled.setdefault(re.sub(r"[^a-z0-9]", "", line.split("] [")[-1].lower()), None)
            continue
        if not line.startswith("["):
            continue
        url = re.search(r"\]\s?\((https?://[^)\s]*)\)", line)[1]
        arxiv = re.search(r"arxiv\.org/(?:abs|pdf)/(\d{4}\.\d{4,5})", url)
        ieee = re.search(r"(?:document/|arnumber=)(\d+)", url)
        key = arxiv[1] if arxiv else ieee[1] if ieee else re.sub(r"^(https?://)?(www\.)?", "", url).rstrip("/").lower()
        keys.add(key)
        if title:
            titled[re.sub(r"[^a-z0-9]", "", title[1].lower())] = key
    return len(keys) + sum(1 for key in titled.values() if key is None)


@pytest.mark.parametrize("path", list_versions(), ids=lambda p: p.stem)
def test_every_version_parses_to_the_papers_it_holds(path):
    parsed = parse_list_file(path)
    assert parsed.title.lower().startswith("awesome")
    assert len(parsed.papers) == count_papers_by_hand(path)
    assert not [w for w in parsed.warnings if "not UTF-8" in w.message]


def test_default_list_has_its_twelve_papers_with_headings_venues_and_years():
    parsed = parse_list_file(DEFAULT_LIST)
    by_title = {p.titles[0]: p for p in parsed.papers}
    assert len(parsed.papers) == 12
    fiddler = by_title["Fiddler: CPU-GPU Orchestration for Fast Inference of Mixture-of-Experts Models"]
    assert fiddler.headings == ["system-level-optimization/expert-offloading"]
    assert fiddler.ids == {"arxiv": "2402.07033"}
    assert fiddler.code_urls == ["https://github.com/efeslab/fiddler"]
    deepspeed = next(p for t, p in by_title.items() if t.startswith("DeepSpeed-MoE"))
    assert (deepspeed.tagged.venue, deepspeed.tagged.year) == ("ICML", 2022)
    assert deepspeed.ids == {"pmlr": "v162/rajbhandari22a"}
    edge = next(p for t, p in by_title.items() if t.startswith("Edge-MoE"))
    assert (edge.tagged.venue, edge.tagged.year, edge.ids) == ("ICCAD", 2023, {"ieee": "10323651"})
    assert edge.headings == ["hareware-level-optimization"]
    labels = [h.label for h in parsed.headings]
    assert labels[:2] == ["Survey", "SOTA MoE LLMs"]
    assert "Contents" not in labels and "Contribute" not in labels
    assert "Speculative Decoding" in labels  # empty headings are kept
    pruning = next(h for h in parsed.headings if h.label == "Pruning")
    assert pruning.parent == "model-level-optimizations/model-compression"


@pytest.mark.parametrize(
    "tag, expected",
    [
        ("Arxiv'24.10", ("Arxiv", 2024, 10)),
        ("SoCC '24.11", ("SoCC", 2024, 11)),
        ("NeurIPS'24.9", ("NeurIPS", 2024, 9)),
        ("Preprints'24.8", ("Preprints", 2024, 8)),
        ("ICML'22", ("ICML", 2022, None)),
        ("ISSCC’24.2", ("ISSCC", 2024, 2)),
    ],
)
def test_venue_tags_split_into_venue_year_month(tag, expected):
    assert split_venue_tag(tag) == expected


def test_latest_version_tricky_rows():
    parsed = parse_list_file(LATEST_LIST)
    twice = [p for p in parsed.papers if len(p.headings) > 1]
    assert len(twice) == 17  # the model table's rows are models, not a second listing of their report
    moduleformer = parsed.paper("arxiv:2306.04640")
    assert len(moduleformer.titles) == 2 and len(moduleformer.headings) == 3
    assert any("2 different titles" in w.message and w.line == moduleformer.first.line for w in parsed.warnings)
    moesaic = next(p for p in parsed.papers if p.titles[0].startswith("MoEsaic"))
    assert moesaic.ids == {"doi": "10.1145/3698038.3698521"}
    assert moesaic.tagged.tag == "SoCC '24.11" and moesaic.tagged.year == 2024
    ids = {k for p in parsed.papers for k in p.ids}
    assert {"arxiv", "doi", "acl", "openreview", "ieee", "pmlr"} <= ids
    space_mate = next(p for p in parsed.papers if p.titles[0].startswith("Space-Mate"))
    assert space_mate.ids == {"ieee": "10454487"}
    assert parse_list_file(LATEST_LIST).paper("arxiv:2502.12224").urls == ["https://arxiv.org/abs/2502.12224v1"]


def test_model_table_rows_become_models_linked_to_tech_reports():
    parsed = parse_list_file(LATEST_LIST)
    models = {m.name: m for m in parsed.models}
    assert len(models) == 31
    mixtral = models["Mixtral-8x7B"]
    assert mixtral.cells["Experts"] == "2/8/0" and mixtral.report_url == "https://arxiv.org/abs/2401.04088"
    grok = models["Grok-1"]
    assert grok.report_url == "https://x.ai/blog/grok-os"
    listed = {key for p in parsed.papers for key in [p.key]}
    assert "arxiv:2401.04088" not in listed  # Mixtral's report is a model's report, not an entry
    assert not [p for p in parsed.papers if "technical report" in p.titles[0].lower()]


def test_same_arxiv_paper_behind_abs_and_pdf_links_is_one_paper():
    parsed = parse_list_text(
        "# L\n## A\n[Arxiv'24] [X](https://arxiv.org/abs/2401.00001)\n\n"
        "## B\n[Arxiv'24] [X](https://arxiv.org/pdf/2401.00001v2)\n"
    )
    assert len(parsed.papers) == 1 and parsed.papers[0].headings == ["a", "b"]


def test_bullets_with_bold_titles():
    parsed = parse_list_text(
        "# L\n## Offloading\n- **Fiddler: CPU-GPU Orchestration** [[Paper](https://arxiv.org/"
        "abs/2402.07033)] [[Code](https://github.com/efeslab/fiddler)]\n"
    )
    paper = parsed.papers[0]
    assert paper.titles == ["Fiddler: CPU-GPU Orchestration"]
    assert paper.ids == {"arxiv": "2402.07033"} and paper.code_urls == ["https://github.com/efeslab/fiddler"]


@pytest.mark.parametrize(
    "text, line, expected",
    [
        ("# L\n## A\n[Arxiv'24] [Broken](https://arxiv.org/abs/2401.00001\n", 3, "no link"),
        ("# L\n## A\n[Arxiv'24] [No link at all]\n", 3, "no link"),
        ("# L\n## A\n\n## B\n[Arxiv'24] [T](https://arxiv.org/abs/2401.00001)\n", 2, "has no entries"),
        ("", 1, "empty"),
        ("# L\n## A\n[Arxiv] [T](https://arxiv.org/abs/2401.00001)\n", 3, "no year"),
    ],
)
def test_malformed_input_gives_a_warning_with_its_line(text, line, expected):
    parsed = parse_list_text(text, "bad.md")
    assert any(w.line == line and expected in w.message and w.file == "bad.md" for w in parsed.warnings), (
        parsed.warnings
    )


def test_binary_junk_is_a_warning_and_the_rest_still_parses(tmp_path):
    path = tmp_path / "junk.md"
    path.write_bytes(b"# L\n## A\n\xff\xfe\x00\x01junk\n[Arxiv'24] [T](https://arxiv.org/abs/2401.00001)\n")
    parsed = parse_list_file(path)
    assert [p.key for p in parsed.papers] == ["arxiv:2401.00001"]
    assert any(w.line == 3 and "not UTF-8" in w.message for w in parsed.warnings)


def test_parsing_all_versions_is_fast():
    import time

    start = time.perf_counter()
    for path in list_versions():
        parse_list_file(path)
    assert time.perf_counter() - start < 15  # the 5 s target is measured in bench/build.py


def test_parsing_pauses_the_cyclic_collector_and_leaves_it_as_it_was(monkeypatch):
    from kg import listparse

    during = []
    read = listparse._ListReader.read
    monkeypatch.setattr(
        listparse._ListReader, "read", lambda self, text: during.append(gc.isenabled()) or read(self, text)
    )
    text = "# L\n\n## A\n\n[Arxiv'24] [Sparse Experts](https://arxiv.org/abs/2401.00001)\n"
    assert len(parse_list_text(text).papers) == 1 and during == [False] and gc.isenabled()
    gc.disable()
    try:
        parse_list_text(text)
        assert not gc.isenabled()
    finally:
        gc.enable()
