"""`slack-helper bench mcp`: the MCP HTTP server under concurrent load, and under hostile calls.

The server runs as its own process (`slack-helper mcp --transport http`) over scratch embedded
stores holding the sample workspace; clients are the official `mcp` client as the agent uses it
(`CompiledSchemaSession`: the stock 1.x session recompiles a result's schema on every call,
CPU taken from the server on the same cores), each concurrent worker its own session, cycling
through a search, a metadata query and a listing. Then one client sends what once hurt the
server (a 300 MB value, a 30,000-term sum) and the server's peak RSS is read from /proc before
and after.
"""

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from mcp.client.streamable_http import streamablehttp_client
from pydantic import BaseModel

from agent.mcp_session import CompiledSchemaSession
from db.stores import StoreConfig, open_stores
from ingest.export_import import import_export
from mcp_server.tokens import create_token
from sample.export import write_sample_export

CALLS: list[tuple[str, dict[str, Any]]] = [
    ("semantic_search", {"query": "How do we deploy to production?", "limit": 8}),
    (
        "sql_metadata_query",
        {
            "sql": "SELECT c.name, count(*) FROM message_metadata m JOIN channels c "
            "USING (workspace_id, channel_id) GROUP BY c.name ORDER BY 2 DESC"
        },
    ),
    ("list_channels", {}),
    ("semantic_search", {"query": "what did customers say about exports", "limit": 8}),
]
HOSTILE: list[tuple[str, dict[str, Any]]] = [
    ("sql_metadata_query", {"sql": "SELECT format('%300000000s', 'x')"}),
    ("sql_metadata_query", {"sql": "SELECT " + "+".join(["1"] * 30_000)}),
]


class Latency(BaseModel):
    """Milliseconds per call."""

    p50_ms: float
    p95_ms: float
    max_ms: float


class McpBench(BaseModel):
    """The `bench mcp --json` document."""

    requests: int
    concurrency: int
    errors: int
    requests_per_s: float
    loaded: Latency
    loaded_by_tool: dict[str, Latency]
    unloaded: Latency
    server_peak_rss_mb: float
    hostile_refused: int
    server_peak_rss_after_hostile_mb: float
    server_alive_after_hostile: bool


def bench_mcp(config: StoreConfig, requests: int, concurrency: int) -> McpBench:
    """Serve the sample workspace over HTTP from a scratch store and measure it."""
    with tempfile.TemporaryDirectory(prefix="slack-helper-bench-mcp-") as scratch:
        root = Path(scratch)
        scratch_config = config.model_copy(
            update={"data_dir": root / "data", "database_url": None, "chroma_url": None}
        )
        with open_stores(scratch_config) as stores:
            report = import_export(stores, write_sample_export(root / "export"))
            token = create_token(stores, report.workspace_id, "bench")
            with _server(scratch_config) as (url, pid):
                return asyncio.run(_measure(url, token, pid, requests, concurrency))


async def _measure(url: str, token: str, pid: int, requests: int, concurrency: int) -> McpBench:
    headers = {"Authorization": f"Bearer {token}"}
    await _worker(url, headers, range(len(CALLS)))  # the server loads its model on first use
    unloaded, _ = await _worker(url, headers, range(20))
    queue = iter(range(requests))
    started = time.perf_counter()
    results = await asyncio.gather(*(_worker(url, headers, queue) for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    loaded = [t for times, _ in results for t in times.values()]
    by_tool: dict[str, list[float]] = {}
    for times, _ in results:
        for job, seconds in times.items():
            by_tool.setdefault(CALLS[job % len(CALLS)][0], []).append(seconds)
    peak = _peak_rss_mb(pid)
    async with streamablehttp_client(url, headers=headers) as (read, write, _):
        async with CompiledSchemaSession(read, write) as client:
            await client.initialize()
            refused = sum([(await client.call_tool(n, a)).isError for n, a in HOSTILE])
            alive = not (await client.call_tool("list_channels", {})).isError
    return McpBench(
        requests=requests,
        concurrency=concurrency,
        errors=sum(errors for _, errors in results),
        requests_per_s=round(len(loaded) / elapsed, 1),
        loaded=_latency(loaded),
        loaded_by_tool={name: _latency(seconds) for name, seconds in sorted(by_tool.items())},
        unloaded=_latency(list(unloaded.values())),
        server_peak_rss_mb=peak,
        hostile_refused=refused,
        server_peak_rss_after_hostile_mb=_peak_rss_mb(pid),
        server_alive_after_hostile=alive,
    )


async def _worker(url: str, headers: dict[str, str], jobs) -> tuple[dict[int, float], int]:
    """One client session taking jobs until none are left: seconds per job, and errors."""
    times: dict[int, float] = {}
    errors = 0
    async with streamablehttp_client(url, headers=headers) as (read, write, _):
        async with CompiledSchemaSession(read, write) as client:
            await client.initialize()
            for job in jobs:
                name, arguments = CALLS[job % len(CALLS)]
                started = time.perf_counter()
                result = await client.call_tool(name, arguments)
                times[job] = time.perf_counter() - started
                errors += result.isError
    return times, errors


def _latency(seconds: list[float]) -> Latency:
    ms = sorted(s * 1000 for s in seconds)
    return Latency(
        p50_ms=round(statistics.median(ms), 1),
        p95_ms=round(ms[min(len(ms) - 1, int(0.95 * len(ms)))], 1),
        max_ms=round(ms[-1], 1),
    )


@contextmanager
def _server(config: StoreConfig) -> Iterator[tuple[str, int]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "SLACK_HELPER_DATA_DIR": str(config.data_dir),
        "SLACK_HELPER_APP_ROLE": config.app_role,
    }
    env.pop("SLACK_HELPER_DATABASE_URL", None)
    env.pop("SLACK_HELPER_CHROMA_URL", None)
    child = subprocess.Popen(
        [sys.executable, "-m", "slack_helper", "mcp", "--transport", "http", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        deadline = time.monotonic() + 120
        while True:
            if child.poll() is not None:
                raise RuntimeError("the MCP server exited before it listened")
            try:
                httpx.post(url, timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the MCP server never listened") from None
                time.sleep(0.2)
        yield url, child.pid
    finally:
        child.terminate()
        child.wait(timeout=30)


def _peak_rss_mb(pid: int) -> float:
    """VmHWM of a process: its peak resident memory (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0
