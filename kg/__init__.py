"""awesome-kg: a curated awesome list of papers as a citation knowledge graph."""

__version__ = "0.1.0"
