"""Read a Slack export, ZIP or unpacked folder, one JSON file at a time."""

import json
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

_CONVERSATION_LISTS = ("channels.json", "groups.json", "dms.json", "mpims.json")


class ExportError(Exception):
    """The export (or one file in it) cannot be read; the message names the file."""


class ExportArchive:
    """A Slack export. Members are addressed by paths relative to the export's root."""

    def __init__(self, path: Path):
        self.path = path
        self.name = path.stem if path.is_file() else path.name
        self._zip: zipfile.ZipFile | None = None
        if path.is_dir():
            members = [p.relative_to(path).as_posix() for p in path.rglob("*.json")]
        elif path.is_file():
            try:
                self._zip = zipfile.ZipFile(path)
            except (zipfile.BadZipFile, OSError) as exc:
                raise ExportError(f"{path}: not a ZIP file or folder ({exc})") from exc
            members = [n for n in self._zip.namelist() if n.endswith(".json")]
        else:
            raise ExportError(f"{path}: no such file or folder")
        self._root = _find_root(members, path)
        self._members = {
            PurePosixPath(m).relative_to(self._root).as_posix()
            for m in members
            if PurePosixPath(m).is_relative_to(self._root)
        }

    def __enter__(self) -> "ExportArchive":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the ZIP file handle."""
        if self._zip is not None:
            self._zip.close()

    def has(self, member: str) -> bool:
        """Whether the export holds this file."""
        return member in self._members

    def read_bytes(self, member: str) -> bytes:
        """The raw bytes of one member."""
        full = (self._root / member).as_posix()
        try:
            if self._zip is not None:
                return self._zip.read(full)
            return (self.path / full).read_bytes()
        except (OSError, KeyError, zipfile.BadZipFile) as exc:
            raise ExportError(f"{self.path}: cannot read {member}: {exc}") from exc

    def read_json(self, member: str) -> Any:
        """Parse one member; malformed JSON is an ExportError naming it."""
        return parse_json(self.read_bytes(member), member)

    def folders(self) -> dict[str, list[str]]:
        """Each conversation folder and its day files (`YYYY-MM-DD.json`), in date order."""
        days: dict[str, list[str]] = {}
        for member in self._members:
            parts = member.split("/")
            if len(parts) == 2:
                days.setdefault(parts[0], []).append(member)
        return {folder: sorted(files) for folder, files in sorted(days.items())}


def parse_json(data: bytes, member: str) -> Any:
    """json.loads with an error that names the file and the position."""
    try:
        return json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ExportError(f"{member}: malformed JSON ({exc})") from exc


def _find_root(members: list[str], path: Path) -> PurePosixPath:
    """The folder holding channels.json etc.: exports are often zipped inside a folder."""
    roots = [
        PurePosixPath(m).parent for m in members if PurePosixPath(m).name in _CONVERSATION_LISTS
    ]
    if not roots:
        raise ExportError(
            f"{path}: not a Slack export (no channels.json, groups.json, dms.json or mpims.json)"
        )
    return min(roots, key=lambda p: len(p.parts))
