"""Read a Slack export, ZIP or unpacked folder, one JSON file at a time.

An export may come from anyone, so reading it is bounded: no file expands past
`max_file_bytes` (a ZIP bomb's member is refused after that many bytes, or at once when its
header admits its size), a folder's symbolic links are not followed, and parsed JSON holds no
NUL characters or lone surrogates (PostgreSQL and UTF-8 accept neither).
"""

import json
import os
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

_CONVERSATION_LISTS = ("channels.json", "groups.json", "dms.json", "mpims.json")
DEFAULT_MAX_FILE_BYTES = 64 << 20  # a day file is kilobytes; users.json of 20,000 people ~40 MB


class ExportError(Exception):
    """The export (or one file in it) cannot be read; the message names the file."""


class ExportArchive:
    """A Slack export. Members are addressed by paths relative to the export's root."""

    def __init__(self, path: Path, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES):
        self.path = path
        self.name = path.stem if path.is_file() else path.name
        self.max_file_bytes = max_file_bytes
        self._zip: zipfile.ZipFile | None = None
        if path.is_dir():
            members = _folder_members(path)
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
        """The raw bytes of one member, at most `max_file_bytes` of them."""
        full = (self._root / member).as_posix()
        try:
            data = self._read_zipped(full) if self._zip is not None else self._read_file(full)
        except (OSError, KeyError, zipfile.BadZipFile, zipfile.LargeZipFile) as exc:
            raise ExportError(f"{self.path}: cannot read {member}: {exc}") from exc
        if data is None or len(data) > self.max_file_bytes:
            raise ExportError(
                f"{member}: larger than {self.max_file_bytes >> 20} MiB "
                "(SLACK_HELPER_EXPORT_MAX_FILE_MB); refused unread"
            )
        return data

    def _read_zipped(self, full: str) -> bytes | None:
        assert self._zip is not None
        info = self._zip.getinfo(full)
        if info.file_size > self.max_file_bytes:
            return None  # the header admits it; a lying header is caught by the bounded read
        with self._zip.open(info) as stream:
            return stream.read(self.max_file_bytes + 1)

    def _read_file(self, full: str) -> bytes | None:
        file = self.path / full
        if file.is_symlink() or not file.resolve().is_relative_to(self.path.resolve()):
            raise OSError(f"{full} links outside the export")
        with file.open("rb") as stream:
            return stream.read(self.max_file_bytes + 1)

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
    """json.loads with an error that names the file and the position; strings made storable."""
    try:
        return _storable(json.loads(data))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ExportError(f"{member}: malformed JSON ({exc})") from exc
    except RecursionError as exc:
        raise ExportError(f"{member}: JSON nested too deeply to read") from exc


def _storable(value: Any) -> Any:
    """Every string without NUL and with lone surrogates replaced, in lists and objects too."""
    if isinstance(value, str):
        if "\x00" in value:
            value = value.replace("\x00", "")
        try:
            value.encode()
        except UnicodeEncodeError:
            value = value.encode(errors="replace").decode()
        return value
    if isinstance(value, list):
        return [_storable(v) for v in value]
    if isinstance(value, dict):
        return {_storable(k): _storable(v) for k, v in value.items()}
    return value


def _folder_members(path: Path) -> list[str]:
    """The JSON files under an export folder, not following symbolic links anywhere."""
    found = []
    for folder, _, names in os.walk(path, followlinks=False):
        for name in names:
            file = Path(folder, name)
            if name.endswith(".json") and not file.is_symlink():
                found.append(file.relative_to(path).as_posix())
    return found


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
