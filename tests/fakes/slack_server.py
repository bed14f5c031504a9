"""A fake Slack Web API: a real local HTTP server that slack_sdk talks to through `base_url`.

It holds one workspace in memory (users, channels, messages, threads, bookmarks), serves the
methods backfill calls with Slack's cursor pagination and newest-first history, answers 429
with Retry-After when told to, and records every request so tests can assert what was asked.
"""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


@dataclass
class FakeWorkspace:
    """The data the fake serves; tests mutate it between runs (late replies, new messages)."""

    team_id: str = "TFAKE01"
    team: str = "Fake Co"
    domain: str = "fakeco"
    token: str = "xoxb-fake"
    extra_tokens: list[str] = field(default_factory=list)  # other installs' bot tokens
    users: list[dict] = field(default_factory=list)
    channels: list[dict] = field(default_factory=list)  # conversations.list entries
    messages: dict[str, list[dict]] = field(default_factory=dict)  # channel -> top level
    replies: dict[tuple[str, str], list[dict]] = field(default_factory=dict)  # (ch, ts) -> replies
    bookmarks: dict[str, list[dict]] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)  # url_private path -> content
    file_info: dict[str, dict] = field(default_factory=dict)  # file id -> files.info's file
    errors: dict[tuple[str, str], str] = field(default_factory=dict)  # (method, channel) -> error
    rate_limit_every: dict[str, int] = field(default_factory=dict)  # method -> every nth call

    def add_reply(self, channel: str, parent_ts: str, reply: dict) -> None:
        """A reply arrives: the parent's reply_count and latest_reply move, as in Slack."""
        thread = self.replies.setdefault((channel, parent_ts), [])
        thread.append(reply)
        parent = next(m for m in self.messages[channel] if m["ts"] == parent_ts)
        parent.update(
            thread_ts=parent_ts,
            reply_count=len(thread),
            latest_reply=max(r["ts"] for r in thread),
            reply_users=sorted({r["user"] for r in thread}),
        )


class FakeSlack:
    """Request handling over a FakeWorkspace; `requests` lists (method, params) in order."""

    def __init__(self, workspace: FakeWorkspace, page_size: int):
        self.workspace = workspace
        self.page_size = page_size
        self.requests: list[tuple[str, dict]] = []
        self._calls: dict[str, int] = {}
        self._lock = threading.Lock()

    def handle(self, method: str, params: dict, token: str | None) -> tuple[int, dict, dict]:
        with self._lock:
            self.requests.append((method, params))
            n = self._calls[method] = self._calls.get(method, 0) + 1
        every = self.workspace.rate_limit_every.get(method)
        if every and n % every == 0:
            return 429, {"Retry-After": "1"}, {"ok": False, "error": "ratelimited"}
        if token != self.workspace.token and token not in self.workspace.extra_tokens:
            return 200, {}, {"ok": False, "error": "invalid_auth"}
        error = self.workspace.errors.get((method, params.get("channel", "")))
        if error:
            return 200, {}, {"ok": False, "error": error}
        handler = getattr(self, method.replace(".", "_"), None)
        if handler is None:
            return 200, {}, {"ok": False, "error": "unknown_method"}
        return 200, {}, {"ok": True, **handler(params)}

    def auth_test(self, _: dict) -> dict:
        w = self.workspace
        return {
            "team_id": w.team_id,
            "team": w.team,
            "url": f"https://{w.domain}.slack.com/",
            "user_id": "UBOT",
            "bot_id": "BBOT",
        }

    def chat_postMessage(self, params: dict) -> dict:
        ts = f"1800000000.{len(self.calls('chat.postMessage')):06d}"
        return {"channel": params["channel"], "ts": ts, "message": {"text": params.get("text")}}

    def chat_update(self, params: dict) -> dict:
        return {"channel": params["channel"], "ts": params["ts"]}

    def chat_postEphemeral(self, params: dict) -> dict:
        return {"message_ts": "1800000001.000000"}

    def calls(self, method: str) -> list[dict]:
        """The params of every request to one method, in order."""
        return [params for name, params in self.requests if name == method]

    def users_list(self, params: dict) -> dict:
        return self._page(self.workspace.users, params, "members")

    def conversations_list(self, params: dict) -> dict:
        return self._page(self.workspace.channels, params, "channels")

    def conversations_history(self, params: dict) -> dict:
        channel = params["channel"]
        if channel not in self.workspace.messages:
            return {"ok": False, "error": "channel_not_found"}
        oldest = float(params.get("oldest") or 0)
        newest_first = sorted(
            (m for m in self.workspace.messages[channel] if float(m["ts"]) > oldest),
            key=lambda m: -float(m["ts"]),
        )
        page = self._page(newest_first, params, "messages")
        page["has_more"] = bool(page["response_metadata"]["next_cursor"])
        return page

    def conversations_replies(self, params: dict) -> dict:
        channel, ts = params["channel"], params["ts"]
        parent = next(m for m in self.workspace.messages[channel] if m["ts"] == ts)
        thread = [
            parent,
            *sorted(self.workspace.replies.get((channel, ts), []), key=lambda r: float(r["ts"])),
        ]
        return self._page(thread, params, "messages")

    def files_info(self, params: dict) -> dict:
        found = self.workspace.file_info.get(params.get("file", ""))
        return {"file": found} if found else {"ok": False, "error": "file_not_found"}

    def bookmarks_list(self, params: dict) -> dict:
        return {"bookmarks": self.workspace.bookmarks.get(params["channel_id"], [])}

    def _page(self, items: list, params: dict, key: str) -> dict:
        start = int(params.get("cursor", "0").removeprefix("next:") or 0)
        limit = min(int(params.get("limit", self.page_size)), self.page_size)
        end = start + limit
        return {
            key: items[start:end],
            "response_metadata": {"next_cursor": f"next:{end}" if end < len(items) else ""},
        }


@contextmanager
def fake_slack(workspace: FakeWorkspace, page_size: int = 5) -> Iterator[tuple[str, FakeSlack]]:
    """A running fake Slack API; yields its base URL (…/api/) and the fake."""
    fake = FakeSlack(workspace, page_size)

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            url = urlparse(self.path)
            if url.path.startswith("/files-pri/"):
                self._download(url.path)
                return
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            params = {k: v[0] for k, v in parse_qs(url.query).items()}
            if body:
                if self.headers.get("Content-Type", "").startswith("application/json"):
                    params |= json.loads(body)
                else:
                    params |= {k: v[0] for k, v in parse_qs(body).items()}
            auth = self.headers.get("Authorization", "")
            token = (
                auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else params.get("token")
            )
            status, headers, payload = fake.handle(url.path.rsplit("/", 1)[-1], params, token)
            data = json.dumps(payload).encode()
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _download(self, path: str) -> None:
            """url_private as Slack serves it: the bytes to a bot token of this workspace,
            a redirect to the sign-in page to anyone else."""
            content = fake.workspace.files.get(path)
            authorised = self.headers.get("Authorization") == f"Bearer {fake.workspace.token}"
            if content is None or not authorised:
                self.send_response(404 if content is None else 302)
                self.send_header("Location", "/signin")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        do_GET = do_POST = _serve

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/api/", fake
    finally:
        server.shutdown()
        server.server_close()
