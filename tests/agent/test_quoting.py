"""What an offline answer quotes: the best hits' conversations, each message once."""

from datetime import UTC, datetime, timedelta

from agent.answer import _quoted_conversations
from mcp_server.contracts import MessageRef, SearchHit

START = datetime(2016, 5, 7, 1, 0, tzinfo=UTC)


def _ref(n: int, minutes: int, channel: str = "C1", thread_ts: str | None = None) -> MessageRef:
    ts = f"{1462585000 + n}.000000"
    return MessageRef(
        message_id=f"T1:{channel}:{ts}",
        channel_id=channel,
        channel=channel.lower(),
        ts=ts,
        thread_ts=thread_ts,
        time=START + timedelta(minutes=minutes),
        text=f"message {n}",
        permalink=f"/archives/{channel}/p{n}",
    )


def _hit(ref: MessageRef, score: float) -> SearchHit:
    return SearchHit(**ref.model_dump(), score=score, similarity=score, matched_by=["semantic"])


def _ids(groups: list[list[MessageRef]]) -> list[list[str]]:
    return [[m.message_id for m in group] for group in groups]


def test_hits_minutes_apart_in_a_channel_are_one_conversation_quoted_in_order():
    """The link ranks first, the post that opens it second: a reader gets one conversation,
    opening post first, not the link's with the opening cut off into a section of its own."""
    opening, link, reply = _ref(1, 0), _ref(2, 1), _ref(3, 2)
    later, elsewhere = _ref(4, 300), _ref(5, 1, channel="C2")
    hits = [_hit(link, 0.9), _hit(opening, 0.85), _hit(later, 0.8), _hit(elsewhere, 0.8)]
    conversations = {
        link.message_id: [link, reply],
        opening.message_id: [opening, link, reply],
    }
    assert _ids(_quoted_conversations(hits, conversations)) == _ids(
        [[opening, link, reply], [later], [elsewhere]]
    )


def test_threads_and_weak_hits_stay_apart():
    parent = _ref(1, 0, thread_ts=f"{1462585001}.000000")
    reply = _ref(2, 1, thread_ts=parent.ts)
    beside, weak = _ref(3, 2), _ref(4, 3)
    hits = [_hit(parent, 0.9), _hit(beside, 0.8), _hit(weak, 0.5)]  # 0.5 < 0.7 of the best
    conversations = {parent.message_id: [parent, reply]}
    assert _ids(_quoted_conversations(hits, conversations)) == _ids([[parent, reply], [beside]])


def test_a_long_thread_is_quoted_once_however_many_of_its_messages_are_hits():
    parent = _ref(1, 0, thread_ts=f"{1462585001}.000000")
    thread = [parent, *(_ref(n, n, thread_ts=parent.ts) for n in range(2, 10))]
    hits = [_hit(parent, 0.9), _hit(thread[-1], 0.85)]  # the last reply is past the quoted six
    conversations = {m.message_id: thread for m in thread}
    assert _ids(_quoted_conversations(hits, conversations)) == _ids([thread[:6]])
