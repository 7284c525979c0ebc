"""Markdown and JSON output shared by the curation reports.

Titles and venues come from the list and from Semantic Scholar, so every such string is
escaped before it reaches Markdown (which a viewer turns into HTML): HTML specials
become entities and Markdown specials are backslash-escaped, so a title can neither
inject markup nor break a table.
"""

from __future__ import annotations

import json
import re

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_\[\]|#~])")


def md(text: object) -> str:
    """An outside string as inert Markdown inline text."""
    plain = " ".join(str(text).split())
    plain = plain.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_SPECIALS.sub(r"\\\1", plain)


def table(headers: list[str], rows: list[list[object]]) -> str:
    """A Markdown table; cells are escaped unless given as `Raw`."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(cell.text if isinstance(cell, Raw) else md(cell) for cell in row) + " |")
    return "\n".join(lines) + "\n"


class Raw:
    """Markdown this module already built (e.g. a link), kept as is inside a table."""

    def __init__(self, text: str):
        self.text = text


def count(number: int, noun: str) -> str:
    """`1 finding`, `2 findings`."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def percent(share: float) -> str:
    return f"{100 * share:.0f}%"


def to_json(data: object) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
