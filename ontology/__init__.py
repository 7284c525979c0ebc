"""The awesome-kg ontology and SHACL shapes (Turtle), shipped with the package as kg.ontology."""
