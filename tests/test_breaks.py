"""Rules that once could be broken by one line without any test noticing, each held here by a test.

The cache never trades a complete edge list for a partial one; a title match from another year
is rejected; newer missing papers rank higher; a DOI read from a PDF link is the paper's DOI;
the graph page's inlined files cannot end their element early.
"""

from __future__ import annotations

import pytest

from kg.build import ListSource
from kg.curate.facts import Facts
from kg.curate.suggest import suggest
from kg.enrich.cache import Cache
from kg.identifiers import identifiers_from_url
from kg.listparse import parse_list_text
from kg.page import STATIC, PageError, inline
from s2_fixtures import build_records
from test_enrich import build_against

FIDDLER = "Fiddler: CPU-GPU Orchestration for Fast Inference of Mixture-of-Experts Models"
# Two papers S2 dates 2024 and 2023 that the shipped snapshot does not hold (it would answer instead of S2).
JETMOE = "JetMoE: Reaching Llama2 Performance with 0.1M Dollars"
SWITCHHEAD = "SwitchHead: Accelerating Transformers with Mixture-of-Experts Attention"


def edge_row(items: list[dict], complete: bool) -> dict:
    return {
        "kind": "edges",
        "paper": "c7e493f664b33e2528d10723d4b437a2b9404a1e",
        "direction": "references",
        "items": items,
        "complete": complete,
        "source": "semantic-scholar",
        "retrieved": "2026-11-01T00:00:00+00:00",
    }


def references_of(title: str) -> list[dict]:
    record = next(r for r in build_records() if r["title"] == title)
    return [{"paperId": ref["paperId"], "title": ref["title"]} for ref in record["references"] if ref.get("paperId")]


def test_the_cache_never_replaces_a_complete_edge_list_with_a_partial_one(tmp_path):
    references = references_of(FIDDLER)
    assert len(references) >= 2
    cache = Cache(tmp_path)
    cache.write([edge_row(references, complete=True)])
    cache.write([edge_row(references[:1], complete=False)])  # a later answer that was cut short
    kept = cache.edges(edge_row([], True)["paper"], "references")
    assert kept["complete"] and kept["items"] == references
    cache.write([edge_row(references[:1], complete=True)])  # a complete answer does replace it
    assert cache.edges(edge_row([], True)["paper"], "references")["items"] == references[:1]
    cache.close()


def test_a_title_match_from_another_year_is_rejected_and_one_from_the_same_year_kept(tmp_path):
    from s2_server import S2TestServer

    listfile = tmp_path / "README.md"
    listfile.write_text(
        f"# L\n## Models\n[Arxiv'24] [{JETMOE}](https://example.org/jetmoe)\n\n"
        f"[ICML'15] [{SWITCHHEAD}](https://example.org/switchhead)\n",
        encoding="utf-8",
    )
    with S2TestServer(build_records()) as server:
        result = build_against(server, tmp_path, ListSource.from_path(listfile))
    report = result.manifest["enrichment"]
    assert report["enriched"] == 1 and server.counts["match"] == 2
    assert report["unresolved"] == {"url:example.org/switchhead": f"title match rejected: found '{SWITCHHEAD}' (2023)"}
    titles = {
        row["t"].value
        for row in result.graph.query("SELECT ?t WHERE { ?p a akg:ListedPaper ; akg:s2PaperId ?id ; dcterms:title ?t }")
    }
    assert titles == {JETMOE}


def test_newer_missing_papers_score_higher_by_the_documented_recency(default_build):
    facts = Facts.from_model(default_build.graph)
    newest = max(w.year for w in facts.listed if w.year)
    found = suggest(facts)
    dated = [s for s in found if s.work.year]
    assert len({s.work.year for s in dated}) >= 2, "needs suggestions from different years"
    for s in dated:
        assert s.recency == round(max(0.0, 1.0 - 0.2 * max(0, newest - s.work.year)), 3), s.work.title
    assert any(s.recency > 0 for s in dated)
    same_links = {}
    for s in dated:
        same_links.setdefault(s.links, []).append(s)
    newer_first = [group for group in same_links.values() if len({s.work.year for s in group}) > 1]
    assert newer_first
    for group in newer_first:
        by_year = sorted(group, key=lambda s: -s.work.year)
        assert by_year[0].recency > by_year[-1].recency


@pytest.mark.parametrize(
    "url, doi",
    [
        ("https://link.springer.com/content/pdf/10.1007/s11432-023-3884-3.pdf", "10.1007/s11432-023-3884-3"),
        ("https://dl.acm.org/doi/pdf/10.1145/3649329.3655951.pdf", "10.1145/3649329.3655951"),
        ("https://dl.acm.org/doi/pdf/10.1145/3649329.3655951", "10.1145/3649329.3655951"),
    ],
)
def test_a_doi_read_from_a_pdf_link_is_the_papers_doi(url, doi):
    assert identifiers_from_url(url)["doi"] == doi


def test_a_pdf_link_and_the_doi_page_of_one_paper_are_one_listed_paper():
    parsed = parse_list_text(
        "# L\n## A\n"
        "[DAC'24] [MoE-Lightning](https://dl.acm.org/doi/10.1145/3649329.3655951)\n\n"
        "## B\n[DAC'24] [MoE-Lightning](https://dl.acm.org/doi/pdf/10.1145/3649329.3655951.pdf)\n"
    )
    assert [paper.key for paper in parsed.papers] == ["doi:10.1145/3649329.3655951"]


@pytest.mark.parametrize(
    "text, tag",
    [
        ("let a = 1;</script><script>alert(1)</script>", "script"),
        ("x = '</SCRIPT >'", "script"),
        ("<!-- a comment that never ends in a script", "script"),
        ("body { color: red }</style><script>alert(1)</script>", "style"),
    ],
)
def test_inlined_files_cannot_end_their_element_early(text, tag):
    with pytest.raises(PageError, match="cannot inline"):
        inline(text, tag)


def test_the_page_carries_vis_network_inline(default_build):
    vis = (STATIC / "vis-network.min.js").read_text("utf-8")
    assert len(vis) > 100_000
    assert inline(vis, "script") == vis
    page = (default_build.out / "graph.html").read_text("utf-8")
    assert vis in page and "<script src=" not in page
