"""A fake OpenAI-compatible chat completions server: real HTTP, scripted replies.

The real langchain-openai client talks to it through `base_url`. Each test scripts the model as
a function from the request body (and how many requests came before) to the assistant's
message; every request is recorded so tests can check what the model was shown.
"""

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = dict[str, Any]  # {"content": str | None, "tool_calls": [(name, args), ...]}


def tool_calls(*calls: tuple[str, dict]) -> Reply:
    """An assistant turn that calls these tools."""
    return {"content": None, "tool_calls": list(calls)}


def text(content: str) -> Reply:
    """An assistant turn with text and no tool calls."""
    return {"content": content, "tool_calls": []}


class FakeOpenAI:
    """Serves /v1/chat/completions from `script(body, n)`; records every request body."""

    def __init__(self, script: Callable[[dict, int], Reply]):
        self.script = script
        self.requests: list[dict] = []
        self._lock = threading.Lock()

    def reply(self, body: dict) -> dict:
        with self._lock:
            n = len(self.requests)
            self.requests.append(body)
        message = self.script(body, n)
        calls = [
            {
                "id": f"call_{n}_{i}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(args)},
            }
            for i, (name, args) in enumerate(message["tool_calls"])
        ]
        return {
            "id": f"chatcmpl-{n}",
            "object": "chat.completion",
            "created": 0,
            "model": body.get("model", "fake"),
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": message["content"],
                        **({"tool_calls": calls} if calls else {}),
                    },
                    "finish_reason": "tool_calls" if calls else "stop",
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }


@contextmanager
def fake_openai(script: Callable[[dict, int], Reply]) -> Iterator[tuple[str, FakeOpenAI]]:
    """A running fake; yields its base URL (…/v1) and the fake."""
    fake = FakeOpenAI(script)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            if not self.path.endswith("/chat/completions"):
                self.send_error(404)
                return
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            payload = json.dumps(fake.reply(body)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/v1", fake
    finally:
        server.shutdown()
        server.server_close()
