"""A clone stands alone: no test, benchmark or CI script reads a path outside the repository.

The check is static (Python's own parser over every test and bench file, plain text for the
shell scripts); `.ci/run` proves the same thing by running the tests in a fresh clone with
nothing beside it.
"""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

from conftest import DEFAULT_LIST, ROOT
from kg.build import ListSource

# `../name` climbs out of the repository; a bare "../" (a relative link prefix in a web page) names nothing.
MACHINE_PATH = re.compile(r"(?<![\w.])(?:/work|/tmp|/home|/root|/Users)/|(?:^|[\s\"'=(])\.\./(?=[\w.])|~/")
UP_FROM_FILE = re.compile(r"Path\(__file__\)(?:\.resolve\(\))?((?:\.parent\b)+)|parents\[(\d+)\]")


def outside_references(path: Path) -> list[str]:
    """Each place in `path` that names a path outside the repository, as 'file:line: text'."""
    text = path.read_text(encoding="utf-8")
    depth = len(path.relative_to(ROOT).parts) - 1  # folders between the repository root and the file
    found = []
    lines = text.splitlines()
    if path.suffix == ".py":
        for node in ast.walk(ast.parse(text, str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and MACHINE_PATH.search(node.value):
                found.append(node.lineno)
            if (
                isinstance(node, ast.Attribute)
                and node.attr == "parent"
                and isinstance(node.value, ast.Name)
                and node.value.id == "ROOT"
            ):
                found.append(node.lineno)
    else:
        found += [
            number
            for number, line in enumerate(lines, 1)
            if MACHINE_PATH.search(line) and not line.lstrip().startswith("#")
        ]
    for number, line in enumerate(lines, 1):
        for match in UP_FROM_FILE.finditer(line):
            steps = len(match.group(1)) // len(".parent") if match.group(1) else int(match.group(2)) + 1
            if steps > depth + 1:  # the file itself, then its folders up to the root
                found.append(number)
    return [f"{path.relative_to(ROOT)}:{number}: {lines[number - 1].strip()}" for number in sorted(set(found))]


def checked_files() -> list[Path]:
    """Every test, benchmark, tool and CI script git tracks or would track (tests/data is input, not code)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "tests", "bench", "tools", ".ci", "Makefile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    files = [
        ROOT / name
        for name in listed.splitlines()
        if not name.startswith("tests/data/") and (name.endswith((".py", ".sh")) or "." not in Path(name).name)
    ]
    return [path for path in files if path.is_file() and path != Path(__file__)]  # this file names the patterns


def test_no_test_bench_or_ci_file_reads_outside_the_repository():
    files = checked_files()
    assert ROOT / "tests" / "conftest.py" in files and ROOT / ".ci" / "run" in files
    assert any(path.parent.name == "bench" for path in files) and any(path.parent.name == "tools" for path in files)
    problems = [problem for path in files for problem in outside_references(path)]
    assert problems == []


def test_the_check_sees_the_ways_a_path_leaves_the_repository(tmp_path, monkeypatch):
    monkeypatch.setattr(__import__(__name__), "ROOT", tmp_path)
    (tmp_path / "tests").mkdir()
    bad = tmp_path / "tests" / "test_bad.py"
    bad.write_text(
        "from pathlib import Path\n"
        "ROOT = Path(__file__).resolve().parents[1]\n"
        'SPEC = ROOT.parent / "elsewhere" / "data"\n'
        'OTHER = Path(__file__).resolve().parents[2] / "elsewhere"\n'
        'LIST = Path("../elsewhere/lists/README.md")\n'
        'CACHE = "/home/alice/cache"\n'
        'FINE = ROOT / "tests" / "data"\n',
        encoding="utf-8",
    )
    assert [problem.split(":")[1] for problem in outside_references(bad)] == ["3", "4", "5", "6"]
    script = tmp_path / "run"
    script.write_text("#!/bin/sh\n# ../elsewhere in a comment is fine\ncd ../elsewhere && ls\n", encoding="utf-8")
    assert [problem.split(":")[1] for problem in outside_references(script)] == ["3"]


def test_the_tests_default_list_is_the_list_the_package_ships():
    assert ListSource.shipped().text == DEFAULT_LIST.read_text(encoding="utf-8")
