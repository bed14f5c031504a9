"""Every live event type against real stores: both change as Slack would, replays are no-ops."""

import itertools

import numpy as np
import pytest

from db import Stores
from ingest.events import EventRefused, apply_event
from ingest.file_updates import replaced
from ingest.slack_api import SlackApi
from ingest.vector_sync import drain
from mcp_server.contracts import ChannelEventsArgs, SearchArgs
from mcp_server.search import ranked_ids
from mcp_server.tools import WorkspaceTools
from tests.fakes.slack_server import FakeWorkspace, fake_slack
from tests.helpers import assert_stores_agree, seed_workspace

WS = "TEVENTS1"
_ids = itertools.count(1)


def send(
    stores: Stores, kind: str, event_id: str | None = None, api: SlackApi | None = None, **event
):
    payload = {
        "type": "event_callback",
        "team_id": WS,
        "event_id": event_id or f"Ev{next(_ids)}",
        "event": {"type": kind, **event},
    }
    result = apply_event(stores, payload, files=api)
    drain(stores, WS)
    return result


def msg(ts: str, text: str, **extra) -> dict:
    return {
        "channel": "C1",
        "channel_type": "channel",
        "user": "U1",
        "ts": ts,
        "text": text,
        **extra,
    }


def one(stores: Stores, sql: str, *params):
    with stores.postgres.tenant(WS) as conn:
        return conn.execute(sql, params or None).fetchone()


def found(stores: Stores, query: str) -> list[str]:
    hits = WorkspaceTools(stores, WS).semantic_search(SearchArgs(query=query, limit=50)).hits
    return [h.text for h in hits]


@pytest.fixture
def live(stores: Stores) -> Stores:
    seed_workspace(stores, WS, "Seed message about nothing in particular")
    return stores


def test_new_messages_replies_broadcasts_and_bots(live: Stores):
    send(live, "message", **msg("1700000100.000001", "The quarterly roadmap review is on Monday"))
    send(
        live,
        "message",
        **msg(
            "1700000200.000001",
            "Can we move it to Tuesday?",
            thread_ts="1700000100.000001",
            user="U2",
        ),
    )
    send(
        live,
        "message",
        **msg(
            "1700000300.000001",
            "Moved to Tuesday.",
            thread_ts="1700000100.000001",
            subtype="thread_broadcast",
        ),
    )
    send(
        live,
        "message",
        channel="C1",
        subtype="bot_message",
        bot_id="B1",
        ts="1700000400.000001",
        text="Build 812 passed",
    )

    assert one(
        live,
        "SELECT reply_count, latest_reply FROM message_metadata WHERE ts = '1700000100.000001'",
    ) == (2, "1700000300.000001")
    assert one(
        live, "SELECT message_type FROM message_metadata WHERE ts = '1700000300.000001'"
    ) == ("thread_broadcast",)
    assert one(
        live, "SELECT bot_id, message_type FROM message_metadata WHERE ts = '1700000400.000001'"
    ) == ("B1", "bot_message")
    assert one(
        live, "SELECT count(*) FROM thread_participants WHERE thread_ts = '1700000100.000001'"
    ) == (2,)
    assert "The quarterly roadmap review is on Monday" in found(live, "roadmap review meeting")
    assert_stores_agree(live, WS)


def test_an_edit_reembeds_and_a_delete_removes_the_text_everywhere(live: Stores):
    send(live, "message", **msg("1700000100.000001", "The launch password is hunter2"))
    send(
        live,
        "message",
        channel="C1",
        subtype="message_changed",
        message=msg(
            "1700000100.000001",
            "The launch is on Friday",
            edited={"user": "U1", "ts": "1700000150.000000"},
        ),
    )
    assert one(
        live, "SELECT edited_at IS NOT NULL FROM message_metadata WHERE ts = '1700000100.000001'"
    ) == (True,)
    texts = found(live, "launch password hunter2")
    assert "The launch is on Friday" in texts and not any("hunter2" in t for t in texts)

    send(live, "message", channel="C1", subtype="message_deleted", deleted_ts="1700000100.000001")
    assert one(live, "SELECT count(*) FROM message_metadata WHERE ts = '1700000100.000001'") == (0,)
    assert not any("launch" in t for t in found(live, "launch on Friday"))
    assert_stores_agree(live, WS)


def test_a_replayed_event_changes_nothing_twice(live: Stores):
    added = send(
        live,
        "reaction_added",
        event_id="EvAdd",
        user="U2",
        reaction="eyes",
        item={"type": "message", "channel": "C1", "ts": "1700000000.000100"},
    )
    assert added.applied
    send(
        live,
        "reaction_removed",
        user="U2",
        reaction="eyes",
        item={"type": "message", "channel": "C1", "ts": "1700000000.000100"},
    )
    replay = send(
        live,
        "reaction_added",
        event_id="EvAdd",
        user="U2",
        reaction="eyes",
        item={"type": "message", "channel": "C1", "ts": "1700000000.000100"},
    )

    assert (replay.applied, replay.detail) == (False, "duplicate delivery")
    assert one(live, "SELECT count(*) FROM reactions WHERE emoji = 'eyes'") == (0,)
    assert one(
        live, "SELECT reaction_count FROM message_metadata WHERE ts = '1700000000.000100'"
    ) == (1,)  # the seed's tada


def test_channel_lifecycle_and_membership(live: Stores):
    send(
        live,
        "channel_created",
        channel={"id": "C9", "name": "launch", "created": 1700000000, "creator": "U1"},
    )
    send(live, "channel_rename", channel={"id": "C9", "name": "launch-2024"})
    send(live, "member_joined_channel", channel="C9", user="U7", channel_type="C")
    send(live, "member_joined_channel", channel="C9", user="U8", channel_type="C")
    send(live, "member_left_channel", channel="C9", user="U7", channel_type="C")
    send(live, "channel_archive", channel="C9")
    assert one(
        live, "SELECT name, is_archived, member_ids FROM channels WHERE channel_id = 'C9'"
    ) == ("launch-2024", True, ["U8"])
    send(live, "channel_unarchive", channel="C9")
    assert one(live, "SELECT is_archived FROM channels WHERE channel_id = 'C9'") == (False,)

    send(
        live,
        "message",
        **{**msg("1700000500.000001", "Launch checklist is ready"), "channel": "C9"},
    )
    assert "Launch checklist is ready" in found(live, "launch checklist")
    send(live, "channel_deleted", channel="C9")
    assert one(live, "SELECT count(*) FROM channels WHERE channel_id = 'C9'") == (0,)
    assert "Launch checklist is ready" not in found(live, "launch checklist")
    assert_stores_agree(live, WS)


def test_people_pins_links_and_files(live: Stores):
    send(
        live,
        "team_join",
        user={"id": "U5", "name": "erin", "profile": {"display_name": "erin", "title": "Designer"}},
    )
    send(
        live,
        "user_change",
        user={
            "id": "U5",
            "name": "erin",
            "profile": {"display_name": "erin", "title": "Design Lead"},
        },
    )
    assert one(live, "SELECT title FROM users WHERE user_id = 'U5'") == ("Design Lead",)

    send(
        live,
        "message",
        **msg(
            "1700000600.000001",
            "Specs attached",
            subtype="file_share",
            files=[{"id": "F1", "name": "spec.pdf", "title": "Spec v2"}],
        ),
    )
    assert send(live, "file_shared", file_id="F1", channel_id="C1").applied
    assert one(live, "SELECT count(*) FROM files WHERE file_id = 'F1'") == (1,)
    send(live, "file_deleted", file_id="F1")
    assert one(live, "SELECT count(*) FROM files WHERE file_id = 'F1'") == (0,)

    send(
        live,
        "link_shared",
        channel="C1",
        message_ts="1700000600.000001",
        links=[{"url": "https://github.com/acme/app/pull/9", "domain": "github.com"}],
    )
    assert one(live, "SELECT link_type FROM links WHERE url LIKE '%pull/9'") == ("github_pr",)

    send(
        live,
        "pin_added",
        channel_id="C1",
        item={"type": "message", "message": {"ts": "1700000600.000001"}},
    )
    assert one(live, "SELECT is_pinned FROM message_metadata WHERE ts = '1700000600.000001'") == (
        True,
    )
    send(
        live,
        "pin_removed",
        channel_id="C1",
        item={"type": "message", "message": {"ts": "1700000600.000001"}},
    )
    assert one(live, "SELECT is_pinned FROM message_metadata WHERE ts = '1700000600.000001'") == (
        False,
    )


def test_unknown_channels_are_created_and_bad_payloads_refused(live: Stores):
    send(
        live,
        "message",
        **{
            **msg("1700000700.000001", "Hello from a new room"),
            "channel": "CNEW",
            "channel_type": "group",
        },
    )
    assert one(live, "SELECT name, kind FROM channels WHERE channel_id = 'CNEW'") == (
        "CNEW",
        "private",
    )

    with pytest.raises(EventRefused, match="unknown workspace TNOPE"):
        apply_event(
            live,
            {
                "team_id": "TNOPE",
                "event_id": "Ev0",
                "event": {"type": "message", "channel": "C1", "ts": "1.0", "text": "x"},
            },
        )
    with pytest.raises(EventRefused, match="no 'event' object"):
        apply_event(live, {"team_id": WS, "event": "not a dict"})
    ignored = send(live, "app_home_opened", user="U1")
    assert (ignored.applied, ignored.detail) == (False, "ignored: not a sync event")
    assert one(live, "SELECT count(*) FROM message_metadata") == (2,)  # the seed and the new one


def test_channel_history_messages_are_kept_as_events_and_deleted_with_their_message(
    live: Stores,
):
    topic = msg("1700000600.000001", "set the channel topic: Launch on Friday")
    send(live, "message", **topic, subtype="channel_topic", topic="Launch on Friday")
    send(live, "message", **msg("1700000601.000001", "The launch doc"))
    pin = msg("1700000602.000001", "pinned a message to this channel.")
    pin_item = {"type": "message", "message": {"ts": "1700000601.000001"}}
    send(live, "message", **pin, subtype="pinned_item", item=pin_item)
    events = {
        (e.kind, e.new_value, e.item.text if e.item else None)
        for e in WorkspaceTools(live, WS).channel_events(ChannelEventsArgs()).events
    }
    assert events == {("topic", "Launch on Friday", None), ("pinned", None, "The launch doc")}
    send(live, "message", channel="C1", subtype="message_deleted", deleted_ts="1700000600.000001")
    assert one(live, "SELECT count(*) FROM channel_events") == (1,)
    assert_stores_agree(live, WS)


def _cosine(a, b) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_a_reply_is_embedded_with_its_thread_and_remade_when_the_parent_changes(live: Stores):
    parent = "Where can I find the city budget for capital improvement projects?"
    reply = "yes, from the portal, under finance"
    send(live, "message", **msg("1700000700.000001", parent))
    send(live, "message", **msg("1700000701.000001", reply, thread_ts="1700000700.000001"))
    reply_id = f"{WS}:C1:1700000701.000001"
    assert live.vectors.get(WS, [reply_id])[reply_id].document == reply  # the text, no context
    stored = live.vectors.embeddings(WS, [reply_id])[reply_id]
    bare, topic, other = live.embedder.embed(
        [reply, "city budget for capital projects", "weekend hiking trip photos"]
    )
    assert _cosine(stored, topic) > _cosine(bare, topic) + 0.1  # the parent's topic is in it

    edited = msg("1700000700.000001", "Where are the photos of our weekend hiking trip?")
    send(live, "message", channel="C1", subtype="message_changed", message=edited)
    remade = live.vectors.embeddings(WS, [reply_id])[reply_id]
    assert _cosine(remade, other) > _cosine(stored, other) + 0.1  # the new parent's topic
    assert _cosine(remade, topic) < _cosine(stored, topic)
    assert live.vectors.get(WS, [reply_id])[reply_id].document == reply
    assert_stores_agree(live, WS)


def test_a_reply_keeps_its_own_meaning_beside_its_thread(live: Stores):
    """Replies share their thread's context; what tells them apart is their own text, half of
    each vector (ingest/context.py), so the reply that says it ranks first, and a search
    scores it by the mean of the two views' cosines."""
    parent = "Any feedback on my bubble chart of billion dollar companies? Link in the post"
    replies = [
        "The tooltip says it's where it should say its",
        "I used getmdl.io as the UI framework, and good old d3 for the viz",
        "Love the colours, maybe sort the bubbles by sector",
    ]
    send(live, "message", **msg("1700000900.000001", parent))
    for n, reply in enumerate(replies, start=2):
        send(live, "message", **msg(f"1700000900.00000{n}", reply, thread_ts="1700000900.000001"))
    framework_id = f"{WS}:C1:1700000900.000003"
    thread = [f"{WS}:C1:1700000900.00000{n}" for n in range(1, 5)]
    question = SearchArgs(query="which UI framework was used")
    ranked = [i for i in ranked_ids(live, WS, question, "semantic") if i in thread]
    assert ranked[0] == framework_id

    stored = live.vectors.embeddings(WS, [framework_id])[framework_id]
    (own,) = live.embedder.embed([replies[1]])
    # the contextual view alone is 0.64 from the reply's own text; the mean of the two views
    # is (1 + that) / 2, and not normalised
    assert float(stored @ own) > 0.75
    assert np.linalg.norm(stored) < 0.99
    hits = WorkspaceTools(live, WS).semantic_search(SearchArgs(query=replies[1], limit=3)).hits
    assert hits[0].message_id == framework_id
    # the collection's metric is the inner product: a cosine one would normalise the vector
    # and score the reply above the mean of its two views' cosines
    assert hits[0].similarity == pytest.approx(float(stored @ own), abs=1e-3)


def test_a_reply_that_says_nothing_is_embedded_without_its_thread(live: Stores):
    """ "Thanks!" under the budget question would otherwise carry the question's meaning and
    rank beside the messages that answer it."""
    parent = "Where can I find the city budget for capital improvement projects?"
    send(live, "message", **msg("1700000800.000001", parent))
    send(live, "message", **msg("1700000801.000001", "Thanks! :+1:", thread_ts="1700000800.000001"))
    thanks_id = f"{WS}:C1:1700000801.000001"
    stored = live.vectors.embeddings(WS, [thanks_id])[thanks_id]
    topic, thanks = live.embedder.embed(["city budget for capital projects", "Thanks!"])
    # with its thread it was the question's (0.75 to its topic); alone it is a thank-you
    assert _cosine(stored, topic) < 0.2 and _cosine(stored, thanks) > 0.3
    assert_stores_agree(live, WS)


RUNBOOK = (
    "Runbook for the payments service. When the card processor times out, the checkout "
    "queue backs up; drain it by restarting the settlement worker, never the web tier."
)


def test_a_live_file_is_read_with_the_bot_token_and_leaves_search_when_deleted(live: Stores):
    with fake_slack(FakeWorkspace(team_id=WS)) as (api_url, slack):
        path = f"/files-pri/{WS}-F9/runbook.txt"
        slack.workspace.files[path] = RUNBOOK.encode()
        url = api_url.removesuffix("/api/") + path
        shared = [
            {"id": "F9", "name": "runbook.txt", "mimetype": "text/plain", "url_private": url},
            {"id": "F8", "name": "notes.txt", "mimetype": "text/plain", "plain_text": "Notes"},
        ]
        event = msg("1700000700.000001", "<@U1> uploaded a file", subtype="file_share")
        payload = {
            "type": "event_callback",
            "team_id": WS,
            "event_id": "EvFile1",
            "event": {"type": "message", **event, "files": shared},
        }
        assert apply_event(live, payload, files=SlackApi(slack.workspace.token, api_url)).applied
    drain(live, WS)
    question = "what to restart when card payments stall at checkout"
    assert any("settlement worker" in text for text in found(live, question)[:1])
    assert_stores_agree(live, WS)

    send(live, "file_deleted", file_id="F9")
    assert not any("settlement" in text for text in found(live, question))
    assert ranked_ids(live, WS, SearchArgs(query="settlement worker"), "keyword") == []
    (text,) = [t for t in found(live, "uploaded a file") if "uploaded a file" in t]
    assert text == "@user-TEVENTS1 uploaded a file\nNotes"  # the message and its other file stay
    start, end = one(live, "SELECT text_start, text_end FROM files WHERE file_id = 'F8'")
    assert text[start:end] == "Notes"
    assert_stores_agree(live, WS)


def test_a_changed_file_is_read_again_and_its_new_text_replaces_the_old(live: Stores):
    shared = [
        {"id": "F7", "name": "plan.md", "mimetype": "text/markdown", "plain_text": "Draft plan"},
        {"id": "F6", "name": "faq.txt", "mimetype": "text/plain", "plain_text": "FAQ: none yet"},
    ]
    send(live, "message", **msg("1700000800.000001", "Two files", files=shared))
    comment = "commented on plan.md: looks good"  # older clients' comment copies the file
    send(
        live, "message", **msg("1700000801.000001", comment, subtype="file_comment", file=shared[0])
    )
    with fake_slack(FakeWorkspace(team_id=WS)) as (api_url, slack):
        api = SlackApi(slack.workspace.token, api_url)
        path = f"/files-pri/{WS}-F7/plan.md"
        slack.workspace.files[path] = RUNBOOK.encode()
        slack.workspace.file_info["F7"] = {
            **shared[0],
            "plain_text": None,
            "preview": "Runbook for the payments",  # cut short: the file is downloaded
            "preview_is_truncated": True,
            "url_private": api_url.removesuffix("/api/") + path,
        }
        result = send(live, "file_change", api=api, file_id="F7", file={"id": "F7"})
        gone = send(live, "file_change", api=api, file_id="F404", file={"id": "F404"})
    assert result.detail.startswith("file F7: new text in 1 messages")
    assert "file_not_found" in gone.detail and "old text stays" in gone.detail
    (text,) = [t for t in found(live, "Two files") if t.startswith("Two files")]
    assert text == f"Two files\n{RUNBOOK}\nFAQ: none yet"  # the other file's text follows
    for file_id, piece in [("F7", RUNBOOK), ("F6", "FAQ: none yet")]:
        start, end = one(live, "SELECT text_start, text_end FROM files WHERE file_id = %s", file_id)
        assert text[start:end] == piece
    question = "what to restart when card payments stall at checkout"
    assert found(live, question)[0] == text
    assert comment in found(live, question)  # the comment is searched for what it says only
    assert ranked_ids(live, WS, SearchArgs(query="Draft plan"), "keyword") == []
    assert_stores_agree(live, WS)

    unread = send(live, "file_change", file_id="F6", file={"id": "F6"})  # no Web API at hand
    assert "old stays" in unread.detail
    assert [t for t in found(live, "Two files") if t.startswith("Two files")] == [text]


def test_a_files_text_is_replaced_appended_or_cut_in_place():
    text = "message\nfile one\nfile two"
    assert replaced(text, (8, 16), "") == ("message\nfile two", None, (16, -9))
    assert replaced("file one\nmessage", (0, 8), "") == ("message", None, (8, -9))
    assert replaced("file one", (0, 8), "") == ("", None, (8, -8))
    assert replaced(text, (8, 16), "v2") == ("message\nv2\nfile two", (8, 10), (16, -6))
    assert replaced("message", None, "new") == ("message\nnew", (8, 11), (7, 0))
    assert replaced("", None, "new") == ("new", (0, 3), (0, 0))
