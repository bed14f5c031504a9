"""The Slack Web API as backfill needs it: slack_sdk's WebClient with Retry-After honoured,
a per-method pace, cursor pagination, and errors that say what to do."""

import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlparse

import httpx
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

DEFAULT_API_URL = "https://slack.com/api/"
PAGE_SIZE = 200

_HINTS = {
    "invalid_auth": "the token is not valid: check SLACK_HELPER_SLACK_BOT_TOKEN / --token",
    "not_authed": "no token was sent: pass --token or set SLACK_HELPER_SLACK_BOT_TOKEN",
    "token_revoked": "the token was revoked: reinstall the app and use the new token",
    "account_inactive": "the token's app or user was deactivated",
    "missing_scope": "the app lacks a scope for this call: add it in the app settings and "
    "reinstall (manifest.yml lists what Slack Helper needs)",
    "not_in_channel": "the bot is not a member: invite it with /invite @slack-helper",
    "channel_not_found": "no such channel, or it is private and the bot is not in it",
}


class SlackError(Exception):
    """A Slack API call failed; `code` is Slack's error string."""

    def __init__(self, method: str, code: str, needed: str | None = None):
        self.method, self.code = method, code
        hint = _HINTS.get(code, "see https://api.slack.com/methods/" + method)
        scope = f" (needs {needed})" if needed else ""
        super().__init__(f"{method}: {code}{scope}: {hint}")

    @property
    def fatal(self) -> bool:
        """Errors no other channel could succeed with: stop the whole run."""
        return self.code in ("invalid_auth", "not_authed", "token_revoked", "account_inactive")


class FileUnreadable(Exception):
    """A shared file's content could not be had or read; the message says why."""


DOWNLOAD_BYTES = 1 << 20  # a shared file's download is cut off (and skipped) past this


class SlackApi:
    """A WebClient that waits out 429s (Retry-After), keeps each method to its pace and turns
    Slack errors into SlackError."""

    def __init__(
        self,
        token: str,
        base_url: str | None = None,
        pace: Mapping[str, float] | None = None,
        max_rate_limit_retries: int = 10,
        max_download_bytes: int = DOWNLOAD_BYTES,
    ):
        self.client = WebClient(
            token=token,
            base_url=base_url or DEFAULT_API_URL,
            retry_handlers=[
                ConnectionErrorRetryHandler(max_retry_count=2),
                RateLimitErrorRetryHandler(max_retry_count=max_rate_limit_retries),
            ],
        )
        self.max_download_bytes = max_download_bytes
        self.pace = dict(pace or {})
        self._last_call: dict[str, float] = {}
        self._lock = threading.Lock()

    def call(self, method: str, **params: Any) -> dict:
        """One call, after waiting for the method's pace; SlackError when Slack says not ok."""
        self._wait_turn(method)
        try:
            response = self.client.api_call(
                method, http_verb="POST" if method == "auth.test" else "GET", params=params
            )
        except SlackApiError as exc:
            data = exc.response.data if isinstance(exc.response.data, dict) else {}
            raise SlackError(method, data.get("error", str(exc)), data.get("needed")) from exc
        if not isinstance(response.data, dict):
            raise SlackError(method, "the Web API answered with something other than JSON")
        return dict(response.data)

    def download(self, url: str) -> bytes:
        """A file's bytes from its `url_private`, with the bot token (scope files:read), at most
        `max_download_bytes`. The token is sent only to Slack's hosts (or the API's own)."""
        host = urlparse(url).hostname or ""
        ours = urlparse(self.client.base_url).hostname
        if not (host == ours or host == "slack.com" or host.endswith(".slack.com")):
            raise FileUnreadable(f"{host or url!r} is not Slack's; the token is not sent there")
        headers = {"Authorization": f"Bearer {self.client.token}"}
        try:
            with httpx.stream("GET", url, headers=headers, timeout=30) as response:
                if response.status_code != 200:
                    raise FileUnreadable(f"the download answered HTTP {response.status_code}")
                data = bytearray()
                for chunk in response.iter_bytes():
                    data += chunk
                    if len(data) > self.max_download_bytes:
                        raise FileUnreadable(
                            f"larger than {self.max_download_bytes:,} bytes (the download cap)"
                        )
        except httpx.HTTPError as exc:
            raise FileUnreadable(f"the download failed: {exc}") from exc
        return bytes(data)

    def pages(self, method: str, key: str, **params: Any) -> Iterator[tuple[list, str | None]]:
        """Each page's items under `key` with the cursor of the page after it (None at the
        end), starting from `params['cursor']` when given."""
        while True:
            data = self.call(method, limit=PAGE_SIZE, **params)
            cursor = (data.get("response_metadata") or {}).get("next_cursor") or None
            yield data.get(key) or [], cursor
            if not cursor:
                return
            params["cursor"] = cursor

    def _wait_turn(self, method: str) -> None:
        interval = self.pace.get(method, 0.0)
        if interval <= 0:
            return
        with self._lock:
            wait = self._last_call.get(method, 0.0) + interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._last_call[method] = time.monotonic()
