"""The list to build, as read: a file, a folder's README with the local pages it links, a git
commit, a finished build's manifest, or the list the package ships. Reading is bounded and
checked on the raw bytes; parsing is the next stage's (kg.listparse).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from kg.listparse import (
    ListFiles,
    ListTooLarge,
    ParsedList,
    ParseWarning,
    decode_list,
    parse_list_files,
    read_list_files,
    read_list_files_at,
)

DEFAULT_NAME = "awesome-moe-inference"
MAX_PAPERS = 100_000  # a list past this is refused (--max-papers)
MAX_BYTES_PER_PAPER = 500  # real entries take 150-350 bytes: a bigger file is refused before parsing


class BuildError(Exception):
    """A build that cannot be made or must not be written (unreadable list, strict warnings, SHACL violations)."""


@dataclass
class ListSource:
    """The list to build: its text, a name for messages and manifest, and its slug."""

    text: str
    label: str
    slug: str
    sha256: str
    warnings: list[ParseWarning] = field(default_factory=list)
    files: ListFiles | None = None  # the README and the local pages it links, as read (raw bytes)

    @property
    def size(self) -> int:
        """Bytes as read, before decoding: what the size limit is checked on."""
        return self.files.size if self.files else len(self.text.encode("utf-8"))

    @classmethod
    def shipped(cls) -> ListSource:
        data = resources.files("kg").joinpath("data", DEFAULT_NAME, "README.md").read_bytes()
        return cls.from_bytes(data, f"awesome-kg:data/{DEFAULT_NAME}/README.md", DEFAULT_NAME)

    @classmethod
    def from_path(
        cls, path: str | Path, name: str | None = None, max_bytes: int = MAX_PAPERS * MAX_BYTES_PER_PAPER
    ) -> ListSource:
        """A list file, or a folder's README, with the local pages it links; read with a bound."""
        path = Path(path)
        try:
            files = read_list_files(path, max_bytes)
        except ListTooLarge as error:
            raise BuildError(f"{error} (--max-papers); nothing was built") from None
        except OSError as error:
            raise BuildError(f"{path}: cannot read the list ({error.strerror or error})") from None
        label = str(path / files.root if path.is_dir() else path)
        return cls.from_files(files, label, name or slug_for(Path(label)))

    @classmethod
    def from_git(
        cls, path: str | Path, commit: str, name: str | None = None, max_bytes: int = MAX_PAPERS * MAX_BYTES_PER_PAPER
    ) -> ListSource:
        """The list as it was at a commit of the git repository it is in (a folder means its README)."""
        import subprocess

        path = Path(path).resolve()
        folder = path if path.is_dir() else path.parent
        top = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=False
        )
        if top.returncode != 0:
            raise BuildError(f"{path}: not in a git repository ({top.stderr.strip()})")
        root = Path(top.stdout.strip()).resolve()
        relative = (path / "README.md" if path.is_dir() else path).relative_to(root).as_posix()
        try:
            files = read_list_files_at(root, commit, relative, max_bytes)
        except ListTooLarge as error:
            raise BuildError(f"{error} (--max-papers); nothing was built") from None
        except FileNotFoundError:
            raise BuildError(f"{path}: no list at commit {commit}") from None
        return cls.from_files(files, f"{relative}@{commit}", name or slug_for(root / relative))

    @classmethod
    def from_files(cls, files: ListFiles, label: str, slug: str) -> ListSource:
        """A list read with the pages its README links; its sha256 covers every page."""
        source = cls.from_bytes(files.pages[files.root], label, slug)
        source.files = files
        if len(files.pages) > 1:
            source.sha256 = hashlib.sha256(b"".join(files.pages[page] for page in sorted(files.pages))).hexdigest()
        return source

    @classmethod
    def from_build(cls, folder: Path) -> ListSource:
        """The list a build folder was built from (its manifest says which)."""
        try:
            given = json.loads((Path(folder) / "manifest.json").read_text(encoding="utf-8"))["input"]
        except (OSError, ValueError, KeyError):
            raise BuildError(f"{folder}: no readable manifest.json (is it a build folder?)") from None
        if given["file"] == cls.shipped().label:
            return cls.shipped()
        return cls.from_path(given["file"], given["name"])

    @classmethod
    def from_bytes(cls, data: bytes, label: str, slug: str) -> ListSource:
        text, warnings = decode_list(data, label)
        return cls(text, label, slug, hashlib.sha256(data).hexdigest(), warnings)

    def parse(self) -> ParsedList:
        files = self.files or ListFiles("README.md", {"README.md": self.text.encode("utf-8")})
        parsed = parse_list_files(files, self.label)
        if not self.files:
            parsed.warnings = sorted(self.warnings + parsed.warnings, key=lambda w: w.line)
        return parsed


def slug_for(path: Path) -> str:
    """A list's name: its folder's name (a repository's README), else the file's stem."""
    from kg.identifiers import slugify

    resolved = path.resolve()
    if resolved.stem.lower() == "readme" or resolved.parent.name == DEFAULT_NAME:
        return slugify(resolved.parent.name)
    return slugify(resolved.stem)
