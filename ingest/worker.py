"""`slack-helper sync`: outbox workers that apply queued vector work to Chroma.

Workers are threads here and may also run in other processes or on other machines: each batch
is claimed with FOR UPDATE SKIP LOCKED, so no two workers ever hold the same item. Failures are
retried with backoff and marked dead after a few attempts (db/outbox.py).
"""

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from db.counts import dead_items
from db.stores import Stores
from db.workspaces import list_workspaces
from ingest.vector_sync import DrainReport, drain

IDLE_SECONDS = 1.0


def run_workers(
    stores: Stores,
    workspace_ids: Sequence[str] | None = None,
    *,
    workers: int = 1,
    follow: bool = False,
    stop: threading.Event | None = None,
    batch_size: int = 256,
) -> DrainReport:
    """Drain the outboxes of `workspace_ids` (default: every workspace) with `workers` threads.

    Without `follow`, return once a whole round finds nothing ready; with it, keep polling for
    new work (live events) until `stop` is set.
    """
    stop = stop or threading.Event()
    total = DrainReport()
    lock = threading.Lock()

    def add(report: DrainReport) -> None:
        with lock:
            total.upserted += report.upserted
            total.deleted += report.deleted
            total.failed += report.failed

    targets: Callable[[], Sequence[str]] = (
        (lambda: workspace_ids) if workspace_ids else (lambda: _all_workspaces(stores))
    )

    def work() -> None:
        while not stop.is_set():
            did = 0
            for workspace_id in targets():
                report = drain(stores, workspace_id, batch_size=batch_size, cancel=stop)
                add(report)
                did += report.upserted + report.deleted + report.failed
            if not did:
                if not follow:
                    return
                stop.wait(IDLE_SECONDS)

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sync-worker") as pool:
        for future in [pool.submit(work) for _ in range(workers)]:
            future.result()
    return total


def _all_workspaces(stores: Stores) -> list[str]:
    with stores.postgres.operator() as conn:
        return [w.workspace_id for w in list_workspaces(conn)]


def pool_size_for(workers: int, configured: int) -> int:
    """PostgreSQL connections a sync with `workers` threads needs (a drain holds two)."""
    return max(configured, 2 * workers + 2)


def dead_items_of(
    stores: Stores, workspace_ids: Sequence[str] | None = None, limit: int = 5
) -> dict[str, list[tuple[str, int, str | None]]]:
    """Per workspace (default: every one), outbox items that kept failing, newest first."""
    dead = {}
    for workspace_id in workspace_ids or _all_workspaces(stores):
        with stores.postgres.tenant(workspace_id) as conn:
            dead[workspace_id] = dead_items(conn, limit=limit)
    return dead
