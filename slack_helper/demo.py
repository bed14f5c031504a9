"""`slack-helper demo`: import the bundled sample workspace and show what the stores hold."""

from pathlib import Path

from pydantic import BaseModel

from db import repository
from db.models import split_message_id
from db.stores import Stores
from ingest.export_import import ImportReport, import_export
from ingest.progress import Progress
from ingest.sample_export import write_sample_export
from slack_helper.status import StatusReport, collect_status

DEMO_QUESTION = "How do we deploy to production?"
SAMPLE_NAME = "acme-sample"


class DemoHit(BaseModel):
    """The best semantic match for the demo question."""

    question: str
    channel: str
    user: str | None
    ts: str
    text: str
    distance: float


class DemoResult(BaseModel):
    """What the demo imported, the counts, and one search hit."""

    imported: ImportReport
    status: StatusReport
    hit: DemoHit | None


def run_demo(stores: Stores, data_dir: Path, progress: Progress | None = None) -> DemoResult:
    """Generate the sample export under `data_dir`, import it, search it once."""
    export = write_sample_export(data_dir / "sample-export")
    report = import_export(stores, export, workspace_name=SAMPLE_NAME, progress=progress)
    query = stores.embedder.embed([DEMO_QUESTION])[0]
    hits = stores.vectors.query(report.workspace_id, query, limit=1)
    hit = None
    if hits:
        _, channel_id, ts = split_message_id(hits[0].id)
        with stores.postgres.tenant(report.workspace_id) as conn:
            channel = repository.channel_name(conn, channel_id) or channel_id
        hit = DemoHit(
            question=DEMO_QUESTION,
            channel=channel,
            user=hits[0].metadata["user_id"] or None,
            ts=ts,
            text=hits[0].document,
            distance=hits[0].distance,
        )
    return DemoResult(imported=report, status=collect_status(stores, report.workspace_id), hit=hit)
