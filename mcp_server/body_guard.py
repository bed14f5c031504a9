"""ASGI middleware that reads a POST body under a size cap and judges it before the app sees it.

Both HTTP doors sit behind it: the MCP server (the body must be UTF-8 JSON that Python can
parse, else the SDK answers 500) and the Slack bot (the signature must match the raw bytes,
checked before anything parses them). A body past the cap is refused with 413 as soon as its
declared length or the bytes read so far say so, so memory stays bounded.
"""

import json
from collections.abc import Callable, Mapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class Refusal(Exception):
    """Why a body is refused: an HTTP status and a short JSON document to send back."""

    def __init__(self, status: int, document: dict[str, Any]):
        super().__init__(status, document)
        self.status, self.document = status, document


# What a check sees: the raw body and the request's headers (lower-case names).
BodyCheck = Callable[[bytes, Mapping[str, str]], None]


class BodyGuard:
    """Buffers each POST body (at most `max_bytes`), runs `check` on it, then replays it."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, check: BodyCheck):
        self.app, self.max_bytes, self.check = app, max_bytes, check

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Other requests pass through untouched."""
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            body = await self._read(headers, receive)
            self.check(body, headers)
        except Refusal as refusal:
            await _respond(send, refusal)
            return
        except _Disconnected:
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # what follows the body: a disconnect
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _read(self, headers: Mapping[str, str], receive: Receive) -> bytes:
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise self._too_large()
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _Disconnected
            body += message.get("body", b"")
            if len(body) > self.max_bytes:
                raise self._too_large()
            if not message.get("more_body", False):
                return bytes(body)

    def _too_large(self) -> Refusal:
        return Refusal(413, {"error": f"request body over {self.max_bytes:,} bytes"})


class _Disconnected(Exception):
    pass


def json_rpc_body(body: bytes, headers: Mapping[str, str]) -> None:
    """Refuse a body that is not JSON Python can parse (bad UTF-8, too deeply nested)."""
    try:
        json.loads(body)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        reason = "nested too deeply" if isinstance(exc, RecursionError) else "not UTF-8 JSON"
        raise Refusal(
            400,
            {
                "jsonrpc": "2.0",
                "id": None,
                "error": {"code": -32700, "message": f"Parse error: the body is {reason}"},
            },
        ) from exc


async def _respond(send: Send, refusal: Refusal) -> None:
    payload = json.dumps(refusal.document).encode()
    await send(
        {
            "type": "http.response.start",
            "status": refusal.status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
