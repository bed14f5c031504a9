"""Files shared without their text are downloaded with the bot token during backfill, read by
kind and searchable; one that cannot be read is skipped with the reason, never fatal."""

from io import BytesIO

import pytest
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

from db import Stores
from ingest.backfill import backfill
from ingest.slack_api import FileUnreadable, SlackApi
from mcp_server.contracts import SearchArgs
from mcp_server.search import ranked_ids
from tests.fakes.slack_server import FakeWorkspace, fake_slack

NOTES = b"The nightly importer now retries a failed page three times before it gives up."
BUDGET = "Travel spending is capped at two thousand dollars per person this quarter."


def _pdf(text: str) -> bytes:
    """A one-page PDF whose content stream draws `text` in Helvetica."""
    writer = PdfWriter()
    page = writer.add_blank_page(width=612, height=792)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    fonts = DictionaryObject({NameObject("/F1"): writer._add_object(font)})
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): fonts})
    content = DecodedStreamObject()
    content.set_data(f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode())
    page[NameObject("/Contents")] = writer._add_object(content)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _workspace(base: str) -> FakeWorkspace:
    w = FakeWorkspace()
    w.users = [{"id": "U1", "name": "alice"}]
    w.channels = [{"id": "C1", "name": "general", "is_private": False, "is_member": True}]
    shared = {
        "F1": ("notes.txt", "text/plain", NOTES),
        "F2": ("budget.pdf", "application/pdf", _pdf(BUDGET)),
        "F3": ("photo.csv", "text/csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
        "F4": ("legacy.txt", "text/plain", b"caf\xe9 au lait, encoded as Latin-1"),
        "F5": ("huge.txt", "text/plain", b"x" * 5000),
    }
    w.messages["C1"] = []
    for n, (file_id, (name, mimetype, content)) in enumerate(shared.items()):
        path = f"/files-pri/TFAKE01-{file_id}/{name}"
        w.files[path] = content
        w.messages["C1"].append(
            {
                "type": "message",
                "subtype": "file_share",
                "ts": f"1710000{n}00.000100",
                "user": "U1",
                "text": f"<@U1> uploaded a file: {name}",
                "files": [
                    {"id": file_id, "name": name, "mimetype": mimetype, "url_private": base + path}
                ],
            }
        )
    w.messages["C1"].append(
        {
            "type": "message",
            "ts": "1710000900.000100",
            "user": "U1",
            "text": "elsewhere",
            "files": [
                {
                    "id": "F6",
                    "name": "x.txt",
                    "mimetype": "text/plain",
                    "url_private": "https://files.example.com/x.txt",
                }
            ],
        }
    )
    return w


def test_backfill_reads_shared_files_and_skips_what_it_cannot(stores: Stores):
    with fake_slack(FakeWorkspace()) as (api_url, slack):
        root = api_url.removesuffix("/api/")
        slack.workspace = _workspace(root)
        api = SlackApi("xoxb-fake", base_url=api_url, max_download_bytes=2000)
        report = backfill(stores, api)

    warnings = "\n".join(report.warnings)
    assert "F3 (photo.csv): binary data where text was claimed; skipped" in warnings
    assert "F4 (legacy.txt): not UTF-8 text" in warnings
    assert "F5 (huge.txt): larger than 2,000 bytes" in warnings
    assert "F6 (x.txt): 'files.example.com' is not Slack's; the token is not sent there" in warnings
    assert report.messages == 6  # every message stored, read or not

    def found(query: str) -> list[str]:
        return ranked_ids(stores, "TFAKE01", SearchArgs(query=query, limit=2), "semantic")

    assert found("how often does the night job try a page again?")[0].endswith("1710000000.000100")
    assert found("limit on what staff may spend on trips")[0].endswith("1710000100.000100")


def test_a_download_with_another_token_is_refused_by_slack():
    with fake_slack(FakeWorkspace()) as (api_url, slack):
        slack.workspace = _workspace(api_url.removesuffix("/api/"))
        slack.workspace.extra_tokens = ["xoxb-other"]
        path = next(iter(slack.workspace.files))
        with pytest.raises(FileUnreadable, match="HTTP 302"):
            SlackApi("xoxb-other", base_url=api_url).download(api_url.removesuffix("/api/") + path)
