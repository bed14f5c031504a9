"""Every tool on the sample workspace, asserting real content: the right thread, counts, people."""

from datetime import UTC, datetime

import pytest

from mcp_server import search
from mcp_server.contracts import (
    ChannelsArgs,
    HistoryArgs,
    LinksArgs,
    ReactionsArgs,
    SearchArgs,
    SqlArgs,
    ThreadArgs,
    UserArgs,
)
from mcp_server.errors import ToolInputError
from mcp_server.keywords import keyword_terms
from mcp_server.lookup import permalink
from mcp_server.tools import WorkspaceTools


def test_semantic_search_finds_the_deploy_howto(tools: WorkspaceTools):
    result = tools.semantic_search(SearchArgs(query="How do we deploy to production?", limit=5))
    top = result.hits[0]
    assert top.text.startswith("How we deploy to production")
    assert (top.channel, top.user, top.replies) == ("engineering", "alice", 3)
    assert top.permalink == f"/archives/C02ENG/p{top.ts.replace('.', '')}"
    assert "semantic" in top.matched_by and result.strategy == "unfiltered"


def test_exact_terms_are_found_by_keyword(tools: WorkspaceTools):
    result = tools.semantic_search(SearchArgs(query="WEB-311", limit=3))
    assert "WEB-311" in result.hits[0].text and "keyword" in result.hits[0].matched_by
    assert keyword_terms('What did Globex say about "code freeze" and PR 1250?') == [
        "code freeze",
        "PR",
        "1250",
        "Globex",
    ]
    assert keyword_terms("How do we deploy to production?") == []


def test_filters_by_channel_name_user_name_and_time(tools: WorkspaceTools):
    result = tools.semantic_search(
        SearchArgs(
            query="customer problem",
            channels=["#customer-feedback"],
            users=["frank"],
            since=datetime(2024, 3, 7, tzinfo=UTC),
            limit=10,
        )
    )
    assert result.hits
    assert {h.channel for h in result.hits} == {"customer-feedback"}
    assert {h.user for h in result.hits} == {"frank"}
    assert all(h.time >= datetime(2024, 3, 7, tzinfo=UTC) for h in result.hits)
    assert result.strategy in {"exact-candidates", "post-filter", "chroma-where"}


@pytest.mark.parametrize(
    "filters",
    [
        {"channels": ["engineering", "deploys"], "since": datetime(2024, 3, 4, tzinfo=UTC)},
        {"users": ["alice", "bob"]},
    ],
    ids=["read-from-ids", "read-from-metadata"],
)
def test_every_vector_strategy_finds_the_same_messages(
    tools: WorkspaceTools, monkeypatch: pytest.MonkeyPatch, filters: dict
):
    """The strategy is a cost decision only: forcing each one must not change the answer."""
    args = SearchArgs(query="the release was rolled back", limit=10, **filters)
    forced = {  # label: (the strategy expected, the limits that force it)
        "exact": ("exact-candidates", {"EXACT_MS_PER_ID": 0.0}),
        "post-filter by candidates": ("post-filter", {"EXACT_MS_PER_ID": 1e9}),
        "post-filter by estimate": (
            "post-filter",
            {"EXACT_CANDIDATES": 0, "OVERSAMPLE_LIMIT": 1_000_000},
        ),
        "ids read after an overrated filter": (
            "exact-candidates",
            {"READ_IDS_BELOW": 0, "OVERSAMPLE_LIMIT": 0},
        ),
        "where": ("chroma-where", {"EXACT_CANDIDATES": 0, "OVERSAMPLE_LIMIT": 0}),
    }
    found = {}
    for label, (strategy, limits) in forced.items():
        with monkeypatch.context() as patch:
            for name, value in limits.items():
                patch.setattr(search, name, value)
            result = tools.semantic_search(args)
        assert result.strategy == strategy, label
        found[label] = [h.message_id for h in result.hits]
    assert len(found["exact"]) == 10
    assert all(ids == found["exact"] for ids in found.values()), found


def test_in_thread_filter(tools: WorkspaceTools):
    inside = tools.semantic_search(SearchArgs(query="rollback", in_thread=True, limit=10))
    assert inside.hits and all(h.thread_ts for h in inside.hits)
    outside = tools.semantic_search(SearchArgs(query="rollback", in_thread=False, limit=10))
    assert outside.hits and not any(h.thread_ts for h in outside.hits)


def test_unknown_channel_or_user_is_a_tool_error_that_lists_choices(tools: WorkspaceTools):
    with pytest.raises(ToolInputError, match="unknown channel 'nope'.*engineering"):
        tools.semantic_search(SearchArgs(query="x", channels=["nope"]))
    with pytest.raises(ToolInputError, match="unknown user 'mallory'"):
        tools.semantic_search(SearchArgs(query="x", users=["mallory"]))


def test_get_thread_returns_parent_then_replies_in_order(tools: WorkspaceTools):
    hit = tools.semantic_search(SearchArgs(query="PR 1234 session storage", limit=1)).hits[0]
    thread = tools.get_thread(ThreadArgs(channel="engineering", thread_ts=hit.thread_ts or hit.ts))
    authors = [m.user for m in thread.messages]
    assert authors == ["bob", "alice", "grace", "bob", "alice"]
    assert thread.messages[-1].text == "Approved PR 1234 after the lock timeout fix."
    assert [r.emoji for r in thread.messages[0].reaction_details] == ["eyes"]
    assert thread.messages[0].reaction_details[0].users == ["U01ALICE", "U07GRACE"]


def test_reactions_for_one_message_and_for_a_window(tools: WorkspaceTools):
    cache_win = tools.semantic_search(SearchArgs(query="p95 API latency dropped", limit=1)).hits[0]
    one = tools.reactions_for(ReactionsArgs(channel="general", ts=cache_win.ts))
    assert [(r.emoji, r.count) for r in one.reactions] == [("fire", 6)]
    by_id = tools.reactions_for(ReactionsArgs(message_id=cache_win.message_id))
    assert by_id.reactions == one.reactions

    window = tools.reactions_for(ReactionsArgs(emoji="tada"))
    assert window.reactions[0].emoji == "tada" and len(window.reactions) == 1
    assert window.top_messages[0].text.startswith("Product update: dark mode")
    assert window.top_reactors[0].count >= 1


def test_list_channels_counts(tools: WorkspaceTools):
    channels = {c.name: c for c in tools.list_channels(ChannelsArgs()).channels}
    assert set(channels) == {
        "general",
        "engineering",
        "deploys",
        "product",
        "customer-feedback",
        "random",
    }
    assert channels["engineering"].members == 8 and channels["engineering"].messages > 20


def test_find_and_get_users(tools: WorkspaceTools):
    found = tools.find_users(UserArgs(query="engineer"))
    assert {u.name for u in found.users} >= {"alice", "bob", "erin", "grace"}
    assert tools.get_user("Carol Okafor").user_id == "U03CAROL"
    with pytest.raises(ToolInputError):
        tools.get_user("nobody")


def test_channel_history_pages_without_gaps_or_repeats(tools: WorkspaceTools):
    seen, cursor = [], None
    while True:
        page = tools.channel_history(HistoryArgs(channel="product", limit=7, cursor=cursor))
        seen.extend(m.ts for m in page.messages)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == sorted(seen, key=float) and len(seen) == len(set(seen))
    product = next(c for c in tools.list_channels(ChannelsArgs()).channels if c.name == "product")
    assert len(seen) == product.messages


def test_top_links(tools: WorkspaceTools):
    prs = tools.top_links(LinksArgs(link_type="github_pr")).links
    assert prs and {link.link_type for link in prs} == {"github_pr"}
    assert [link.reactions for link in prs] == sorted(
        (link.reactions for link in prs), reverse=True
    )
    pr_1234 = next(link for link in prs if link.url.endswith("/pull/1234"))
    assert pr_1234.shares >= 1 and pr_1234.reactions >= 2  # eyes from alice and grace


def test_sql_metadata_query_answers_analytics(tools: WorkspaceTools):
    result = tools.sql_metadata_query(
        SqlArgs(
            sql="SELECT c.name, count(*) FROM message_metadata m JOIN channels c "
            "USING (workspace_id, channel_id) WHERE c.name = $1 GROUP BY c.name",
            params=["engineering"],
        )
    )
    assert result.columns == ["name", "count"] and result.rows[0][0] == "engineering"
    capped = tools.sql_metadata_query(SqlArgs(sql="SELECT message_id FROM message_metadata"))
    assert capped.truncated and len(capped.rows) == tools.row_cap


def test_describe_schema_matches_the_database(tools: WorkspaceTools):
    schema = tools.describe_schema()
    tables = {t.name: t for t in schema.tables}
    assert "installations" not in tables and "processing_queue" not in tables
    assert "reaction_count" in {c.name for c in tables["message_metadata"].columns}
    for example in schema.examples.values():
        tools.sql_metadata_query(SqlArgs(sql=example))  # every example runs


def test_a_reply_permalink_names_its_thread_as_slack_does():
    assert permalink("C1", "1.000200", "1.000100", "https://acme.slack.com") == (
        "https://acme.slack.com/archives/C1/p1000200?thread_ts=1.000100&cid=C1"
    )
    assert permalink("C1", "1.000100", "1.000100") == "/archives/C1/p1000100"


def test_fusion_keeps_a_clearly_better_meaning_and_lifts_rare_evidence():
    similarity = {"best": 0.83, "near": 0.55, "also": 0.53}
    common_term = {"near": 0.4, "also": 0.4, "elsewhere": 0.4}  # a word many messages hold
    assert [i for i, _, _ in search.fuse(similarity, common_term)][0] == "best"
    weak = {"a": 0.31, "b": 0.30}
    rare_code = {"exact": 1.0}  # the only message holding the query's code
    assert [i for i, _, _ in search.fuse(weak, rare_code)][0] == "exact"
    assert search.fuse(weak, {}) == [
        ("a", 0.31 * search.FUSION_WEIGHT, ["semantic"]),
        ("b", 0.30 * search.FUSION_WEIGHT, ["semantic"]),
    ]


def test_a_term_many_messages_hold_is_no_evidence(tools: WorkspaceTools):
    """A term past the document-frequency cut-off weighs nothing and matches nothing; a rare
    code weighs the most."""
    with tools.stores.postgres.tenant(tools.workspace_id) as conn:
        total = tools.stores.vectors.count(tools.workspace_id)
        common, rare = search._term_weights(conn, ["the", "WEB-311"], total)
    assert common == 0 < rare <= 1
    found = tools.semantic_search(SearchArgs(query='"the" WEB-311', limit=10))
    matched = [hit for hit in found.hits if "keyword" in hit.matched_by]
    # the code's message and its thread's replies (whose context holds it), nothing else
    root = next(hit for hit in matched if "WEB-311" in hit.text)
    assert all((hit.thread_ts or hit.ts) == root.ts for hit in matched)
