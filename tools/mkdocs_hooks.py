"""MkDocs hooks: pages whose content comes from the code, so the docs cannot drift from it.

A page holds a marker comment and the hook writes the content in its place:
- `<!-- saved-queries -->`: every saved query (kg/queries/*.rq) from its header: title,
  description, parameters with their types and defaults, and the SPARQL;
- `<!-- vocabulary -->`: every class, property and named individual of ontology/awesome-kg.ttl
  with its label, comment, super-class or domain and range.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY = ROOT / "ontology" / "awesome-kg.ttl"


def on_page_markdown(markdown: str, page, config, files) -> str:
    if "<!-- saved-queries -->" in markdown:
        markdown = markdown.replace("<!-- saved-queries -->", saved_queries_markdown())
    if "<!-- vocabulary -->" in markdown:
        markdown = markdown.replace("<!-- vocabulary -->", vocabulary_markdown())
    return markdown


def cell(text: str) -> str:
    """Text for one Markdown table cell: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


def saved_queries_markdown() -> str:
    from kg.savedqueries import saved_queries

    parts = []
    for saved in saved_queries().values():
        parts += [f"## {saved.name}", "", f"**{saved.title}.** {saved.description}", ""]
        if saved.params:
            parts += ["| parameter | type | default | what it is |", "|---|---|---|---|"]
            parts += [
                f"| `{p.name}` | {cell(p.type_text)} | {'required' if p.default is None else cell(p.default)} "
                f"| {cell(p.description)} |"
                for p in saved.params
            ]
            parts.append("")
        parts += ["```sparql", saved.text.strip(), "```", ""]
    return "\n".join(parts)


def vocabulary_markdown() -> str:
    import rdflib
    import rdflib.collection
    from rdflib.namespace import OWL, RDF, RDFS

    graph = rdflib.Graph().parse(ONTOLOGY)
    akg = "https://w3id.org/awesome-kg/ontology#"

    def short(term) -> str:
        """`akg:ListedPaper`; a union class as its members joined by "or"."""
        if isinstance(term, rdflib.BNode) and (members := graph.value(term, OWL.unionOf)) is not None:
            return " or ".join(short(m) for m in rdflib.collection.Collection(graph, members))
        return graph.namespace_manager.normalizeUri(term) if isinstance(term, rdflib.URIRef) else str(term)

    def terms(kind) -> list:
        return sorted((t for t in graph.subjects(RDF.type, kind) if str(t).startswith(akg)), key=str)

    parts = ["## Classes", "", "| class | subclass of | label | what it is |", "|---|---|---|---|"]
    for term in terms(OWL.Class):
        parents = ", ".join(f"`{short(p)}`" for p in sorted(graph.objects(term, RDFS.subClassOf), key=str))
        parts.append(
            f"| `{short(term)}` | {parents} | {cell(graph.value(term, RDFS.label) or '')} "
            f"| {cell(graph.value(term, RDFS.comment) or '')} |"
        )
    for title, kind in (("Object properties", OWL.ObjectProperty), ("Datatype properties", OWL.DatatypeProperty)):
        parts += ["", f"## {title}", "", "| property | domain | range | label | what it is |", "|---|---|---|---|---|"]
        for term in terms(kind):
            domain, range_ = graph.value(term, RDFS.domain), graph.value(term, RDFS.range)
            parts.append(
                f"| `{short(term)}` | {f'`{short(domain)}`' if domain else ''} "
                f"| {f'`{short(range_)}`' if range_ else ''} | {cell(graph.value(term, RDFS.label) or '')} "
                f"| {cell(graph.value(term, RDFS.comment) or '')} |"
            )
    parts += ["", "## Named individuals", "", "| individual | type | label | what it is |", "|---|---|---|---|"]
    for term in terms(OWL.NamedIndividual):
        kinds = ", ".join(
            f"`{short(k)}`" for k in sorted(graph.objects(term, RDF.type), key=str) if k != OWL.NamedIndividual
        )
        parts.append(
            f"| `{short(term)}` | {kinds} | {cell(graph.value(term, RDFS.label) or '')} "
            f"| {cell(graph.value(term, RDFS.comment) or '')} |"
        )
    return "\n".join(parts) + "\n"
