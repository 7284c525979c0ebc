"""Related-work clusters: each method finds planted communities, the default build clusters sensibly,
clusters go back into the graph, and the same graph always gives the same clusters."""

from __future__ import annotations

import hashlib
import json
import math
import subprocess
import sys
from collections import Counter

import pytest
from click.testing import CliRunner

from kg.build import build
from kg.cli import main
from kg.clusters import (
    METHODS,
    UNCONNECTED,
    ClusterError,
    add_clusters,
    ari,
    citation_data,
    cluster_papers,
    cluster_quads,
    nmi,
    similarity,
)
from kg.enrich import Enrichment
from kg.graphmap import enrichment_quads, graph_provenance_quads, list_quads
from kg.listparse import parse_list_text
from kg.model import read_model
from kg.store import KnowledgeGraph
from kg.validate import validate

# Three planted groups, each filed under its own heading with its own title words, and one loner.
GROUPS = {
    "Quantization": ("calibration", "bits"),
    "Offloading": ("prefetching", "cpu"),
    "Routing": ("gating", "balance"),
}
PER_GROUP = 5
AUTHORS = ("José Müller", "Ana van der Berg", "Li Wei", "Søren Ødegård", "Zoë Ng")


def hex_id(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def arxiv_id(group: int, i: int) -> str:
    return f"24{group + 1:02d}.{i + 1:05d}"


def planted_graph(*signals: str, noise: bool = True) -> tuple[KnowledgeGraph, dict[str, str]]:
    """A real list and S2-shaped records through the real mapping; returns the graph and paper -> group.

    Signals: "direct" (members cite earlier members), "cocitation" (three outside works cite
    every member), "coupling" (every member cites four outside works). With noise, one
    cross-group link of each kind and a landmark every paper cites blur the picture.
    """
    lines = ["# Planted list", ""]
    for name, (w1, w2) in GROUPS.items():
        lines += [f"## {name}", ""]
        for i in range(PER_GROUP):
            group = list(GROUPS).index(name)
            lines += [
                f"[Arxiv'24] [{name[:2]}{i}: {w1.title()} and {w2} for sparse experts, part {i}]"
                f"(https://arxiv.org/abs/{arxiv_id(group, i)})",
                "",
            ]
    lines += ["## Misc", "", "[Arxiv'24] [Loner: a paper nobody links](https://arxiv.org/abs/2412.00001)", ""]
    parsed = parse_list_text("\n".join(lines), "planted.md")
    records, truth = {}, {}
    for paper in parsed.papers:
        arxiv = paper.ids["arxiv"]
        group = int(arxiv[2:4]) - 1
        i = int(arxiv.split(".")[1]) - 1
        records[paper.key] = {
            "paperId": hex_id(arxiv),
            "externalIds": {"ArXiv": arxiv},
            "title": paper.titles[0],
            "publicationDate": f"202{i % 3}-0{1 + i % 9}-15",
            "year": 2020 + i % 3,
            "authors": [{"name": AUTHORS[(group + i) % len(AUTHORS)]}, {"name": "Kai Stone"}],
            "influentialCitationCount": 10 - i,
            "citationCount": 50 - i,
            "references": [],
            "citations": [],
        }
        if group < len(GROUPS):
            truth[paper.key] = list(GROUPS)[group]

    def ref(arxiv: str) -> dict:
        return {"paperId": hex_id(arxiv), "externalIds": {"ArXiv": arxiv}, "title": records[f"arxiv:{arxiv}"]["title"]}

    for g in range(len(GROUPS)):
        members = [arxiv_id(g, i) for i in range(PER_GROUP)]
        for i, arxiv in enumerate(members):
            record = records[f"arxiv:{arxiv}"]
            if "direct" in signals:
                record["references"] += [ref(other) for other in members[:i]]
            if "coupling" in signals:
                record["references"] += [
                    {"paperId": hex_id(f"ref-{g}-{k}"), "title": f"Foundation {g}{k}", "citationCount": 100}
                    for k in range(4)
                ]
            if "cocitation" in signals:
                record["citations"] += [
                    {"paperId": hex_id(f"citer-{g}-{k}"), "title": f"Follow-up {g}{k}"} for k in range(3)
                ]
            if noise and "coupling" in signals:
                record["references"].append({"paperId": hex_id("landmark"), "title": "Landmark", "citationCount": 9999})
    if noise:
        first_a, first_b = f"arxiv:{arxiv_id(0, 0)}", f"arxiv:{arxiv_id(1, 0)}"
        if "direct" in signals:
            records[f"arxiv:{arxiv_id(0, 4)}"]["references"].append(ref(arxiv_id(1, 0)))
        if "cocitation" in signals:
            for key in (first_a, first_b):
                records[key]["citations"].append({"paperId": hex_id("bridge"), "title": "Bridge"})
        if "coupling" in signals:
            for key in (first_a, first_b):
                records[key]["references"].append({"paperId": hex_id("shared-ref"), "title": "Shared"})
    enrichments = {
        key: Enrichment(record, "semantic-scholar", "2024-11-05T00:00:00+00:00") for key, record in records.items()
    }
    graph = KnowledgeGraph(
        list(list_quads(parsed, "planted", enrichments))
        + list(enrichment_quads(parsed, enrichments))
        + list(graph_provenance_quads(hex_id("planted") + "0" * 24, "planted"))
    )
    from kg.vocab import paper_iri

    return graph, {paper_iri(key): group for key, group in truth.items()}


def found_groups(clustering) -> dict[str, str]:
    return {iri: c.id for c in clustering.clusters for iri in c.members}


@pytest.mark.parametrize("method", METHODS)
def test_each_method_recovers_planted_communities(method):
    signals = ("direct", "cocitation", "coupling") if method == "hybrid" else (method,)
    graph, truth = planted_graph(*signals)
    clustering = cluster_papers(graph, method)
    found = found_groups(clustering)
    assert ari([found[i] for i in truth], list(truth.values())) == 1.0
    assert UNCONNECTED not in {found[i] for i in truth}
    loner = set(found) - set(truth)
    assert len(loner) == 1 and found[loner.pop()] == UNCONNECTED
    assert clustering.agreement()["leaf"] == {"nmi": 1.0, "ari": 1.0}


@pytest.mark.parametrize("signal", ["cocitation", "coupling"])
def test_methods_read_only_their_own_signal(signal):
    """Co-citation sees nothing in a graph of shared references, and coupling nothing in one of shared citers."""
    graph, truth = planted_graph(signal)
    for method in set(METHODS) - {signal, "hybrid"}:
        assert [c.id for c in cluster_papers(graph, method).clusters] == [UNCONNECTED]
    assert len(cluster_papers(graph, "hybrid").clusters) == len(GROUPS) + 1


def test_resolution_trades_fewer_clusters_for_larger_ones():
    graph, truth = planted_graph("direct", "cocitation", "coupling")
    sizes = {r: len(cluster_papers(graph, resolution=r).clusters) for r in (0.05, 1.0, 4.0)}
    assert sizes[0.05] < sizes[1.0] < sizes[4.0]


def test_labels_members_and_builds_on_come_from_the_cluster():
    graph, truth = planted_graph("direct", "cocitation", "coupling")
    clustering = cluster_papers(graph)
    papers, works = clustering.data.papers, read_model(graph).works
    assert len([c for c in clustering.clusters if c.id != UNCONNECTED]) >= 2
    for cluster in clustering.clusters:
        if cluster.id == UNCONNECTED:
            assert cluster.label == "Unconnected"
            continue
        group = truth[cluster.members[0]]
        assert cluster.label == group  # the heading every member sits under
        assert set(cluster.terms) == set(GROUPS[group])  # the words its members share, and only those
        order = [(papers[i].year, -(papers[i].influential_count or 0)) for i in cluster.members]
        assert order == sorted(order)
        builds_on = {works[i].title for i, _ in cluster.builds_on}
        g = list(GROUPS).index(group)
        assert builds_on == {"Landmark"} | {f"Foundation {g}{k}" for k in range(4)}
        assert cluster.elsewhere == []


@pytest.mark.parametrize("which", ["default", "latest"])
def test_cluster_names_are_the_headings_most_members_sit_under(which, default_graph, tmp_path_factory):
    if which == "latest":
        from curate_builds import enriched_build

        graph = enriched_build("2025-10-20_f7ccad0.md", tmp_path_factory).graph
    else:
        graph = default_graph
    clustering = cluster_papers(graph)
    named = [c for c in clustering.clusters if c.id != UNCONNECTED]
    assert named
    for cluster in named:
        headings = clustering.data.headings
        leaf = [(headings[h].label.lower(), n) for h, n in cluster.headings]
        choices = (
            {leaf[0][0]: leaf[0][1], f"{leaf[0][0]} and {leaf[1][0]}": leaf[0][1] + leaf[1][1]}
            if len(leaf) > 1
            else {leaf[0][0]: leaf[0][1]}
        )
        tops = {headings[h].label.lower(): n for h, n in cluster.top_headings}
        held = choices.get(cluster.label.lower(), tops.get(cluster.label.lower()))  # leaf headings, else a top one
        assert held is not None and held * 2 >= cluster.size, (cluster.label, leaf, tops)
        assert ":" not in cluster.label and cluster.terms
    assert len({c.label for c in clustering.clusters}) == len(clustering.clusters)


def test_hybrid_weight_is_the_mean_of_normalized_direct_cocitation_and_coupling(default_graph):
    """Checked against counts taken with SPARQL, independently of the clustering code."""
    data = citation_data(read_model(default_graph))
    hybrid = similarity(data, "hybrid")

    def neighbours(pattern: str, iri: str) -> set[str]:
        from pyoxigraph import NamedNode

        return {
            row["x"].value
            for row in default_graph.query(f"SELECT DISTINCT ?p ?x WHERE {{ {pattern} }}", {"p": NamedNode(iri)})
        }

    assert hybrid
    for a, b, weight in hybrid:
        refs_a, refs_b = neighbours("?p cito:cites ?x", a), neighbours("?p cito:cites ?x", b)
        citers_a, citers_b = neighbours("?x cito:cites ?p", a), neighbours("?x cito:cites ?p", b)
        direct = 1.0 if b in refs_a or a in refs_b else 0.0
        cocited = len(citers_a & citers_b) / math.sqrt(len(citers_a) * len(citers_b)) if citers_a and citers_b else 0
        coupled = len(refs_a & refs_b) / math.sqrt(len(refs_a) * len(refs_b)) if refs_a and refs_b else 0
        assert weight == pytest.approx((direct + cocited + coupled) / 3)
        assert 0 < weight <= 1


def test_default_build_clusters_every_listed_paper_once(default_build, default_graph):
    clustering = cluster_papers(default_graph)
    members = [iri for c in clustering.clusters for iri in c.members]
    listed = {row["p"].value for row in default_graph.query("SELECT ?p WHERE { ?p a akg:ListedPaper }")}
    assert sorted(members) == sorted(listed)
    linked = {iri for edge in clustering.edges for iri in edge[:2]}
    unconnected = next(c for c in clustering.clusters if c.id == UNCONNECTED)
    assert set(unconnected.members) == listed - linked
    # a paper is unconnected exactly when it shares no citing or cited work with another listed paper
    lonely = """SELECT ?p WHERE { ?p a akg:ListedPaper FILTER NOT EXISTS {
        ?q a akg:ListedPaper FILTER (?q != ?p)
        { ?p cito:cites ?q } UNION { ?q cito:cites ?p } UNION { ?p cito:cites ?w . ?q cito:cites ?w }
        UNION { ?w cito:cites ?p . ?w cito:cites ?q } } }"""
    assert set(unconnected.members) == {row["p"].value for row in default_graph.query(lonely)}
    assert len(clustering.clusters) >= 3  # the 12-paper list still splits into groups through outside works


def test_clusters_are_in_the_built_graph_and_sparql_finds_cross_heading_ones(default_graph):
    clustering = cluster_papers(default_graph)
    stored = default_graph.query("""SELECT ?c ?label ?size (COUNT(?p) AS ?members) WHERE {
        ?c a akg:Cluster ; akg:clusterLabel ?label ; akg:clusterSize ?size ; akg:clusterMember ?p .
        ?p akg:memberOf ?c } GROUP BY ?c ?label ?size""")
    rows = {row["label"].value: (int(row["size"].value), int(row["members"].value)) for row in stored}
    assert rows == {c.label: (c.size, c.size) for c in clustering.clusters}
    crossing = default_graph.query("""SELECT ?c (COUNT(DISTINCT ?h) AS ?headings) WHERE {
        ?c a akg:Cluster ; akg:clusterMember/akg:listedUnder ?h FILTER NOT EXISTS { ?c a akg:UnconnectedGroup } }
        GROUP BY ?c HAVING (COUNT(DISTINCT ?h) > 1)""")
    assert {row["c"].value.rsplit("/", 1)[1] for row in crossing} == {
        c.id for c in clustering.clusters if c.id != UNCONNECTED and len(c.headings) > 1
    }
    params = {row["p"].value for row in default_graph.query("SELECT DISTINCT ?p WHERE { ?c akg:clusterParameters ?p }")}
    assert params == {'{"graph": "hybrid", "objective": "modularity", "resolution": 1.0, "seed": 0}'}
    activity = default_graph.query("ASK { ?c prov:wasGeneratedBy ?run . ?run a prov:Activity ; prov:used ?g }")
    assert activity


def test_cluster_quads_validate_and_are_the_same_every_run():
    graph, _ = planted_graph("direct", "cocitation", "coupling")
    first = sorted(map(str, cluster_quads(cluster_papers(graph))))
    assert first == sorted(map(str, cluster_quads(cluster_papers(graph))))
    add_clusters(graph, read_model(graph))
    validate(graph)


def test_build_output_is_byte_identical_across_builds(tmp_path, default_build):
    again = build(out=tmp_path / "again", offline=True, cache_dir=tmp_path / "cache")
    for name in ("clusters.md", "related-work.tex", "references.bib", "clusters.json", "graph.trig"):
        assert (again.out / name).read_bytes() == (default_build.out / name).read_bytes(), name


def test_agreement_scores_match_their_definitions():
    assert ari([0, 0, 1, 1], [1, 1, 0, 0]) == 1.0
    assert ari([0, 0, 1, 1], [0, 0, 1, 2]) == pytest.approx(0.571429)  # scikit-learn's documented example
    assert nmi([0, 0, 1, 1], [0, 0, 1, 2]) == pytest.approx(0.8)
    assert ari([0, 0, 0, 1, 1, 1], [0, 1, 2, 0, 1, 2]) < 0 < ari([0, 0, 0, 1, 1, 1], [0, 0, 0, 1, 1, 2])
    assert nmi([0, 1, 0, 1], [0, 0, 1, 1]) == 0.0


def test_bad_parameters_say_what_was_expected(default_graph):
    with pytest.raises(ClusterError, match="expected one of hybrid, direct, cocitation, coupling"):
        cluster_papers(default_graph, "louvain")
    with pytest.raises(ClusterError, match="positive number"):
        cluster_papers(default_graph, resolution=0)


def test_kg_clusters_prints_a_table(default_build):
    result = CliRunner().invoke(
        main, ["clusters", str(default_build.out), "--method", "coupling", "--resolution", "1.2"]
    )
    assert result.exit_code == 0, result.output
    clustering = cluster_papers(KnowledgeGraph.load(default_build.out), "coupling", 1.2)
    for cluster in clustering.clusters:
        assert cluster.label in result.output
    assert "coupling graph, resolution 1.2" in result.output
    bad = CliRunner().invoke(main, ["clusters", str(default_build.out), "--resolution", "-1"])
    assert bad.exit_code == 1 and "positive number" in bad.output


def test_builds_on_and_references_match_their_definitions_on_the_latest_list(tmp_path_factory):
    """The counts taken on integer arrays against the definitions over the model's citation records: each
    cluster's outside works by the members citing them (ties: the more cited, then title, then IRI)."""
    from curate_builds import enriched_build

    model = read_model(enriched_build("2025-10-20_f7ccad0.md", tmp_path_factory).graph)
    clustering = cluster_papers(model)
    references = model.references()
    listed = {w.iri for w in model.listed}
    assert clustering.data.references == {iri: refs for iri, refs in references.items() if iri in listed}
    found = 0
    for cluster in clustering.clusters:
        cited = Counter(w for iri in cluster.members for w in references.get(iri, ()) if w not in listed)
        works = model.works
        expected = sorted(
            cited.items(),
            key=lambda item: (-item[1], -(works[item[0]].citation_count or 0), works[item[0]].title, item[0]),
        )[:5]
        assert cluster.builds_on == expected
        found += len(expected)
    assert found > len(clustering.clusters)


def test_add_clusters_gives_the_model_the_clusters_it_stored():
    graph, _ = planted_graph("direct", "cocitation", "coupling")
    model = read_model(graph)
    clustering = add_clusters(graph, model)
    assert model.clusters == read_model(graph).clusters  # as a later reader of the graph finds them
    assert len(model.clusters) == len(clustering.clusters) == len(GROUPS) + 1


def test_kg_clusters_imports_no_numpy_scipy_or_igraph_and_igraph_comes_without_matplotlib():
    """A command that does not cluster pays for none of them; clustering imports igraph without the
    matplotlib.pyplot its plotting would pull in (0.4 s), and matplotlib still imports afterwards."""
    script = """
import sys
import kg.build, kg.clusters
heavy = {"numpy", "scipy", "igraph", "matplotlib"} & set(sys.modules)
assert not heavy, heavy
kg.clusters.import_igraph().Graph(n=2, edges=[(0, 1)]).community_leiden(objective_function="modularity")
assert "matplotlib" not in sys.modules, "matplotlib"
import matplotlib.pyplot
print("ok")
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "ok", result.stderr


@pytest.fixture(scope="module")
def latest_model(tmp_path_factory):
    """The latest list version's model (127 papers, a nearly complete hybrid graph)."""
    from curate_builds import enriched_build

    return read_model(enriched_build("2025-10-20_f7ccad0.md", tmp_path_factory).graph)


@pytest.fixture(scope="module")
def latest_data(latest_model):
    return citation_data(latest_model)


@pytest.mark.parametrize("method", METHODS)
def test_similarity_is_the_same_whatever_the_block_of_papers(method, latest_data, monkeypatch):
    """Rows are computed a block of papers at a time: where the blocks end changes no pair or weight, on the
    whole graph or on the strongest links (a larger list's)."""
    import numpy as np

    def graphs() -> list:
        found = [similarity(latest_data, method)]
        with monkeypatch.context() as patch:
            patch.setattr("kg.clusters.WHOLE_GRAPH_UP_TO", 100)
            found.append(similarity(latest_data, method))
        return found

    whole = graphs()
    monkeypatch.setattr("kg.clusters.BLOCK_ROWS", 7)
    for one, other in zip(whole, graphs(), strict=True):
        assert len(one)
        assert all(np.array_equal(getattr(one, k), getattr(other, k)) for k in ("first", "second", "weight"))


@pytest.mark.parametrize("method", METHODS)
def test_a_larger_list_keeps_the_pairs_one_of_its_papers_ranks_among_its_strongest(method, latest_data, monkeypatch):
    """Past WHOLE_GRAPH_UP_TO papers a pair stays when it is among the STRONGEST_LINKS heaviest of either
    paper (ties: the lower paper index), with its weight; no linked paper is left without a link."""
    whole = list(similarity(latest_data, method))
    monkeypatch.setattr("kg.clusters.WHOLE_GRAPH_UP_TO", 100)
    monkeypatch.setattr("kg.clusters.STRONGEST_LINKS", 10)
    kept = list(similarity(latest_data, method))
    index = {iri: k for k, iri in enumerate(latest_data.papers)}
    links: dict[str, list[tuple[float, int, str]]] = {}
    for a, b, weight in whole:
        links.setdefault(a, []).append((-weight, index[b], b))
        links.setdefault(b, []).append((-weight, index[a], a))
    strongest = {(a, other) for a, found in links.items() for _, _, other in sorted(found)[:10]}
    expected = [(a, b, w) for a, b, w in whole if (a, b) in strongest or (b, a) in strongest]
    assert kept == expected
    assert len(kept) < len(whole)
    assert {iri for pair in kept for iri in pair[:2]} == set(links)


def test_a_larger_lists_clustering_says_how_its_graph_and_iterations_were_cut(latest_model, monkeypatch):
    whole = cluster_papers(latest_model)
    assert whole.parameters == {"graph": "hybrid", "objective": "modularity", "resolution": 1.0, "seed": 0}
    monkeypatch.setattr("kg.clusters.WHOLE_GRAPH_UP_TO", 100)
    cut = cluster_papers(latest_model)
    assert cut.parameters == whole.parameters | {"strongest_links": 30, "iterations": 2}
    assert len(cut.similarity) < len(whole.similarity)
    listed = sorted(w.iri for w in latest_model.works.values() if w.listed)
    assert sorted(iri for c in cut.clusters for iri in c.members) == listed
    stored = {s[2] for s in cluster_quads(cut) if s[1].endswith("clusterParameters")}
    assert {json.loads(literal.value)["strongest_links"] for literal in stored} == {30}
