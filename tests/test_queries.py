"""Saved queries: each one answers a question about a small list whose answer is known.

The known graph is built the way `kg build` builds one: a list written here is parsed,
Semantic Scholar-shaped records written here are mapped by kg.graphmap. Every expected
answer below follows from that input by hand (the comments say how). test_push.py runs
the same queries against a real SPARQL server holding this graph; checks on the real
default build close the file.
"""

from __future__ import annotations

import json
from xml.dom import minidom

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from kg.cli import main
from kg.counts import add_counts
from kg.enrich import Enrichment
from kg.graphmap import enrichment_quads, graph_provenance_quads, list_quads
from kg.listparse import parse_list_text
from kg.query import QueryError, collect, write
from kg.savedqueries import (
    PAPER_PROPERTIES,
    bind_params,
    load_query,
    node_named,
    parse_saved_query,
    run_saved,
    saved_queries,
    text_for,
    where_group_start,
    with_values,
)
from kg.store import KnowledgeGraph
from kg.vocab import paper_iri

KNOWN_LIST = """# Known list

## Compression

### Pruning
[Arxiv'24] [Prune A: Expert pruning](https://arxiv.org/abs/2401.00001) [[Code](https://github.com/lab/prune-a)]

[ICML'23] [Prune B: Router-guided pruning](https://arxiv.org/abs/2301.00002)

### Quantization
[Arxiv'24] [Quant C: Low-bit experts](https://arxiv.org/abs/2402.00003)

[Arxiv'23] [Prune B: Router-guided pruning](https://arxiv.org/abs/2301.00002)

### Others

## Serving
[NeurIPS'24] [Serve D: Offloading experts](https://arxiv.org/abs/2403.00004)

[Arxiv'24] [Lonely E: An unrelated idea](https://arxiv.org/abs/2404.00005)

### Others

## Models
[Arxiv'24] [Big technical report](https://arxiv.org/abs/2405.00006)

| Model | Experts | Para. | Time |
|---|---|---|---|
| [Big](https://huggingface.co/org/big) [[Tech Report](https://arxiv.org/abs/2405.00006)] | 2/64/1 | 100B | 2024.5 |
| [Small](https://huggingface.co/org/small) | 1/8/0 | 7B | 2023.12 |
"""

ALICE, BOB, CAROL, DAVE = (
    {"authorId": str(n), "name": name}
    for n, name in enumerate(("Alice Adams", "Bob Brown", "Carol Chen", "Dave Diaz"), 1)
)
WORKS = {  # arXiv id: (title, date, venue, citationCount, authors); X and Y are outside works
    "A": ("2401.00001", "Prune A: Expert pruning", "2024-01-05", "arXiv.org", 50, [ALICE, BOB]),
    "B": ("2301.00002", "Prune B: Router-guided pruning", "2023-01-10", "ICML", 300, [BOB, CAROL]),
    "C": ("2402.00003", "Quant C: Low-bit experts", "2024-02-01", "ACL 2024", 10, [ALICE]),
    "D": ("2403.00004", "Serve D: Offloading experts", "2024-03-01", "NeurIPS", 5, [DAVE, ALICE]),
    "F": ("2405.00006", "Big: a technical report", "2024-05-01", "arXiv.org", 1000, [CAROL]),
    "X": ("2001.00010", "Outside X: The origin of experts", "2020-01-01", None, None, []),
    "Y": ("2002.00011", "Pruning at scale", "2020-02-01", None, None, []),
}
CITATIONS = [("A", "B"), ("A", "X"), ("A", "Y"), ("B", "X"), ("C", "A"), ("C", "X"), ("C", "Y"), ("D", "C"), ("D", "X")]
ENRICHED = ("A", "B", "C", "D", "F")  # E was not found anywhere
TITLE = {
    "A": "Prune A: Expert pruning",
    "B": "Prune B: Router-guided pruning",
    "C": "Quant C: Low-bit experts",
    "D": "Serve D: Offloading experts",
    "E": "Lonely E: An unrelated idea",
    "F": "Big technical report",
    "X": "Outside X: The origin of experts",
    "Y": "Pruning at scale",
}


def edge_record(key: str) -> dict:
    arxiv, title, date, *_ = WORKS[key]
    return {"paperId": f"s2-{key}", "externalIds": {"ArXiv": arxiv}, "title": title, "year": int(date[:4])}


def full_record(key: str) -> dict:
    arxiv, title, date, venue, count, authors = WORKS[key]
    record = dict(
        edge_record(key),
        publicationDate=date,
        venue=venue,
        citationCount=count,
        authors=authors,
        references=[edge_record(b) for a, b in CITATIONS if a == key],
        citations=[edge_record(a) for a, b in CITATIONS if b == key],
    )
    if key == "C":  # Semantic Scholar calls C's citation of A influential
        record["citationDetails"] = [
            {"citedPaper": edge_record("A"), "isInfluential": True, "intents": ["methodology"]}
        ]
    return record


def known_graph() -> KnowledgeGraph:
    """The known list mapped as a build maps it (also pushed to a real server in test_push)."""
    parsed = parse_list_text(KNOWN_LIST, "known.md")
    enrichments = {
        f"arxiv:{WORKS[k][0]}": Enrichment(full_record(k), "semantic-scholar", "2025-01-01T00:00:00+00:00")
        for k in ENRICHED
    }
    graph = KnowledgeGraph(
        [
            *list_quads(parsed, "known"),
            *enrichment_quads(parsed, enrichments),
            *graph_provenance_quads("0" * 64, "known"),
        ]
    )
    add_counts(graph)
    return graph


@pytest.fixture(scope="module")
def known():
    return known_graph()


def iri(key: str) -> str:
    return paper_iri(f"arxiv:{dict(WORKS, E=('2404.00005',))[key][0]}")


def answer(graph, name: str, **params):
    """Rows of a saved query as tuples of plain values (None where unbound)."""
    result = collect(run_saved(graph, load_query(name), params))
    return [tuple(None if t is None else t.value for t in row) for row in result.rows], result.variables


def column(graph, name: str, wanted: list[str], **params):
    rows, variables = answer(graph, name, **params)
    return [tuple(row[variables.index(c)] for c in wanted) for row in rows]


# name -> (parameters, columns compared, expected rows in order)
KNOWN_ANSWERS = {
    # Compression holds A, B (Pruning, B also Quantization) and C; Others are empty.
    "papers-per-heading": (
        {},
        ["heading", "level", "listedHere", "withSubheadings"],
        [
            ("Compression", "1", "0", "3"),
            ("Pruning", "2", "2", "2"),
            ("Quantization", "2", "2", "2"),
            ("Others", "2", "0", "0"),
            ("Serving", "1", "2", "2"),
            ("Others", "2", "0", "0"),
            ("Models", "1", "1", "1"),
        ],
    ),
    # citationCount as written; E has none, so it comes last; in-list citers: A<-C, B<-A, C<-D.
    "most-cited": (
        {},
        ["title", "citations", "citedInList"],
        [
            (TITLE["F"], "1000", "0"),
            (TITLE["B"], "300", "1"),
            (TITLE["A"], "50", "1"),
            (TITLE["C"], "10", "1"),
            (TITLE["D"], "5", "0"),
            (TITLE["E"], None, "0"),
        ],
    ),
    "most-cited-in-list": (
        {},
        ["title", "citedInList", "citations"],
        [(TITLE["B"], "1", "300"), (TITLE["A"], "1", "50"), (TITLE["C"], "1", "10")],
    ),
    # D (Serving) cites C (Quantization, under Compression).
    "cites-across": (
        {"from": "Serving", "to": "Compression"},
        ["citingTitle", "citedTitle"],
        [(TITLE["D"], TITLE["C"])],
    ),
    # X is cited by A, B, C, D; Y by A and C.
    "missing-candidates": ({}, ["title", "year", "citedBy"], [(TITLE["X"], "2020", "4"), (TITLE["Y"], "2020", "2")]),
    # E has no record at all; F has one but no citation among listed papers.
    "isolated-papers": ({}, ["title", "enriched"], [(TITLE["F"], "true"), (TITLE["E"], "false")]),
    # Alice wrote A, C, D (first on A and C); Bob A, B (first on B); Carol B, F (first on F); Dave D (first).
    "top-authors": (
        {},
        ["name", "papers", "firstAuthor"],
        [("Alice Adams", "3", "2"), ("Bob Brown", "2", "1"), ("Carol Chen", "2", "1"), ("Dave Diaz", "1", "1")],
    ),
    # Pruning (A, B) and Quantization (B, C) share Alice, Bob, Carol; Alice also wrote D (Serving),
    # Carol also F (Models).
    "coauthors-across-headings": (
        {},
        ["headingA", "headingB", "sharedAuthors", "forExample"],
        [
            ("Pruning", "Quantization", "3", "Alice Adams"),
            ("Pruning", "Serving", "1", "Alice Adams"),
            ("Pruning", "Models", "1", "Carol Chen"),
            ("Quantization", "Serving", "1", "Alice Adams"),
            ("Quantization", "Models", "1", "Carol Chen"),
        ],
    ),
    # Years from the records; E (not enriched) falls back to its list tag Arxiv'24.
    "papers-by-year": (
        {},
        ["heading", "year", "papers"],
        [
            ("Compression", "2023", "1"),
            ("Compression", "2024", "2"),
            ("Pruning", "2023", "1"),
            ("Pruning", "2024", "1"),
            ("Quantization", "2023", "1"),
            ("Quantization", "2024", "1"),
            ("Serving", "2024", "2"),
            ("Models", "2024", "1"),
        ],
    ),
    # C is tagged Arxiv and published at ACL 2024; A is tagged Arxiv but only on arXiv.org.
    "published-preprints": ({}, ["title", "listedAs", "publishedAt"], [(TITLE["C"], "Arxiv", "ACL 2024")]),
    "papers-with-code": ({}, ["title", "code"], [(TITLE["A"], "https://github.com/lab/prune-a")]),
    # One hop from A: B, X, Y (A cites them), C (cites A); two hops adds D (cites C).
    "citation-neighbourhood": (
        {"paper": "2401.00001"},
        ["title", "distance", "listed"],
        [
            (TITLE["B"], "1", "true"),
            (TITLE["C"], "1", "true"),
            (TITLE["X"], "1", "false"),
            (TITLE["Y"], "1", "false"),
            (TITLE["D"], "2", "true"),
        ],
    ),
    # D -> C -> A -> B is the only chain.
    "citation-path": (
        {"from": "Serve D", "to": "Prune B"},
        ["hops", "via1", "via2", "via3"],
        [("3", TITLE["C"], TITLE["A"], None)],
    ),
    "models-by-experts": (
        {},
        ["model", "totalExperts", "activeExperts", "sharedExperts", "parameters", "released", "report"],
        [("Big", "64", "2", "1", "100B", "2024-05", TITLE["F"]), ("Small", "8", "1", "0", "7B", "2023-12", None)],
    ),
    "influential-citations": ({}, ["citingTitle", "citedTitle"], [(TITLE["C"], TITLE["A"])]),
    # Listed papers first, then outside works; case is ignored.
    "search-titles": (
        {"text": "PRUNING"},
        ["title", "listed"],
        [(TITLE["A"], "true"), (TITLE["B"], "true"), (TITLE["Y"], "false")],
    ),
    "multi-heading-papers": ({}, ["title", "heading"], [(TITLE["B"], "Pruning"), (TITLE["B"], "Quantization")]),
    # E sits on line 20 of the list.
    "unenriched-papers": ({}, ["title", "line", "link"], [(TITLE["E"], "20", "https://arxiv.org/abs/2404.00005")]),
}


def test_every_saved_query_has_a_known_answer_test():
    assert set(saved_queries()) == set(KNOWN_ANSWERS)
    assert len(saved_queries()) >= 15


@pytest.mark.parametrize("name", sorted(KNOWN_ANSWERS))
def test_saved_query_gives_the_known_answer(known, name):
    params, wanted, expected = KNOWN_ANSWERS[name]
    assert column(known, name, wanted, **params) == expected


def test_missing_candidates_threshold_is_a_parameter(known):
    assert column(known, "missing-candidates", ["title"], min="3") == [(TITLE["X"],)]
    assert column(known, "missing-candidates", ["title"], min="5") == []


def test_neighbourhood_depth_one_stops_at_direct_links(known):
    assert column(known, "citation-neighbourhood", ["work"], paper="2401.00001", depth="1") == [
        (iri("B"),),
        (iri("C"),),
        (iri("X"),),
        (iri("Y"),),
    ]


def test_hops_deeper_than_the_depth_are_left_out_and_the_whole_text_answers_the_same(known):
    saved = load_query("citation-neighbourhood")
    walks = ("BIND(2 AS ?hops)", "BIND(3 AS ?hops)")
    for depth, kept in (("1", (False, False)), ("2", (True, False)), ("3", (True, True))):
        bindings = bind_params(known, saved, {"paper": "2403.00004", "depth": depth})
        text = text_for(saved, bindings)
        assert tuple(walk in text for walk in walks) == kept
        whole = collect(known.query(with_values(saved.text, bindings)))
        assert collect(known.query(with_values(text, bindings))).rows == whole.rows
        # D cites C and X; they link A, Y and B; nothing lies three hops away only
        assert len(whole.rows) == {"1": 2, "2": 5, "3": 5}[depth]


def test_citation_path_prefers_the_direct_citation(known):
    # A cites X directly and also through B; only the one-hop chain is the shortest.
    direct = column(known, "citation-path", ["hops", "via1"], **{"from": "2401.00001", "to": "2001.00010"})
    assert direct == [("1", None)]
    assert column(known, "citation-path", ["hops"], **{"from": "Prune B", "to": "Serve D"}) == []


@pytest.mark.parametrize(
    "value",
    [
        "2401.00001",
        "arXiv:2401.00001",
        "ARXIV:2401.00001",
        "s2-A",
        "https://w3id.org/awesome-kg/id/paper/arxiv/2401.00001",
        "<https://w3id.org/awesome-kg/id/paper/arxiv/2401.00001>",
        "expert pruning",
        "Prune A: Expert pruning",
    ],
)
def test_a_paper_can_be_named_the_ways_a_reader_knows_it(known, value):
    saved = load_query("citation-neighbourhood")
    assert bind_params(known, saved, {"paper": value})["paper"].value == iri("A")


def test_an_identifier_or_title_as_written_names_its_paper_without_the_lookup(known):
    """Every value of the lookup's properties that one paper has names that paper at once;
    the same value in other case, or a part of a title, is left to the lookup."""
    values: dict[str, set[str]] = {}
    query = f"SELECT ?p ?v WHERE {{ VALUES ?property {{ {PAPER_PROPERTIES} }} ?p a fabio:Expression ; ?property ?v }}"
    for row in known.query(query):
        values.setdefault(row["v"].value, set()).add(row["p"].value)
    assert len(values) > 20
    for value, papers in values.items():
        named = node_named(known, value, "paper")
        assert (named.value if named else None) == (next(iter(papers)) if len(papers) == 1 else None), value
    assert node_named(known, "ARXIV:2401.00001", "paper") is None
    assert node_named(known, "expert pruning", "paper") is None


@pytest.mark.parametrize(
    "value",
    [
        "Quantization",
        "quantization",
        "compression/quantization",
        "https://w3id.org/awesome-kg/id/list/known/heading/compression/quantization",
    ],
)
def test_a_heading_can_be_named_by_label_key_or_iri(known, value):
    bound = bind_params(known, load_query("cites-across"), {"from": value, "to": "Pruning"})
    assert bound["from"].value.endswith("/heading/compression/quantization")


@pytest.mark.parametrize(
    "params, message",
    [
        ({"from": "Serving"}, "parameter 'to' of cites-across is required"),
        (
            {"from": "Serving", "to": "Pruning", "depth": "2"},
            "unknown parameter 'depth' for cites-across (its parameters: from, to)",
        ),
        ({"from": "Nowhere", "to": "Pruning"}, "parameter 'from': no heading in the graph matches 'Nowhere'"),
        ({"from": "Others", "to": "Pruning"}, "parameter 'from': 'Others' matches 2 headings"),
    ],
)
def test_bad_heading_parameters_say_which_parameter_and_why(known, params, message):
    with pytest.raises(QueryError, match=message.replace("(", r"\(").replace(")", r"\)")):
        bind_params(known, load_query("cites-across"), params)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"paper": "2401.00001", "depth": "two"}, "parameter 'depth': expected an integer from 1 to 3, got 'two'"),
        ({"paper": "2401.00001", "depth": "4"}, "parameter 'depth': expected an integer from 1 to 3, got 4"),
        ({"paper": "Prune"}, "parameter 'paper': 'Prune' matches 2 papers"),
        ({"paper": "9999.99999"}, "parameter 'paper': no paper in the graph matches '9999.99999'"),
        ({"paper": ""}, "parameter 'paper': expected an arXiv id"),
    ],
)
def test_bad_paper_and_integer_parameters_say_which_parameter_and_why(known, params, message):
    with pytest.raises(QueryError, match=message):
        bind_params(known, load_query("citation-neighbourhood"), params)


@pytest.mark.parametrize("text", ['x" } } SELECT * WHERE { ?s ?p ?o', "') } ; DROP ALL #", '\\" \n }'])
def test_a_parameter_value_never_becomes_query_text(known, text):
    assert collect(run_saved(known, load_query("search-titles"), {"text": text})).rows == []
    bound = with_values(load_query("search-titles").text, {"text": ox.Literal(text)})
    assert collect(known.query(bound)).variables == ["title", "listed", "work"]


def test_values_block_opens_the_top_level_where_group():
    text = (
        '# WHERE { in a comment\nSELECT ?x ("WHERE {" AS ?s) ?where WHERE {\n'
        "  { SELECT ?y WHERE { ?y ?p ?o } } ?x ?p ?o }"
    )
    bound = with_values(text, {"x": ox.NamedNode("urn:x")})
    assert bound.endswith("WHERE { VALUES (?x) { (<urn:x>) }\n  { SELECT ?y WHERE { ?y ?p ?o } } ?x ?p ?o }")
    assert where_group_start("SELECT * { ?s ?p ?o }") == len("SELECT * {")
    assert where_group_start("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }") == len("CONSTRUCT { ?s ?p ?o } WHERE {")


@pytest.mark.parametrize(
    "header, message",
    [
        ("#+ param: n number = 2 -- a count", "cannot read parameter 'n number = 2 -- a count'"),
        ("#+ param: missing string -- not used", "parameter 'missing' is not a variable of the query"),
        ("#+ parm: n integer -- typo", "unknown header key 'parm'"),
        ("#+ param: n integer(1..3) = 9 -- out of its own range", "expected an integer from 1 to 3, got 9"),
    ],
)
def test_a_query_file_with_a_bad_header_is_refused_with_the_line(header, message):
    with pytest.raises(QueryError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_saved_query("mine", f"{header}\nSELECT ?n WHERE {{ BIND(1 AS ?n) }}\n", "mine.rq")


def test_a_when_line_must_name_an_integer_parameter():
    text = "#+ param: n string -- text\nSELECT ?n WHERE {\n  { BIND(1 AS ?m) }  #+ when n >= 2\n}\n"
    with pytest.raises(QueryError, match="mine.rq:3: `#\\+ when` names 'n', not an integer parameter"):
        parse_saved_query("mine", text, "mine.rq")


def test_user_query_files_take_parameters_like_saved_ones(known, tmp_path, default_build):
    rq = tmp_path / "by-venue.rq"
    rq.write_text(
        "#+ title: By venue\n#+ description: Listed papers with a venue tag.\n"
        "#+ param: venue string = ICML -- the tag\n"
        "SELECT ?title ?venue WHERE { ?p akg:listedVenue ?venue ; dcterms:title ?title }\n"
    )
    assert column(known, str(rq), ["title"]) == [(TITLE["B"],)]
    result = CliRunner().invoke(
        main, ["query", str(default_build.out), str(rq), "--param", "venue=ICCAD", "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    assert "Edge-MoE: Memory-Efficient Multi-Task Vision Transformer" in result.output


def test_unknown_saved_query_names_suggest_close_ones():
    with pytest.raises(QueryError, match="no saved query named 'most-citd'; did you mean most-cited"):
        load_query("most-citd")


def test_results_writers_round_trip_every_kind_of_term(known):
    text = (
        "SELECT ?iri ?plain ?typed ?lang ?blank ?unbound WHERE { "
        'VALUES ?iri { <https://example.org/a> } BIND("tab\\there, \\"quoted\\"" AS ?plain) '
        'BIND(42 AS ?typed) BIND(STRLANG("Mischung", "de") AS ?lang) BIND(BNODE("b") AS ?blank) }'
    )
    original = collect(known.query(text))
    for fmt, results_format in (
        ("json", ox.QueryResultsFormat.JSON),
        ("xml", ox.QueryResultsFormat.XML),
        ("tsv", ox.QueryResultsFormat.TSV),
    ):
        parsed = collect(ox.parse_query_results(write(original, fmt), format=results_format))
        assert parsed.variables == original.variables
        assert [[t if not isinstance(t, ox.BlankNode) else "bnode" for t in row] for row in parsed.rows] == [
            [t if not isinstance(t, ox.BlankNode) else "bnode" for t in row] for row in original.rows
        ]
    csv_text = write(original, "csv").decode()
    assert csv_text.startswith("iri,plain,typed,lang,blank,unbound\r\n")
    assert '"tab\there, ""quoted""",42,Mischung,_:' in csv_text
    assert json.loads(write(collect(known.query("ASK { ?s ?p ?o }")), "json")) == {"head": {}, "boolean": True}
    assert (
        minidom.parseString(write(collect(known.query("ASK { <urn:no> ?p ?o }")), "xml"))
        .getElementsByTagName("boolean")[0]
        .firstChild.data
        == "false"
    )


def test_kg_queries_lists_every_saved_query_with_its_description():
    result = CliRunner().invoke(main, ["queries"])
    assert result.exit_code == 0
    for saved in saved_queries().values():
        assert f"{saved.name}  " in result.output and saved.description in result.output
    assert "parameters: from (heading), to (heading)" in result.output
    shown = CliRunner().invoke(main, ["queries", "citation-neighbourhood"])
    assert "--param depth=...  integer 1..3, default 2" in shown.output and "SELECT" in shown.output


def test_kg_query_runs_saved_queries_on_the_default_build(default_build):
    out = str(default_build.out)
    cited = CliRunner().invoke(main, ["query", out, "most-cited-in-list", "--limit", "2", "--format", "csv"])
    assert cited.exit_code == 0, cited.output
    lines = cited.output.strip().splitlines()
    assert lines[0] == "title,citedInList,citations,paper" and len(lines) == 3
    table = CliRunner().invoke(main, ["query", out, "papers-per-heading", "--limit", "3"])
    assert "first 3 rows (--limit 3; there are more)" in table.output
    across = ["query", out, "cites-across", "--param", "from=Pruning", "--param", "to=Quantization"]
    shown = CliRunner().invoke(main, across)
    assert "MoE-Pruner" in shown.output and "2 rows" in shown.output
    bad = CliRunner().invoke(main, ["query", out, "cites-across", "--param", "from=Pruning"])
    assert bad.exit_code == 1 and "parameter 'to' of cites-across is required" in bad.output
    malformed = CliRunner().invoke(main, ["query", out, "cites-across", "--param", "from"])
    assert malformed.exit_code == 1 and "--param 'from': expected NAME=VALUE" in malformed.output


def test_default_build_answers_from_the_list_and_the_snapshot(default_graph):
    """Facts from the shipped list (its headings) and the seed snapshot (gathered from the papers)."""
    per_heading = dict(column(default_graph, "papers-per-heading", ["heading", "withSubheadings"]))
    assert per_heading["Model Compression"] == "7"  # 2 pruning + 4 quantization + 1 distillation
    assert per_heading["Survey"] == "2"
    published = {title for (title,) in column(default_graph, "published-preprints", ["title"])}
    assert any(t.startswith("MC-MoE") for t in published) and any(t.startswith("QMoE") for t in published)
    assert not any(t.startswith("EPS-MoE") for t in published)  # still an arXiv preprint
    code = column(default_graph, "papers-with-code", ["code"])
    assert ("https://github.com/efeslab/fiddler",) in code
    across = column(
        default_graph, "cites-across", ["citingTitle", "citedTitle"], **{"from": "Pruning", "to": "Model Compression"}
    )
    assert any(a.startswith("MoE-Pruner") and b.startswith("Diversifying the Expert Knowledge") for a, b in across)


@pytest.mark.parametrize("title", ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\tTabbed", "\rReturn"])
def test_kg_query_csv_for_spreadsheets_never_starts_a_formula_but_the_protocol_stays_exact(title):
    """OWASP's rule in the CSV `kg query` writes; `kg serve`'s text/csv answer is SPARQL 1.1 CSV, exact."""
    import csv
    import io

    from kg.query import render, write

    title_property = ox.NamedNode("http://purl.org/dc/terms/title")
    graph = KnowledgeGraph([ox.Quad(ox.NamedNode("https://example.org/p"), title_property, ox.Literal(title))])
    sparql = "SELECT ?t WHERE { ?p dcterms:title ?t }"
    spreadsheet = list(csv.reader(io.StringIO(render(graph.query(sparql), "csv"), newline="")))
    assert spreadsheet == [["t"], ["'" + title]]
    exact = list(csv.reader(io.StringIO(write(collect(graph.query(sparql)), "csv").decode("utf-8"), newline="")))
    assert exact == [["t"], [title]]


# The formulations the saved queries had before they were reshaped for speed (Oxigraph's
# hash joins, MINUS): each must still give exactly the rows, in the order, these gave.
PREVIOUS_FORMULATIONS = {
    "cites-across": """
#+ param: from heading -- the citing side: a heading's label (Pruning), key (model-compression/pruning) or IRI
#+ param: to heading -- the cited side, in the same forms

SELECT DISTINCT ?citingTitle ?citedTitle ?citing ?cited
WHERE {
  ?citing a akg:ListedPaper ; akg:listedUnder/skos:broader* ?from ; dcterms:title ?citingTitle ;
          cito:cites ?cited .
  ?cited a akg:ListedPaper ; akg:listedUnder/skos:broader* ?to ; dcterms:title ?citedTitle .
  FILTER(?citing != ?cited)
}
ORDER BY ?citingTitle ?citedTitle ?citing ?cited
""",
    "search-titles": """
#+ param: text string -- the words to look for, e.g. offloading

SELECT DISTINCT ?title ?listed ?work
WHERE {
  ?work a fabio:Expression ; dcterms:title|akg:sourceTitle|dcterms:alternative ?matched .
  FILTER(CONTAINS(LCASE(STR(?matched)), LCASE(STR(?text))))
  OPTIONAL { ?work dcterms:title ?workTitle }
  BIND(COALESCE(?workTitle, ?matched) AS ?title)
  BIND(EXISTS { ?work a akg:ListedPaper } AS ?listed)
}
ORDER BY DESC(?listed) ?title ?work
""",
    "coauthors-across-headings": """
SELECT ?headingA ?headingB ?sharedAuthors ?forExample
WHERE {
  {
    SELECT ?a ?b (COUNT(DISTINCT ?author) AS ?sharedAuthors) (MIN(?name) AS ?forExample)
    WHERE {
      { SELECT DISTINCT ?author ?a WHERE { ?paper a akg:ListedPaper ; akg:listedUnder ?a ; dcterms:creator ?author } }
      { SELECT DISTINCT ?author ?b WHERE { ?paper a akg:ListedPaper ; akg:listedUnder ?b ; dcterms:creator ?author } }
      ?a akg:position ?positionA .
      ?b akg:position ?positionB .
      FILTER(?positionA < ?positionB)
      ?author foaf:name ?name .
    }
    GROUP BY ?a ?b
  }
  ?a skos:prefLabel ?headingA ; akg:position ?positionA .
  ?b skos:prefLabel ?headingB ; akg:position ?positionB .
}
ORDER BY DESC(?sharedAuthors) ?positionA ?positionB
""",
    "missing-candidates": """
#+ param: min integer(1..) = 2 -- how many listed papers must cite a work

SELECT (MIN(?workTitle) AS ?title) (MIN(SUBSTR(STR(?issued), 1, 4)) AS ?year) ?citedBy ?work
WHERE {
  ?work akg:citedByListedCount ?citedBy .
  FILTER(?citedBy >= ?min)
  FILTER NOT EXISTS { ?work a akg:ListedPaper }
  OPTIONAL { ?work dcterms:title ?workTitle }
  OPTIONAL { ?work dcterms:issued ?issued }
}
GROUP BY ?work ?citedBy
ORDER BY DESC(?citedBy) ?title ?work
""",
    "most-cited": """
SELECT ?title ?citations ?citedInList ?paper
WHERE {
  SELECT ?paper (MIN(?printed) AS ?title) (MAX(?count) AS ?citations) (MAX(?inList) AS ?citedInList)
  WHERE {
    ?paper a akg:ListedPaper ; dcterms:title ?printed ; akg:citedByListedCount ?inList .
    OPTIONAL { ?paper akg:citationCount ?count }
  }
  GROUP BY ?paper
}
ORDER BY DESC(?citations) DESC(?citedInList) ?title ?paper
""",
    "most-cited-in-list": """
SELECT ?title ?citedInList ?citations ?paper
WHERE {
  SELECT ?paper (MAX(?inList) AS ?citedInList) (MIN(?printed) AS ?title) (MAX(?count) AS ?citations)
  WHERE {
    ?paper a akg:ListedPaper ; akg:citedByListedCount ?inList ; dcterms:title ?printed .
    FILTER(?inList > 0)
    OPTIONAL { ?paper akg:citationCount ?count }
  }
  GROUP BY ?paper
}
ORDER BY DESC(?citedInList) DESC(?citations) ?title ?paper
""",
    "multi-heading-papers": """
SELECT DISTINCT ?title ?heading ?paper
WHERE {
  {
    SELECT ?paper WHERE { ?paper a akg:ListedPaper ; akg:listedUnder ?under }
    GROUP BY ?paper HAVING (COUNT(DISTINCT ?under) > 1)
  }
  ?paper dcterms:title ?title ; akg:listedUnder ?headingIri .
  ?headingIri skos:prefLabel ?heading ; akg:position ?position .
}
ORDER BY ?title ?paper ?position
""",
    "papers-by-year": """
SELECT ?heading ?year (COUNT(DISTINCT ?paper) AS ?papers)
WHERE {
  ?headingIri a skos:Concept ; skos:prefLabel ?heading ; akg:position ?position .
  ?paper a akg:ListedPaper ; akg:listedUnder/skos:broader* ?headingIri .
  {
    SELECT ?paper (MIN(COALESCE(SUBSTR(STR(?issued), 1, 4), STR(?listedYear), "unknown")) AS ?year)
    WHERE {
      ?paper a akg:ListedPaper .
      OPTIONAL { ?paper dcterms:issued ?issued }
      OPTIONAL { ?paper akg:listedYear ?listedYear }
    }
    GROUP BY ?paper
  }
}
GROUP BY ?headingIri ?position ?heading ?year
ORDER BY ?position ?year
""",
    "papers-with-code": """
SELECT DISTINCT ?title ?code ?paper
WHERE {
  ?paper a akg:ListedPaper ; dcterms:title ?title ; akg:codeRepository ?code .
}
ORDER BY ?title ?code
""",
    "published-preprints": """
SELECT DISTINCT ?title ?listedAs ?publishedAt ?paper
WHERE {
  ?paper a akg:ListedPaper ; dcterms:title ?title ; akg:listedVenue ?listedAs ; akg:publishedVenue ?publishedAt .
  FILTER(LCASE(STR(?listedAs)) = "arxiv" && !CONTAINS(LCASE(STR(?publishedAt)), "arxiv"))
}
ORDER BY ?title ?publishedAt
""",
    "top-authors": """
SELECT ?name ?papers ?firstAuthor ?author
WHERE {
  {
    SELECT ?author (MIN(?authorName) AS ?name) (MAX(?count) AS ?papers)
    WHERE { ?author a foaf:Person ; akg:listedPaperCount ?count ; foaf:name ?authorName }
    GROUP BY ?author
  }
  OPTIONAL { ?author akg:firstAuthoredCount ?led }
  BIND(COALESCE(?led, 0) AS ?firstAuthor)
}
ORDER BY DESC(?papers) DESC(?firstAuthor) ?name ?author
""",
    "unenriched-papers": """
SELECT ?title (MIN(?sourceLine) AS ?line) (MIN(STR(?page)) AS ?link) ?paper
WHERE {
  ?paper a akg:ListedPaper ; dcterms:title ?title .
  FILTER NOT EXISTS { ?record foaf:primaryTopic ?paper }
  ?listing akg:listedPaper ?paper ; akg:sourceLine ?sourceLine .
  OPTIONAL { ?paper foaf:page ?page }
}
GROUP BY ?paper ?title
ORDER BY ?line ?paper
""",
    "citation-neighbourhood": """
#+ param: paper paper -- the paper: an arXiv id, DOI, Semantic Scholar id, IRI, or (part of) its title
#+ param: depth integer(1..3) = 2 -- how many hops to follow

SELECT (COALESCE(MIN(?workTitle), STR(?work)) AS ?title) (MIN(?hops) AS ?distance) ?listed ?work
WHERE {
  { ?paper cito:cites|^cito:cites ?work . BIND(1 AS ?hops) }
  UNION
  { ?paper (cito:cites|^cito:cites)/(cito:cites|^cito:cites) ?work . BIND(2 AS ?hops) }
  UNION
  { ?paper (cito:cites|^cito:cites)/(cito:cites|^cito:cites)/(cito:cites|^cito:cites) ?work . BIND(3 AS ?hops) }
  FILTER(?hops <= ?depth && ?work != ?paper)
  OPTIONAL { ?work dcterms:title ?workTitle }
  BIND(EXISTS { ?work a akg:ListedPaper } AS ?listed)
}
GROUP BY ?work ?listed
ORDER BY ?distance DESC(?listed) ?title ?work
""",
    "citation-path": """
#+ param: from paper -- the citing end: an arXiv id, DOI, Semantic Scholar id, IRI, or (part of) its title
#+ param: to paper -- the cited end, in the same forms

SELECT DISTINCT ?hops ?via1 ?via2 ?via3
WHERE {
  BIND(IF(EXISTS { ?from cito:cites ?to }, 1,
       IF(EXISTS { ?from cito:cites/cito:cites ?to }, 2,
       IF(EXISTS { ?from cito:cites/cito:cites/cito:cites ?to }, 3, 4))) AS ?shortest)
  {
    ?from cito:cites ?to .
    BIND(1 AS ?hops)
  } UNION {
    ?from cito:cites ?step1 . ?step1 cito:cites ?to .
    OPTIONAL { ?step1 dcterms:title ?title1 }
    BIND(2 AS ?hops)
  } UNION {
    ?from cito:cites ?step1 . ?step1 cito:cites ?step2 . ?step2 cito:cites ?to .
    OPTIONAL { ?step1 dcterms:title ?title1 }
    OPTIONAL { ?step2 dcterms:title ?title2 }
    BIND(3 AS ?hops)
  } UNION {
    ?from cito:cites ?step1 . ?step1 cito:cites ?step2 . ?step2 cito:cites ?step3 . ?step3 cito:cites ?to .
    OPTIONAL { ?step1 dcterms:title ?title1 }
    OPTIONAL { ?step2 dcterms:title ?title2 }
    OPTIONAL { ?step3 dcterms:title ?title3 }
    BIND(4 AS ?hops)
  }
  FILTER(?hops = ?shortest && ?from != ?to)
  BIND(COALESCE(?title1, STR(?step1)) AS ?via1)
  BIND(COALESCE(?title2, STR(?step2)) AS ?via2)
  BIND(COALESCE(?title3, STR(?step3)) AS ?via3)
}
ORDER BY ?hops ?via1 ?via2 ?via3
""",
}


# The parameters each is compared with, on the known graph and on the shipped list's build:
# for the walks, every depth, and chains of each length the graph has (none too).
PREVIOUS_PARAMETERS = {
    "cites-across": ([{"from": "Serving", "to": "Compression"}], [{"from": "Pruning", "to": "Model Compression"}]),
    "search-titles": ([{"text": "PRUNING"}], [{"text": "expert"}]),
    "citation-neighbourhood": (
        [{"paper": "2401.00001", "depth": depth} for depth in ("1", "2", "3")],
        [{"paper": "2407.06204", "depth": depth} for depth in ("1", "2", "3")],
    ),
    "citation-path": (
        [{"from": "2403.00004", "to": to} for to in ("2402.00003", "2401.00001", "2301.00002", "2404.00005")],
        [{"from": "2407.06204", "to": "1701.06538"}, {"from": "2410.12013", "to": "2112.06905"}],
    ),
}


@pytest.mark.parametrize("name", sorted(PREVIOUS_FORMULATIONS))
@pytest.mark.parametrize("graph_name", ["known", "default_graph"])
def test_reshaped_query_gives_the_rows_of_its_previous_formulation(request, graph_name, name):
    """On the known graph (where each has rows) and on the shipped list's build; a paged query's
    every row (limit 0) and its pages are the previous ordering and slices of it."""
    graph = request.getfixturevalue(graph_name)
    previous = parse_saved_query(name, PREVIOUS_FORMULATIONS[name], f"previous {name}")
    saved = saved_queries()[name]
    paged = "limit" in {p.name for p in saved.params}
    answers = []
    for params in PREVIOUS_PARAMETERS.get(name, ([{}], [{}]))[graph_name == "default_graph"]:
        now = collect(run_saved(graph, saved, {**params, "limit": "0"} if paged else params))
        before = collect(run_saved(graph, previous, params))
        assert (now.variables, now.rows) == (before.variables, before.rows), params
        answers.append(before.rows)
    if name == "citation-path":  # chains of one, two and three hops, and none
        expected = [["1"], ["2"], ["3"], []] if graph_name == "known" else [["1"], ["2"]]
        assert [sorted({row[0].value for row in rows}) for rows in answers] == expected
    else:
        assert all(answers) or graph_name == "default_graph"
    if paged:
        assert collect(run_saved(graph, saved, params)).rows == before.rows[:100]
        for limit, offset in ((2, 0), (3, 1), (1, len(before.rows) - 1), (5, len(before.rows))):
            page = collect(run_saved(graph, saved, {"limit": str(limit), "offset": str(offset)}))
            assert page.rows == before.rows[offset : offset + limit]
