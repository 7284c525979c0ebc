"""Text for the terminal: outside strings made inert, tables as wide as the terminal.

Titles, warnings and error messages carry text from lists and from the API. Printed
raw, an escape sequence (ESC [ 2 J, OSC 8 links, a title set by ESC ] 0) acts on the
user's terminal, and inside rich a `[/red]` is taken as markup and crashes. Here such
text is shown, never obeyed: control characters as `\\x1b`-style escapes, table cells as
rich Text (no markup parsing).
"""

from __future__ import annotations

import io
import os
import re
import sys

# C0 and C1 controls, DEL, and the bidirectional overrides that can reorder what is shown.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
UNBOUNDED = 10_000  # width of a table written to a pipe or file: never wrapped


def inert(text: object) -> str:
    """The text with every control character (but newline and tab) written as an escape: shown, not obeyed."""
    return _CONTROLS.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), str(text))


def terminal_width(stream=None) -> int:
    """The width of the terminal `stream` (stdout) goes to; COLUMNS wins; UNBOUNDED when not a terminal."""
    if os.environ.get("COLUMNS", "").isdigit():
        return int(os.environ["COLUMNS"])
    stream = stream or sys.stdout
    try:
        if stream.isatty():
            return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):
        pass
    return UNBOUNDED


def text_table(headers: list[str], rows: list[list[str]], width: int | None = None) -> str:
    """An aligned plain-text table; every cell is literal text (inert, never rich markup)."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    grid = Table(show_lines=False, header_style="bold")
    for header in headers:
        grid.add_column(Text(inert(header)))
    for row in rows:
        grid.add_row(*(Text(inert(cell)) for cell in row))
    buffer = io.StringIO()
    Console(
        file=buffer,
        width=width or terminal_width(),
        force_terminal=False,
        color_system=None,
        markup=False,
        emoji=False,
        highlight=False,
    ).print(grid)
    return "".join(line.rstrip() + "\n" for line in buffer.getvalue().split("\n")[:-1])
