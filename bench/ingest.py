"""`slack-helper bench ingest`: end-to-end import speed against the bare embedder, and memory."""

import resource
import tempfile
import time
from pathlib import Path

from pydantic import BaseModel

from db.stores import StoreConfig, open_stores
from ingest.export_import import import_export
from ingest.progress import Progress
from ingest.vector_sync import DRAIN_BATCH
from sample.export import write_sample_export


class IngestBench(BaseModel):
    """The `bench ingest --json` document."""

    messages: int
    ingest_msgs_per_s: float
    embedder_msgs_per_s: float
    ratio: float
    peak_rss_mb: float


def bench_ingest(
    config: StoreConfig, messages: int, progress: Progress | None = None
) -> IngestBench:
    """Generate a synthetic workspace of `messages`, import it into scratch embedded stores.

    The bare embedder then embeds the texts Chroma holds, in the same batches, in the same
    process; the ratio (its time over the import's) is the share of the embedder's speed that
    the whole pipeline keeps. Peak RSS is
    this process's (embedded PostgreSQL runs in its own processes).
    """
    with tempfile.TemporaryDirectory(prefix="slack-helper-bench-") as scratch:
        root = Path(scratch)
        export = write_sample_export(root / "export", messages=messages, seed=11)
        scratch_config = config.model_copy(
            update={"data_dir": root / "data", "database_url": None, "chroma_url": None}
        )
        with open_stores(scratch_config) as stores:
            stores.embedder.embed(["warm up the model before the clock starts"])
            started = time.perf_counter()
            report = import_export(stores, export, progress=progress)
            ingest_seconds = time.perf_counter() - started
            texts = [r.document for r in stores.vectors.scan(report.workspace_id)]
            started = time.perf_counter()
            for i in range(0, len(texts), DRAIN_BATCH):
                stores.embedder.embed(texts[i : i + DRAIN_BATCH])
            embed_seconds = time.perf_counter() - started
    return IngestBench(
        messages=report.messages,
        ingest_msgs_per_s=round(report.messages / ingest_seconds, 1),
        embedder_msgs_per_s=round(len(texts) / embed_seconds, 1),
        # the embedder's time on the embedded texts over the whole import's time
        ratio=round(embed_seconds / ingest_seconds, 3),
        peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    )
