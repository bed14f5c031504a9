"""`slack-helper demo`: import the bundled sample workspace, show the counts, ask one question."""

from pydantic import BaseModel

from agent.contracts import Request, Result
from db.counts import StatusReport, collect_status
from db.stores import Stores
from ingest.export_import import ImportReport, import_export
from ingest.progress import Progress
from sample.export import write_sample_export
from slack_helper.settings import Settings
from slack_helper.wiring import build_runner

DEMO_QUESTION = "How do we deploy to production?"
SAMPLE_NAME = "acme-sample"


class DemoResult(BaseModel):
    """What the demo imported, the counts, and the agent's answer to one question."""

    imported: ImportReport
    status: StatusReport
    question: str
    answer: Result


def run_demo(stores: Stores, settings: Settings, progress: Progress | None = None) -> DemoResult:
    """Generate the sample export under the data dir, import it, ask the agent one question."""
    export = write_sample_export(settings.data_dir / "sample-export")
    report = import_export(stores, export, workspace_name=SAMPLE_NAME, progress=progress)
    answer = build_runner(stores, settings).run(
        report.workspace_id, Request(task="answer", question=DEMO_QUESTION)
    )
    return DemoResult(
        imported=report,
        status=collect_status(stores, report.workspace_id),
        question=DEMO_QUESTION,
        answer=answer,
    )
