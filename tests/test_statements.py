"""A build's statements print as Oxigraph prints the same terms, so graph files keep their bytes."""

from __future__ import annotations

import pyoxigraph as ox

from kg.statements import (
    XSD,
    Literal,
    StatementIndex,
    canonical,
    datetime_literal,
    decimal_literal,
    merged,
    nquads_lines,
    ntriples_lines,
    to_quad,
)
from kg.store import STORE_FOLDER, StoreWriter, spill, write_graph_files

G1, G2 = "https://example.org/g1", "https://example.org/g2"
S, P = "https://example.org/s", "https://example.org/p"
AWKWARD = "".join(chr(code) for code in range(0x80)) + "\u0085\u2028\u2029\ufeff\U0001f600\u00a0"


def oxigraph_nquads(statements) -> str:
    return ox.serialize([to_quad(s) for s in statements], format=ox.RdfFormat.N_QUADS).decode("utf-8")


def test_every_character_is_escaped_as_oxigraph_escapes_it():
    statements = [(S, P, Literal(AWKWARD), G1), (S, P, Literal(AWKWARD, XSD + "token"), G1), (S, P, S + "/o", G1)]
    ours = "".join(nquads_lines(canonical(statements)))
    assert sorted(ours.split("\n")) == sorted(oxigraph_nquads(statements).split("\n"))


def test_typed_values_are_canonical_as_a_store_gives_them_back():
    statements = [
        (S, P, decimal_literal("007.50"), G1),
        (S, P, decimal_literal("16"), G1),
        (S, P, datetime_literal("2026-11-29T00:00:00.000+00:00"), G1),
        (S, P, datetime_literal("2026-11-29T10:00:00+01:00"), G1),
    ]
    store = ox.Store()
    store.extend([to_quad(s) for s in statements])
    assert (
        {q.object.value for q in store}
        == {v[2].value for v in statements}
        == {  # type: ignore[union-attr]
            "7.5",
            "16",
            "2026-11-29T00:00:00Z",
            "2026-11-29T10:00:00+01:00",
        }
    )


def test_the_canonical_form_does_not_depend_on_order_or_repetition():
    statements = [
        (S, P, Literal("b"), G2),
        (S, P, Literal("a"), G1),
        (S, P, Literal("a"), G2),
        (S, P, Literal("a"), G1),
    ]
    graphs = canonical(statements)
    assert graphs == canonical(reversed(statements))
    assert list(graphs) == [G1, G2] and graphs[G2] == sorted(graphs[G2])
    assert len(list(nquads_lines(graphs))) == 3
    assert list(ntriples_lines(graphs)) == [f'<{S}> <{P}> "a" .\n', f'<{S}> <{P}> "b" .\n']


def test_the_index_answers_as_the_store_does():
    statements = [(S, P, Literal("x"), G1), (S, P, S + "/o", G2), (S + "/t", P, Literal("y"), G2)]
    index = StatementIndex(statements)
    assert list(index.pairs(P)) == [(S, "x"), (S, S + "/o"), (S + "/t", "y")]
    assert list(index.pairs(P, G2)) == [(S, S + "/o"), (S + "/t", "y")]
    assert index.subjects(P, S + "/o") == {S}
    assert sorted(index.statements(), key=str) == sorted(statements, key=str)


def test_graphs_written_in_parts_give_the_bytes_of_graphs_written_at_once(tmp_path):
    """The build spills the stated graphs to part files, loads the store from them and merges the
    derived graphs in later: graph.nq, graph.nt and the store hold what one pass would give."""
    stated = [(S, P, Literal(AWKWARD), G1), (S, P, S + "/o", G1), (S + "/t", P, Literal("x\r\ny"), G2)]
    derived = [(S, P, Literal("derived"), G2), (S + "/t", P, Literal("x\r\ny"), G2), (S, P, S + "/c", G1 + "0")]
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    at_once = write_graph_files(canonical(stated + derived), whole)
    parts.mkdir()
    spilled = spill(StatementIndex(stated).canonical_graphs(), parts)
    assert [list(part) for part in spilled.values()] == list(canonical(stated).values())
    files = write_graph_files(merged(spilled, canonical(derived)), parts)
    with StoreWriter(parts) as store:
        store.add(spilled)
        store.add(canonical(derived))
        store.close()
    for name in ("graph.nq", "graph.nt"):
        assert (parts / name).read_bytes() == (whole / name).read_bytes()
    assert (files.quads, files.triples) == (at_once.quads, at_once.triples) == (5, 5)  # one quad stated twice
    loaded = ox.Store.read_only(str(parts / STORE_FOLDER))
    assert set(loaded) == set(ox.parse(path=str(whole / "graph.nq"), format=ox.RdfFormat.N_QUADS))
