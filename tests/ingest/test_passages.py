"""A long message (a shared file's text) is searchable in every part, not only its first page,
and its passage records come and go with its text."""

from db import Stores
from db.counts import collect_status
from db.messages import delete_message
from db.models import passage_id
from ingest.passages import LEAD_CHARS, PASSAGE_CHARS, passage_count
from ingest.reconcile import reconcile
from ingest.vector_sync import drain
from ingest.writer import write_messages
from mcp_server.contracts import SearchArgs
from mcp_server.search import ranked_ids
from tests.helpers import assert_stores_agree, empty_workspace, numbered_messages

WS = "TPASSAGE1"
# A handbook whose last section is about something none of its first page mentions.
SECTIONS = [
    "Welcome to the team handbook. This page explains how our data visualisation group "
    "works, who to ask for help, and where our shared notebooks live.",
    "Meetings happen every second Tuesday in the library basement. Bring a laptop and, if you "
    "like, a chart you made that month to show the others.",
    "Our code lives in one repository. Every change goes through review by one other person, "
    "and the continuous integration runs the notebooks before anything is merged.",
    "We publish a monthly newsletter with the best charts of the month, a short interview and "
    "the list of upcoming talks at the university and the public library.",
    "Talks are twenty minutes long with ten minutes of questions. Slides are shared in the "
    "readings channel afterwards so that people who missed the talk can catch up.",
    "New members get a mentor for their first three months, who helps them choose a first "
    "project from the list of open ideas in the repository's issues.",
    "Expense claims: volunteers are reimbursed for train tickets and parking when travelling "
    "to a workshop on behalf of the group. Receipts go to the treasurer within thirty days, "
    "and claims above two hundred dollars need approval from two organisers first.",
]
HANDBOOK = "<@U1> uploaded a file: handbook.md\nhandbook.md\n" + "\n\n".join(SECTIONS * 2)
QUESTION = "how do volunteers get their travel costs paid back?"


def _write(stores: Stores, text: str) -> str:
    (handbook,) = numbered_messages(WS, 1, text)
    others = numbered_messages(WS, 40, "an unrelated chat message about lunch, number {i}")[1:]
    with stores.postgres.tenant(WS) as conn:
        write_messages(conn, [handbook.model_copy(update={"text": text}), *others])
    drain(stores, WS)
    return handbook.message_id


def test_every_part_of_a_long_message_is_found(stores: Stores):
    empty_workspace(stores, WS)
    message = _write(stores, HANDBOOK)

    count = passage_count(HANDBOOK)
    assert count >= len(HANDBOOK) // PASSAGE_CHARS
    held = stores.vectors.get(WS, [passage_id(message, n) for n in range(1, count + 1)])
    assert len(held) == count and all(r.metadata["message_id"] == message for r in held.values())
    assert any("reimbursed" in r.document for r in held.values())
    assert "reimbursed" not in HANDBOOK[:PASSAGE_CHARS]  # past what the message's own vector reads
    lead = held[passage_id(message, count)].document  # the last passage is the message's lead
    assert HANDBOOK.startswith(lead) and len(lead) <= LEAD_CHARS
    assert_stores_agree(stores, WS)
    (status,) = collect_status(stores, WS).workspaces
    assert (status.messages_chroma, status.passages_chroma) == (40, count)  # not 40 + count
    (best,) = stores.vectors.query(WS, stores.embedder.embed([QUESTION])[0], 1)
    assert best.id in held  # the passage that says it, not the message's first page

    for channel in ([], ["general"]):  # unfiltered, and the filtered path that scores exactly
        args = SearchArgs(query=QUESTION, limit=5, channels=channel)
        for side in ("semantic", "hybrid"):
            ranked = ranked_ids(stores, WS, args, side)
            assert ranked[0] == message and len(ranked) == len(set(ranked)), (side, channel)


def test_passages_follow_edits_deletes_and_reconcile(stores: Stores):
    empty_workspace(stores, WS)
    message = _write(stores, HANDBOOK)
    before = passage_count(HANDBOOK)

    shorter = "\n\n".join(SECTIONS)
    _write(stores, shorter)  # an edit: fewer passages, the rest are removed
    assert 0 < passage_count(shorter) < before
    assert stores.vectors.get(WS, [passage_id(message, before)]) == {}
    assert_stores_agree(stores, WS)

    # drift: a passage lost, another that no text makes; reconcile repairs both
    first = stores.vectors.get(WS, [passage_id(message, 1)])[passage_id(message, 1)]
    stray = first.model_copy(update={"id": passage_id(message, 99)})
    stores.vectors.upsert(WS, [stray], stores.embedder.embed([stray.document]))
    stores.vectors.delete(WS, [first.id])
    report = reconcile(stores, WS)
    assert report.unpassaged == [message] and report.orphaned == [passage_id(message, 99)]
    assert_stores_agree(stores, WS)

    with stores.postgres.tenant(WS) as conn:
        assert delete_message(conn, WS, "C1", message.split(":")[2])
    drain(stores, WS)
    assert stores.vectors.get(WS, [passage_id(message, 1)]) == {}
    assert_stores_agree(stores, WS)
