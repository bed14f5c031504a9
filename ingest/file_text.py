"""The text of shared files that Slack does not hand over with the message (backfill).

Snippets and posts arrive with their text (`plain_text` / `preview`, read by normalise); an
uploaded text file, CSV, Markdown, HTML or PDF arrives as a link only, or with a preview
Slack cut short (`preview_is_truncated`). Those are downloaded with
the bot token, at most the API's download cap, and their text is put where normalise reads a
snippet's, so one path turns every file's text into searchable message text. A file that cannot
be had or read (too large, binary where text was claimed, not UTF-8, a broken PDF) is skipped
with the reason; the message is stored all the same.
"""

from collections.abc import Iterable
from io import BytesIO
from typing import Any

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from ingest.normalise import file_objects, file_text
from ingest.slack_api import FileUnreadable, SlackApi
from ingest.text import html_text

_TEXT_MIMETYPES = ("text/", "application/json", "application/xml", "application/javascript")
_PDF = "application/pdf"


def add_downloaded_text(api: SlackApi, messages: Iterable[dict[str, Any]]) -> list[str]:
    """Download and read each text-like or PDF file that came without its text; returns a
    warning for each one skipped."""
    warnings = []
    for message in messages:
        for shared in file_objects(message):
            if _whole_text(shared) or not _readable(shared) or not shared.get("url_private"):
                continue
            try:
                text = extract_text(api.download(str(shared["url_private"])), shared)
            except FileUnreadable as exc:
                warnings.append(f"file {shared['id']} ({shared.get('name')}): {exc}; skipped")
                continue
            shared["plain_text"] = text  # type: ignore[index]  # a dict from the Web API's JSON
    return warnings


def extract_text(data: bytes, shared: dict[str, Any] | Any) -> str:
    """A file's text by its kind: PDF pages, HTML without tags, else strict UTF-8."""
    if _mimetype(shared) == _PDF or data.startswith(b"%PDF-"):
        try:
            pages = PdfReader(BytesIO(data)).pages
            return "\n".join(page.extract_text() or "" for page in pages).strip()
        except (PyPdfError, ValueError, KeyError, TypeError) as exc:
            raise FileUnreadable(f"not a readable PDF ({exc})") from exc
    if b"\x00" in data:
        raise FileUnreadable("binary data where text was claimed")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileUnreadable(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    return html_text(text) if _mimetype(shared) == "text/html" else text


def _whole_text(shared: Any) -> bool:
    """Whether the file came with all its text: a preview Slack cut short is not (the file is
    downloaded, and the preview kept only if that fails)."""
    return bool(file_text(shared)) and not (
        shared.get("preview_is_truncated") and not shared.get("plain_text")
    )


def _readable(shared: Any) -> bool:
    mimetype = _mimetype(shared)
    return mimetype == _PDF or mimetype.startswith(_TEXT_MIMETYPES)


def _mimetype(shared: Any) -> str:
    return str(shared.get("mimetype") or "").split(";")[0].strip().lower()
