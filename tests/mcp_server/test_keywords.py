"""The keyword side: exact terms found through PostgreSQL's full-text index, within the filters,
following edits and deletes, one workspace at a time."""

from datetime import UTC, datetime

from db import Stores
from db.channels import upsert_channels
from db.filters import Filters
from db.keywords import keyword_query, word_counts
from db.models import Channel, Message
from ingest.vector_sync import drain
from ingest.writer import write_messages
from mcp_server import search
from mcp_server.contracts import SearchArgs
from mcp_server.search import ranked_ids, search_sides
from tests.helpers import empty_workspace, numbered_messages

WS = "TKEYWORDS"


def _message(n: int, text: str, channel_id: str = "C1", day: int = 1, **extra) -> Message:
    return Message(
        workspace_id=WS,
        channel_id=channel_id,
        ts=f"17000000{n:02d}.000100",
        user_id="U1",
        created_at=datetime(2024, 3, day, tzinfo=UTC),
        message_type="message",
        is_content=True,
        raw_text=text,
        text=text,
        **extra,
    )


def _write(stores: Stores, *messages: Message) -> None:
    with stores.postgres.tenant(WS) as conn:
        write_messages(conn, list(messages))


def _keyword(stores: Stores, query: str, workspace_id: str = WS, **filters) -> list[str]:
    return ranked_ids(stores, workspace_id, SearchArgs(query=query, **filters), "keyword")


def _id(n: int, channel_id: str = "C1") -> str:
    return f"{WS}:{channel_id}:17000000{n:02d}.000100"


def test_exact_terms_match_whole_tokens_whatever_their_case(stores: Stores):
    empty_workspace(stores, WS)
    _write(
        stores,
        _message(1, "Rolled back WEB-311 after ERR_42 in v2.14"),
        _message(2, "Review https://github.com/acme/app/pull/1234 please"),
        _message(3, "Gateway answered 502s twice"),
        _message(4, "Order 15020 shipped; web 311 is a street", day=4),
    )
    assert _keyword(stores, "what about web-311?") == [_id(4), _id(1)]  # both hold web, 311
    assert _keyword(stores, "ERR_42") == [_id(1)]
    assert _keyword(stores, "V2.14") == [_id(1)]
    assert _keyword(stores, "PR 1234") == [_id(2)]  # the number inside the URL's path
    assert _keyword(stores, "502") == [_id(3)]  # also before a letter; not inside 15020
    assert _keyword(stores, "How do we deploy?") == []  # no exact-looking term: nothing asked


def test_capitals_that_spell_a_function_word_match_nothing(stores: Stores):
    # the index holds words whatever their case: "US" would be every "us"
    empty_workspace(stores, WS)
    _write(
        stores,
        _message(1, "Let us know what you think of it"),
        _message(2, "IT is down"),
        _message(3, "Rolled back WEB-311 for us"),
    )
    assert _keyword(stores, "feedback on the US flights animation") == []
    assert _keyword(stores, "who runs IT?") == []
    assert _keyword(stores, "What about US WEB-311?") == [_id(3)]  # a code is still a term


def test_most_terms_first_then_newest_within_the_filters(stores: Stores):
    empty_workspace(stores, WS)
    with stores.postgres.tenant(WS) as conn:
        upsert_channels(conn, WS, [Channel(channel_id="C2", name="deploys")])
    _write(
        stores,
        _message(1, "ERR_42 and WEB-311 together", day=1),
        _message(2, "only ERR_42 here", day=2),
        _message(3, "ERR_42 again, later", day=3),
        _message(4, "ERR_42 in deploys", channel_id="C2", day=4),
    )
    assert _keyword(stores, "ERR_42 WEB-311") == [_id(1), _id(4, "C2"), _id(3), _id(2)]
    assert _keyword(stores, "ERR_42", channels=["deploys"]) == [_id(4, "C2")]
    assert _keyword(
        stores, "ERR_42", channels=["general"], since=datetime(2024, 3, 2, tzinfo=UTC)
    ) == [_id(3), _id(2)]


def test_terms_follow_edits_and_deletes(stores: Stores):
    empty_workspace(stores, WS)
    _write(stores, _message(1, "deploy blocked by ERR_42"), _message(2, "ERR_42 seen too"))
    _write(stores, _message(1, "deploy blocked by ERR_77"))  # an edit replaces the words
    assert _keyword(stores, "ERR_42") == [_id(2)]
    assert _keyword(stores, "ERR_77") == [_id(1)]
    join = _message(2, "ERR_42 seen too").model_copy(update={"is_content": False})
    _write(stores, join)  # no longer content: no longer searchable
    assert _keyword(stores, "ERR_42") == []
    with stores.postgres.tenant(WS) as conn:
        conn.execute("DELETE FROM message_metadata WHERE message_id = %s", [_id(1)])
        assert conn.execute("SELECT count(*) FROM message_terms").fetchone()[0] == 0
    assert _keyword(stores, "ERR_77") == []


def test_another_workspace_never_matches(stores: Stores):
    empty_workspace(stores, WS)
    empty_workspace(stores, "TOTHER")
    _write(stores, _message(1, "ERR_42 in ours"))
    with stores.postgres.tenant("TOTHER") as conn:
        write_messages(
            conn, [_message(1, "ERR_42 in theirs").model_copy(update={"workspace_id": "TOTHER"})]
        )
    assert _keyword(stores, "ERR_42") == [_id(1)]
    assert _keyword(stores, "ERR_42", workspace_id="TOTHER") == ["TOTHER:C1:1700000001.000100"]


def test_searches_can_use_the_full_text_index(stores: Stores):
    """Under row-level security a search of message_terms itself, or one joined with the
    metadata, would scan every message's words."""
    empty_workspace(stores, WS)
    _write(stores, *numbered_messages(WS, 3000, "status note {i}"), _message(1, "ERR_42"))
    with stores.postgres.operator() as conn:
        conn.execute("ANALYZE message_terms")
    with stores.postgres.tenant(WS) as conn:
        conn.execute("SET LOCAL enable_seqscan = off")  # small enough to scan: ask what it can do
        statement, params = keyword_query(["ERR_42"], [1.0], Filters(channel_ids=["C1"]), 30)
        plan = conn.execute("EXPLAIN " + statement, params).fetchall()
    assert "Bitmap Index Scan on message_terms_idx" in "\n".join(r[0] for r in plan)


def test_words_are_counted_by_stem_and_by_the_index_tokens(stores: Stores):
    empty_workspace(stores, WS)
    _write(
        stores,
        _message(1, "The announcement: ggplot2 got faceting, and we get new themes"),
        _message(2, "Deploying on Friday, then we get lunch"),
        _message(3, "Shiny! and https://someone.shinyapps.io/demo for the company"),
    )
    with stores.postgres.tenant(WS) as conn:
        counts = word_counts(
            conn,
            ["announced", "gets", "ggplot2", "deploys", "password", "ggplot3", "pizza", "shiny"]
            + ["companies", "shine"],
            5,
        )
        capped = word_counts(conn, ["gets"], 1)
    assert counts == {
        "announced": 1,
        "gets": 2,
        "ggplot2": 1,
        "deploys": 1,
        "password": 0,
        "ggplot3": 0,
        "pizza": 0,
        "shiny": 1,  # stemmed "shini": found as "shiny" in "shinyapps"
        "companies": 1,
        "shine": 0,
    }
    assert capped == {"gets": 1}


def test_hybrid_scores_every_vector_candidate_for_the_terms_too(stores: Stores, monkeypatch):
    # 40 newer messages hold the term, so its keyword list stops at its depth (30) before the
    # oldest; the vector side's best candidate is that oldest one, and it is scored for the
    # term all the same, as a convex combination needs. (Every message holds the term here:
    # no share of the workspace makes it common, as only a large workspace could show.)
    monkeypatch.setattr(search, "COMMON_SHARE", 1.0)
    empty_workspace(stores, WS)
    newer = [_message(n, f"ZETA-7 build {n} finished", day=2 + n % 20) for n in range(1, 41)]
    target = _message(50, "ZETA-7 rollback: the canary failed, we restored last release", day=1)
    _write(stores, target, *newer)
    drain(stores, WS)

    args = SearchArgs(query="why was ZETA-7 rolled back to the last release?", limit=10)
    similarity, keyword = search_sides(stores, WS, args)
    assert next(iter(similarity)) == _id(50)
    assert keyword[_id(50)] == max(keyword.values()) > 0  # as much as the newer ones
    assert ranked_ids(stores, WS, args, "hybrid")[0] == _id(50)
