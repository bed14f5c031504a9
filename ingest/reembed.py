"""Embed every message of a workspace again, the way the drain embeds now.

A store embedded by an older version keeps its vectors (contexts, two views, passages came
later) until each message is embedded again; copying a graph (`reindex`) moves vectors as they
are. This queues every message Chroma holds through the outbox, as an edited parent queues its
replies (`again`: the text is unchanged, the vector is not), and drains it: the one embedding
path, resumable like any drain, and never over newer work already pending for a message.
"""

from db import outbox
from db.stores import Stores
from db.vectors import VectorRecord
from ingest.progress import NoProgress, Progress
from ingest.vector_sync import DrainReport, drain

PAGE = 2000
Queued = tuple[str, VectorRecord | None, str | None]  # as outbox.enqueue takes them


def reembed(stores: Stores, workspace_id: str, progress: Progress | None = None) -> DrainReport:
    """Queue every message of the workspace again, then drain the queue."""
    progress = progress or NoProgress()
    page: list[Queued] = []
    queued = 0
    for record in stores.vectors.scan(workspace_id, PAGE):
        if "passage" in record.metadata:  # remade with its message
            continue
        page.append((record.id, record, outbox.content_hash(record)))
        if len(page) == PAGE:
            queued += _queue(stores, workspace_id, page)
            page = []
    queued += _queue(stores, workspace_id, page)
    progress.start("embedded", queued)
    return drain(stores, workspace_id, progress=progress)


def _queue(stores: Stores, workspace_id: str, page: list[Queued]) -> int:
    with stores.postgres.tenant(workspace_id) as conn:
        outbox.enqueue(conn, workspace_id, page, again=True)
    return len(page)
