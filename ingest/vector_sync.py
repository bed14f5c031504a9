"""Drain the outbox into Chroma: embed one batch while the previous one is being stored."""

import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import psycopg
from pydantic import BaseModel

from db import outbox
from db.conversations import dependent_ids
from db.messages import write_terms
from db.outbox import OutboxItem
from db.postgres import bind_workspace, lock_vector_writes
from db.stores import Stores
from db.vectors import VectorRecord
from ingest.context import contextual_texts, two_views
from ingest.passages import passages, stale_passages
from ingest.progress import NoProgress, Progress

DRAIN_BATCH = 512
IDLE_POLL_SECONDS = 0.2


class DrainReport(BaseModel):
    """What one drain did."""

    upserted: int = 0
    deleted: int = 0
    failed: int = 0


def drain(
    stores: Stores,
    workspace_id: str,
    *,
    batch_size: int = DRAIN_BATCH,
    progress: Progress | None = None,
    until: threading.Event | None = None,
    cancel: threading.Event | None = None,
) -> DrainReport:
    """Apply every ready outbox item of the workspace to Chroma, then return.

    With `until`, an empty queue means "wait for more" until the producer sets it; `cancel`
    stops after the batch in hand (what is not drained stays queued for the next run).

    Each batch is claimed with FOR UPDATE SKIP LOCKED and its transaction stays open until the
    vectors are stored and the items deleted, so concurrent drains never take the same item and a
    killed drain's items are claimable again at once. Embedding (CPU-bound, releases the GIL)
    overlaps with storing the previous batch.
    """
    progress = progress or NoProgress()
    report = DrainReport()
    pool = stores.postgres.pool
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="vector-store") as storer:
        in_flight: Future | None = None
        while not (cancel and cancel.is_set()):
            # Read before claiming: a producer sets `until` after its last commit, so a claim
            # that follows a set `until` sees every item there will be.
            producer_finished = until is None or until.is_set()
            conn = pool.getconn()
            try:
                bind_workspace(conn, workspace_id)
                lock_vector_writes(conn, workspace_id)  # waits while a graph is rebuilt
                items = outbox.claim(conn, workspace_id, batch_size)
                if not items:
                    conn.rollback()
                    pool.putconn(conn)
                    if in_flight is not None:  # what it commits may queue dependents' work
                        _tally(report, in_flight.result(), progress)
                        in_flight = None
                        continue
                    if producer_finished or until is None:
                        break
                    until.wait(IDLE_POLL_SECONDS)
                    continue
                batch = _embedded_batch(stores, conn, workspace_id, items)
            except BaseException:
                conn.rollback()
                pool.putconn(conn)
                raise
            if in_flight is not None:
                _tally(report, in_flight.result(), progress)
            in_flight = storer.submit(_store, stores, conn, workspace_id, batch)
        if in_flight is not None:
            _tally(report, in_flight.result(), progress)
    return report


@contextmanager
def drain_alongside(
    stores: Stores, workspace_id: str, progress: Progress | None = None
) -> Iterator[DrainReport]:
    """Drain the workspace's outbox in a background thread while the block writes to it; on
    exit, drain to the end and fill in the yielded report. If the block fails, the drain stops
    after its batch in hand and the rest stays queued for the next run."""
    report = DrainReport()
    producer_done, cancel = threading.Event(), threading.Event()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="vector-sync") as background:
        draining = background.submit(
            drain, stores, workspace_id, progress=progress, until=producer_done, cancel=cancel
        )
        try:
            yield report
        except BaseException:
            cancel.set()
            raise
        finally:
            producer_done.set()
            _tally(report, draining.result(), NoProgress())


@dataclass
class _Batch:
    """A claimed batch, embedded: each upsert's records (the message's, then its passages')
    with their vectors, and the messages whose older passages may outlast their new text."""

    items: list[OutboxItem]
    records: dict[int, tuple[list[VectorRecord], np.ndarray]] = field(default_factory=dict)
    replaced: dict[str, int] = field(default_factory=dict)  # message id: passages it keeps


def _embedded_batch(
    stores: Stores, conn: psycopg.Connection, workspace_id: str, items: list[OutboxItem]
) -> _Batch:
    """Embed the batch's upserts with their context and passages, index their words, and
    queue the dependents of edited messages again (all in the claim's transaction)."""
    upserts = [i for i in items if i.op == "upsert" and i.record]
    records = [i.record for i in upserts if i.record]
    contextual = contextual_texts(stores, conn, workspace_id, records)
    parts = [passages(r, c.place) for r, c in zip(records, contextual, strict=True)]
    n = len(records)
    embedded = stores.embedder.embed(
        [
            *(c.embedded for c in contextual),
            *(r.document for r in records),  # each message alone: its second view
            *(p.embedded for found in parts for p in found),
        ]
    )
    # each message's vector, then its passages' (ingest/context.py: two views of one message)
    embeddings = np.concatenate([two_views(embedded[:n], embedded[n : 2 * n]), embedded[2 * n :]])
    words = [(r.id, c.words) for r, c in zip(records, contextual, strict=True)]
    write_terms(conn, workspace_id, words)
    edited = requeue_dependents(stores, conn, workspace_id, upserts)
    batch = _Batch(items)
    start = n
    for row, (item, record, found) in enumerate(zip(upserts, records, parts, strict=True)):
        rows = [row, *range(start, start + len(found))]
        batch.records[item.id] = ([record, *(p.record for p in found)], embeddings[rows])
        start += len(found)
        if item.message_id in edited:
            batch.replaced[item.message_id] = len(found)
    batch.replaced |= {i.message_id: 0 for i in items if i.op == "delete"}
    return batch


def requeue_dependents(
    stores: Stores, conn: psycopg.Connection, workspace_id: str, upserts: list[OutboxItem]
) -> set[str]:
    """An edited message changes the context of the messages that depend on it (its replies,
    the next messages of a conversation): queue them again, in the claim's transaction, so
    their vectors are remade with the new context. Returns the edited messages."""
    hashes = {i.message_id: i.content_hash for i in upserts if i.content_hash}
    edited = outbox.edited_ids(conn, hashes)
    if not edited:
        return set()
    batch = {i.message_id for i in upserts}
    dependents = [d for d in dependent_ids(conn, edited) if d not in batch]
    held = stores.vectors.get(workspace_id, dependents)
    outbox.enqueue(
        conn,
        workspace_id,
        [(r.id, r, outbox.content_hash(r)) for r in held.values()],
        again=True,
    )
    return set(edited)


def _store(
    stores: Stores, conn: psycopg.Connection, workspace_id: str, batch: _Batch
) -> DrainReport:
    """Write one claimed batch to Chroma and complete it in the claim's transaction.

    If Chroma refuses the batch, its items are retried one by one, so a single bad item is
    scheduled for a retry (and in the end marked dead) without holding back the others.
    """
    items = batch.items
    try:
        try:
            _write_vectors(stores, workspace_id, items, batch)
            done, failed = items, []
        except Exception:
            done, failed = [], list[tuple[OutboxItem, str]]()
            for item in items:
                try:
                    _write_vectors(stores, workspace_id, [item], batch)
                    done.append(item)
                except Exception as exc:
                    failed.append((item, f"{type(exc).__name__}: {exc}"))
        passages = {i: len(records) - 1 for i, (records, _) in batch.records.items()}
        outbox.complete(conn, workspace_id, done, passages)
        for item, error in failed:
            outbox.fail(conn, [item.id], error)
        conn.commit()
    except BaseException:
        conn.rollback()  # the claim is released; the items are claimable again
        raise
    finally:
        stores.postgres.pool.putconn(conn)
    upserted = sum(1 for i in done if i.op == "upsert")
    return DrainReport(upserted=upserted, deleted=len(done) - upserted, failed=len(failed))


def _write_vectors(
    stores: Stores, workspace_id: str, items: list[OutboxItem], batch: _Batch
) -> None:
    """Upsert the items' records, delete the deleted messages' records, and the passages a
    message's older text had beyond its new one's (read from that older text)."""
    ids = {i.message_id for i in items}
    replaced = {m: kept for m, kept in batch.replaced.items() if m in ids}
    outlasting = stale_passages(stores.vectors.get(workspace_id, list(replaced)), replaced)
    written = [batch.records[i.id] for i in items if i.id in batch.records]
    if written:
        records = [r for found, _ in written for r in found]
        stores.vectors.upsert(workspace_id, records, np.concatenate([v for _, v in written]))
    deleted = [i.message_id for i in items if i.op == "delete"]
    stores.vectors.delete(workspace_id, deleted + outlasting)


def _tally(report: DrainReport, batch: DrainReport, progress: Progress) -> None:
    report.upserted += batch.upserted
    report.deleted += batch.deleted
    report.failed += batch.failed
    progress.advance("embedded", batch.upserted + batch.deleted + batch.failed)
