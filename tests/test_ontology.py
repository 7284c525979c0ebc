"""The ontology and the SHACL shapes: they parse, they declare every term the code uses,
and the shapes accept a well-formed graph and reject each kind of broken one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import OWL, RDF, RDFS, SH

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY = ROOT / "ontology" / "awesome-kg.ttl"
SHAPES = ROOT / "ontology" / "shapes.ttl"
AKG = rdflib.Namespace("https://w3id.org/awesome-kg/ontology#")
DCTERMS = rdflib.Namespace("http://purl.org/dc/terms/")
ID = "https://w3id.org/awesome-kg/id/"

# `akg.<name>` / `akg["<name>"]` in the code; attributes of the Namespace helper are not terms.
TERM_USES = re.compile(r"""(?<![\w.])akg\.([A-Za-z_]\w*)|(?<![\w.])akg\[\s*["'](\w+)["']\s*\]""")
NOT_TERMS = {"base"}
PROPERTY_KINDS = {OWL.ObjectProperty, OWL.DatatypeProperty}


@pytest.fixture(scope="module")
def ontology() -> rdflib.Graph:
    return rdflib.Graph().parse(ONTOLOGY, format="turtle")


@pytest.fixture(scope="module")
def shapes() -> rdflib.Graph:
    return rdflib.Graph().parse(SHAPES, format="turtle")


def terms_in_code() -> dict[str, set[str]]:
    """Every akg term named in kg/**/*.py, with the files naming it."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / "kg").rglob("*.py")):
        for match in TERM_USES.finditer(path.read_text(encoding="utf-8")):
            name = match[1] or match[2]
            if name not in NOT_TERMS:
                found.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return found


def kinds(graph: rdflib.Graph, term) -> set:
    return set(graph.objects(term, RDF.type))


def undocumented(graph: rdflib.Graph, term) -> bool:
    return graph.value(term, RDFS.label) is None or graph.value(term, RDFS.comment) is None


# --- (a) both files parse, the ontology has its header ---------------------------------------


def test_both_files_parse(ontology, shapes):
    assert len(ontology) > 100 and len(shapes) > 100


def test_the_ontology_header(ontology):
    header = rdflib.URIRef("https://w3id.org/awesome-kg/ontology")
    assert (header, RDF.type, OWL.Ontology) in ontology
    for prop in (DCTERMS.title, DCTERMS.description, OWL.versionInfo, DCTERMS.creator):
        assert ontology.value(header, prop) is not None, f"ontology header lacks {prop}"
    assert (header, DCTERMS.license, rdflib.URIRef("https://creativecommons.org/licenses/by/4.0/")) in ontology
    assert str(ontology.value(header, DCTERMS.creator)) == "awesome-kg"


# --- (b) every term the code uses is declared and documented ---------------------------------


def test_the_scan_finds_the_terms_of_the_mapping():
    used = terms_in_code()
    assert {"ListedPaper", "listedUnder", "arxiv", "SemanticScholar"} <= used.keys()
    assert not NOT_TERMS & used.keys()


def test_every_term_used_in_the_code_is_declared_with_label_and_comment(ontology):
    problems = []
    for name, files in sorted(terms_in_code().items()):
        term = AKG[name]
        if not kinds(ontology, term):
            problems.append(f"akg:{name} (used in {', '.join(sorted(files))}) is not declared")
        elif undocumented(ontology, term):
            problems.append(f"akg:{name} has no rdfs:label or no rdfs:comment")
    assert not problems, "ontology/awesome-kg.ttl is missing terms:\n" + "\n".join(problems)


def test_every_declared_term_is_documented_and_of_one_kind(ontology):
    problems = []
    declared = {s for s in ontology.subjects(RDF.type, None) if isinstance(s, rdflib.URIRef) and s.startswith(AKG)}
    for term in sorted(declared):
        kind = kinds(ontology, term)
        if undocumented(ontology, term):
            problems.append(f"{term}: no rdfs:label or rdfs:comment")
        if OWL.Class not in kind and not kind & PROPERTY_KINDS and OWL.NamedIndividual not in kind:
            problems.append(f"{term}: neither owl:Class, a property nor an owl:NamedIndividual")
        if kind >= PROPERTY_KINDS:
            problems.append(f"{term}: both an object and a datatype property")
    assert not problems, "\n".join(problems)


def test_the_standard_alignments(ontology):
    fabio = rdflib.Namespace("http://purl.org/spar/fabio/")
    prov = rdflib.Namespace("http://www.w3.org/ns/prov#")
    assert (AKG.ListedPaper, RDFS.subClassOf, fabio.Expression) in ontology
    assert (AKG.listedUnder, RDFS.subPropertyOf, DCTERMS.subject) in ontology
    assert (AKG.SemanticScholar, RDF.type, prov.Agent) in ontology
    assert (AKG.SeedSnapshot, RDF.type, prov.Agent) in ontology
    for name in ("arxiv", "doi", "aclId", "openReviewId", "pmlrId", "ieeeDocument", "s2PaperId", "corpusId"):
        assert (AKG[name], RDFS.subPropertyOf, DCTERMS.identifier) in ontology, name


def test_the_mapping_emits_only_declared_terms_of_the_right_kind(ontology):
    """Catches names built at run time (akg[column], akg[field]) that the source scan cannot see."""
    from kg.enrich import Enrichment
    from kg.graphmap import enrichment_quads, graph_provenance_quads, list_quads
    from kg.listparse import parse_list_text
    from kg.statements import to_quad

    parsed = parse_list_text(MAPPED_LIST, "test.md")
    key = parsed.papers[0].key
    quads = [
        to_quad(statement)
        for statement in [
            *list_quads(parsed, "t"),
            *enrichment_quads(parsed, {key: Enrichment(RECORD, "semantic-scholar", "2026-11-29T12:00:00+00:00")}),
            *graph_provenance_quads("0" * 64, "t"),
        ]
    ]
    problems = set()
    for quad in quads:
        p, o = quad.predicate.value, quad.object
        if p.startswith(str(AKG)):
            kind = kinds(ontology, rdflib.URIRef(p))
            wanted = OWL.DatatypeProperty if type(o).__name__ == "Literal" else OWL.ObjectProperty
            if wanted not in kind:
                problems.add(f"{p} is used with a {type(o).__name__} value but is not an {wanted.n3()}")
        if (
            p == str(RDF.type)
            and o.value.startswith(str(AKG))
            and OWL.Class not in kinds(ontology, rdflib.URIRef(o.value))
        ):
            problems.add(f"{o.value} is used as a class but not declared owl:Class")
        for node in (quad.subject, o):
            if type(node).__name__ == "NamedNode" and node.value.startswith(str(AKG)):
                if undocumented(ontology, rdflib.URIRef(node.value)):
                    problems.add(f"{node.value} is used but not declared with label and comment")
    emitted = {q.predicate.value for q in quads}
    assert {str(AKG.layers), str(AKG.activeExperts), str(AKG.citationCount), str(AKG.intent)} <= emitted
    assert not problems, "\n".join(sorted(problems))


MAPPED_LIST = """# Test list

## Papers

[ICML'24.7] [A Paper](https://arxiv.org/abs/2402.07033) [[Code](https://github.com/x/y)]

## Models

| Reference | Para. | Experts | \\#L | \\#H | $d_{model}$ | $d_{ffn}$ | $d_{expert}$ | Affiliation | Time |
|---|---|---|---|---|---|---|---|---|---|
| [Mod](https://huggingface.co/x/mod) <br /> [[Tech Report](https://arxiv.org/abs/2402.07033)] \
| 46.7B | 2/8/1 | 32 | 32 | 4096 | 14336 | 14336 | Lab | 2023.12 |
"""

OTHER = {
    "paperId": "b" * 40,
    "externalIds": {"ArXiv": "1701.06538", "DOI": "10.1/X"},
    "title": "Other",
    "year": 2017,
    "citationCount": 9,
    "authors": [{"authorId": "7", "name": "N. Shazeer"}],
}
RECORD = {
    "paperId": "a" * 40,
    "externalIds": {"ArXiv": "2402.07033", "CorpusId": 1},
    "corpusId": 1,
    "title": "A paper",
    "abstract": "Text.",
    "venue": "ICML",
    "year": 2024,
    "publicationDate": "2024-02-11",
    "referenceCount": 1,
    "citationCount": 3,
    "influentialCitationCount": 1,
    "publicationTypes": ["Conference"],
    "fieldsOfStudy": ["Computer Science"],
    "tldr": {"text": "Short."},
    "url": "https://www.semanticscholar.org/p/a",
    "openAccessPdf": {"url": "https://arxiv.org/pdf/2402.07033"},
    "authors": [{"authorId": "1", "name": "Ann Author"}, {"authorId": None, "name": "Bob Writer"}],
    "references": [OTHER],
    "citations": [],
    "citationDetails": [{"citedPaper": OTHER, "isInfluential": True, "intents": ["background"]}],
}


# --- (c) the shapes accept a good graph and reject broken ones ------------------------------

PREFIXES = """
@prefix akg: <https://w3id.org/awesome-kg/ontology#> .
@prefix cito: <http://purl.org/spar/cito/> .
@prefix fabio: <http://purl.org/spar/fabio/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix id: <https://w3id.org/awesome-kg/id/> .
"""

VALID = (
    PREFIXES
    + """
id:list-t a akg:PaperList ; dcterms:title "Test list" ; akg:taxonomy id:scheme .
id:scheme a skos:ConceptScheme ; dcterms:title "Taxonomy of Test list" .
id:h-top a skos:Concept ; skos:prefLabel "Systems" ; skos:inScheme id:scheme ; skos:topConceptOf id:scheme ;
    akg:position 0 ; akg:sourceLine 3 .
id:h-sub a skos:Concept ; skos:prefLabel "Offloading" ; skos:inScheme id:scheme ; skos:broader id:h-top ;
    akg:position 1 ; akg:sourceLine 5 .

id:fiddler a akg:ListedPaper , fabio:Expression ;
    dcterms:title "Fiddler: CPU-GPU Orchestration for Fast Inference of MoE Models" ;
    akg:listedTitle "Fiddler: CPU-GPU Orchestration for Fast Inference of MoE Models" ;
    akg:inList id:list-t ; akg:listedUnder id:h-sub , id:h-top ;
    akg:venueTag "Arxiv'24.2" ; akg:listedVenue "Arxiv" ; akg:listedYear "2024"^^xsd:gYear ; akg:listedMonth 2 ;
    akg:arxiv "2402.07033" ; akg:doi "10.48550/arxiv.2402.07033" ;
    akg:s2PaperId "a9d1e0b3c8f27d6e5a4b3c2d1e0f9a8b7c6d5e4f" ; akg:corpusId 267627373 ;
    akg:citationCount 12 ; akg:influentialCitationCount 1 ; akg:referenceCount 40 ;
    cito:cites id:shazeer ; dcterms:creator id:ann ; akg:authorship id:fiddler-a1 .
id:listing-1 a akg:Listing ; akg:listedPaper id:fiddler ; akg:underHeading id:h-sub ;
    akg:printedTitle "Fiddler" ; akg:sourceLine 7 ; akg:venueTag "Arxiv'24.2" .
id:old-style a akg:ListedPaper , fabio:Expression ; dcterms:title "An old paper" ; akg:listedTitle "An old paper" ;
    akg:inList id:list-t ;
    akg:listedUnder id:h-top ; akg:arxiv "hep-th/9901001" .

id:shazeer a fabio:Expression ; dcterms:title "Outrageously Large Neural Networks" ; akg:arxiv "1701.06538" .
id:citation-1 a cito:Citation ; cito:hasCitingEntity id:fiddler ; cito:hasCitedEntity id:shazeer ;
    akg:isInfluential true ; akg:intent "background" , "methodology" .

id:ann a foaf:Person ; foaf:name "Ann Author" ; akg:s2AuthorId "2262347" .
id:fiddler-a1 a akg:Authorship ; akg:author id:ann ; akg:position 1 .

id:mixtral a akg:Model ; rdfs:label "Mixtral-8x7B" ; akg:listedUnder id:h-top ; akg:sourceLine 9 ;
    akg:techReport id:fiddler ; akg:parameters "46.7B" ; akg:parametersBillions 46.7 ;
    akg:activeExperts 2 ; akg:totalExperts 8 ; akg:sharedExperts 0 ; akg:layers 32 ; akg:attentionHeads 32 ;
    akg:dModel 4096 ; akg:dFfn 14336 ; akg:dExpert 14336 ; akg:affiliation "Mistral AI" ;
    akg:releaseMonth "2023-12"^^xsd:gYearMonth .

id:record-1 a prov:Entity ; foaf:primaryTopic id:fiddler ; prov:wasAttributedTo akg:SemanticScholar ;
    prov:generatedAtTime "2026-11-29T12:00:00+00:00"^^xsd:dateTime ; akg:inGraph id:graph-s2 .
id:file-1 a prov:Entity ; akg:sha256 "%s" .
akg:SemanticScholar a prov:Agent ; rdfs:label "Semantic Scholar" .

id:cluster-1 a akg:Cluster ; akg:clusterLabel "Offloading" ; akg:clusterSize 2 ; akg:clusterMethod "leiden" ;
    akg:clusterParameters "{\\"resolution\\": 1.0}" ; akg:clusterMember id:fiddler , id:shazeer .
id:fiddler akg:memberOf id:cluster-1 .
id:shazeer akg:memberOf id:cluster-1 .
"""
    % ("0123456789abcdef" * 4)
)

# name: (Turtle added to the valid graph, triples (s, p) removed, focus node, words the message must hold)
BROKEN = {
    "a listed paper with two titles": (
        'id:fiddler dcterms:title "Another title" .',
        [],
        "fiddler",
        ["listed paper", "dcterms:title"],
    ),
    "a listed paper with no heading": (
        "",
        [("fiddler", AKG.listedUnder)],
        "fiddler",
        ["listed paper", "heading", "akg:listedUnder"],
    ),
    "a bad arXiv id": (
        'id:fiddler akg:arxiv "arxiv.org/abs/2402.07033v2" .',
        [],
        "fiddler",
        ["listed paper", "akg:arxiv"],
    ),
    "a negative citation count": (
        "id:fiddler akg:citationCount -3 .",
        [("fiddler", AKG.citationCount)],
        "fiddler",
        ["paper", "akg:citationCount", ">= 0"],
    ),
    "an authorship with no author": ("", [("fiddler-a1", AKG.author)], "fiddler-a1", ["authorship", "akg:author"]),
}


def validate(shapes: rdflib.Graph, added: str = "", removed=()) -> tuple[bool, rdflib.Graph]:
    """The valid graph with some (subject, predicate) triples removed, then `added` (Turtle) added."""
    from pyshacl import validate as shacl_validate

    data = rdflib.Graph().parse(data=VALID, format="turtle")
    for subject, predicate in removed:
        data.remove((rdflib.URIRef(ID + subject), predicate, None))
    data.parse(data=PREFIXES + added, format="turtle")
    conforms, report, _ = shacl_validate(data, shacl_graph=shapes, inference="none", advanced=False)
    return conforms, report


def results(report: rdflib.Graph) -> list[tuple[str, str]]:
    return [
        (str(report.value(r, SH.focusNode)), str(report.value(r, SH.resultMessage)))
        for r in report.subjects(RDF.type, SH.ValidationResult)
    ]


def test_the_shapes_accept_a_valid_graph(shapes):
    conforms, report = validate(shapes)
    assert conforms, "\n".join(f"{focus}: {message}" for focus, message in results(report))


@pytest.mark.parametrize("name", BROKEN)
def test_the_shapes_reject_a_broken_graph(shapes, name):
    added, removed, focus, words = BROKEN[name]
    conforms, report = validate(shapes, added, removed)
    assert not conforms, f"the shapes accept {name}"
    found = results(report)
    assert all(f == ID + focus for f, _ in found), f"violations on other nodes: {found}"
    assert any(all(word in message for word in words) for _, message in found), f"no message names {words}: {found}"


def test_every_shape_targets_a_class_and_explains_itself(shapes):
    problems = []
    for shape in set(shapes.subjects(RDF.type, SH.NodeShape)):
        targets = {p for p, _ in shapes.predicate_objects(shape) if str(p).startswith(str(SH) + "target")}
        if targets != {SH.targetClass}:
            problems.append(f"{shape} targets with {sorted(targets)}; only sh:targetClass is allowed")
        if shapes.value(shape, RDFS.comment) is None:
            problems.append(f"{shape} has no rdfs:comment")
        if (
            any(shapes.value(shape, c) is not None for c in (SH["class"], SH.datatype, SH.pattern, SH.minCount))
            and shapes.value(shape, SH.message) is None
        ):
            problems.append(f"{shape} has node constraints but no sh:message")
        for prop in shapes.objects(shape, SH.property):
            path = shapes.value(prop, SH.path)
            if shapes.value(prop, SH.message) is None or shapes.value(prop, RDFS.comment) is None:
                problems.append(f"{shape}: the property shape on {path} needs sh:message and rdfs:comment")
    assert not problems, "\n".join(problems)


def test_the_shapes_use_only_what_the_sparql_validator_compiles():
    from kg.validate import compile_shapes

    assert compile_shapes(SHAPES.read_text(encoding="utf-8"))


def test_xsd_terms_used_in_shapes_are_real(shapes):
    xsd = rdflib.Namespace("http://www.w3.org/2001/XMLSchema#")
    datatypes = set(shapes.objects(None, SH.datatype))
    assert datatypes <= {
        xsd.string,
        xsd.integer,
        xsd.decimal,
        xsd.boolean,
        xsd.gYear,
        xsd.gYearMonth,
        xsd.dateTime,
        xsd.date,
    }
