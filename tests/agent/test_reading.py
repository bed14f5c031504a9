"""How the offline planner reads time and questions (pure functions, no stores)."""

from datetime import UTC, datetime

import pytest

from agent.contracts import Request
from agent.dates import parse_end, parse_moment, window_in, window_words
from agent.intent import read_intent
from agent.pr_review import pr_number

NOW = datetime(2024, 3, 20, 15, 30, tzinfo=UTC)  # a Wednesday


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7d", datetime(2024, 3, 13, 15, 30, tzinfo=UTC)),
        ("24h", datetime(2024, 3, 19, 15, 30, tzinfo=UTC)),
        ("2w", datetime(2024, 3, 6, 15, 30, tzinfo=UTC)),
        ("2016-07-01", datetime(2016, 7, 1, tzinfo=UTC)),
    ],
)
def test_parse_moment(value: str, expected: datetime):
    assert parse_moment(value, NOW) == expected


def test_an_end_date_includes_its_day_and_is_told_as_the_last_day():
    end = parse_end("2016-07-31", NOW)
    assert end == datetime(2016, 8, 1, tzinfo=UTC)  # July 31st is in the window
    assert parse_end("2016-07-31T12:00", NOW) == datetime(2016, 7, 31, 12, tzinfo=UTC)
    assert parse_end("7d", NOW) == parse_moment("7d", NOW)
    since = parse_moment("2016-07-01", NOW)
    assert window_words(since, end) == " from 2016-07-01 to 2016-07-31"
    assert window_words(None, None) == "" and window_words(since, None).endswith("to now")


def test_parse_moment_refuses_prose_with_a_hint():
    with pytest.raises(ValueError, match="duration such as 7d"):
        parse_moment("last tuesday", NOW)


@pytest.mark.parametrize(
    ("question", "since", "until"),
    [
        ("what happened yesterday", "2024-03-19", "2024-03-20"),
        ("deploys last week", "2024-03-11", "2024-03-18"),
        ("anything this week?", "2024-03-18", None),
        ("what broke in March", "2024-03-01", "2024-04-01"),
        ("what shipped in November", "2023-11-01", "2023-12-01"),  # the last November
        ("since 2024-03-05 what changed", "2024-03-05", None),
        ("what happened on 2024-03-05", "2024-03-05", "2024-03-06"),
        ("how do we deploy", None, None),
        ("what was said in #sci in July 2016?", "2016-07-01", "2016-08-01"),
        # a dated event: planned the month before, followed up the month after
        ("Which venue was the August 2015 data jam waiting on?", "2015-07-01", "2015-10-01"),
        ("who spoke at the December 2015 meetup", "2015-11-01", "2016-02-01"),
        ("the talks of December 2015 and later", "2015-12-01", "2016-01-01"),
        # a week of a month: its days 1-7, 8-14, ...; the last, its final seven days
        ("Anything about Globex in the first week of March?", "2024-03-01", "2024-03-08"),
        ("what shipped in the second week of March 2016", "2016-03-08", "2016-03-15"),
        ("the last week of February 2024", "2024-02-23", "2024-03-01"),  # not "last week"
    ],
)
def test_window_in(question: str, since: str | None, until: str | None):
    start, end = window_in(question, NOW)
    assert (start and start.date().isoformat(), end and end.date().isoformat()) == (since, until)


def test_read_intent_resolves_channels_people_and_prs():
    handles = {"dave": "U04DAVE", "alice": "U01ALICE", "deploybot": "U09BOT"}
    names = {"dave": "U04DAVE", "kim": "U04DAVE", "deploy": "U09BOT"}
    intent = read_intent(
        "What did @alice and Kim say about PR #1234 in #deploys last week? "
        "See https://github.com/acme/webapp/pull/1250",
        ["deploys", "engineering"],
        handles,
        names,
        NOW,
    )
    assert intent.channels == ["deploys"] and intent.channel_hints == []  # named with '#'
    assert read_intent("errors in the deploys", ["deploys"], {}, {}, NOW).channel_hints == [
        "deploys"
    ]
    assert intent.users == ["U01ALICE", "U04DAVE"]
    assert intent.pr_numbers == [1234, 1250]
    assert intent.urls == ["https://github.com/acme/webapp/pull/1250"]
    assert intent.since == datetime(2024, 3, 11, tzinfo=UTC)
    assert "deploys" not in intent.topic and "alice" not in intent.topic


@pytest.mark.parametrize(
    ("question", "months"),
    [
        ("What did people say about Shiny in March 2016?", ["march"]),
        ("Anything about maps in May?", ["may"]),
        # a month that names an event is part of what is asked
        ("Which venue was the August 2015 data jam waiting on?", []),
    ],
)
def test_a_month_the_window_says_is_no_word_a_message_must_say(question: str, months):
    intent = read_intent(question, [], {}, {}, NOW)
    assert intent.since is not None and intent.window_terms == months


def test_a_week_of_a_month_is_a_window_not_a_topic():
    intent = read_intent("Anything about Globex in the first week of March?", [], {}, {}, NOW)
    assert intent.topic == "Anything about Globex"
    assert (intent.since, intent.until) == (
        datetime(2024, 3, 1, tzinfo=UTC),
        datetime(2024, 3, 8, tzinfo=UTC),
    )


def test_a_real_name_part_counts_only_when_capitalised():
    intent = read_intent("how do we deploy", [], {}, {"deploy": "U09BOT"}, NOW)
    assert intent.users == [] and intent.topic == "how do we deploy"


def test_pr_number_from_url_or_number():
    assert pr_number(Request(task="pr_review", pr_url="https://github.com/a/b/pull/77")) == 77
    assert pr_number(Request(task="pr_review", pr_number=5)) == 5
    with pytest.raises(ValueError, match="PR number"):
        pr_number(Request(task="pr_review", pr_url="https://example.com"))


@pytest.mark.parametrize(
    ("question", "reactions", "history", "counting"),
    [
        ("How did Oleg react to the rewording?", False, [], False),
        ("Which message got the most reactions in #general?", True, [], False),
        ("What did people react to most?", False, [], False),
        ("Who reacted with :tada: to the launch?", True, [], False),
        ("What was #tuts called before?", False, ["renamed"], False),
        ("Who archived the #meetup channel?", False, ["archived"], False),
        ("What topic was set for #general?", False, ["topic"], False),
        ("What topics did the talk cover?", False, [], False),  # no channel: not history
        ("Who joined #general in June?", False, ["joined"], False),
        # "in the meetup" may be the channel or the word: a common event word needs #meetup
        ("Does the joined date in the meetup data mean our group?", False, [], False),
        ("Who joined the meetup channel?", False, ["joined"], False),
        # joining the workspace: a join that happened, not one wished for
        ("When did timabram first join the Slack workspace?", False, ["joined"], False),
        ("Who was the last person to join the team?", False, ["joined"], False),
        ("What pun was used to get people to join the Slack?", False, [], False),
        ("Which integrations were added?", False, ["integration_added"], False),
        ("Who posted the most in #tools?", False, [], True),
        ("How many messages were posted in #sci?", False, [], True),
        ("How many people posted in #tools?", False, [], True),
        ("How many different members have been active in #sci since May?", False, [], True),
        # people counted, but not as posters: attendance, or posts on a topic
        ("How many people came to the meetup?", False, [], False),
        ("How many people wrote about D3?", False, [], True),  # those whose messages say "D3"
    ],
)
def test_read_intent_routes_reactions_history_and_counts(question, reactions, history, counting):
    channels = ["tuts", "meetup", "meetup-", "general", "tools", "sci"]
    intent = read_intent(question, channels, {}, {}, NOW)
    assert (intent.reactions, intent.history, intent.counting) == (reactions, history, counting)


@pytest.mark.parametrize(
    ("question", "digest"),
    [
        ("Summarise #sci last week", True),
        ("Give me a recap", True),
        ("Customer feedback digest for March", True),
        ("What are the highlights in #general?", True),
        # a scoped question with nothing asked but what went on there
        ("What was discussed in #sci in March 2016?", True),
        ("What was shared in #general during the first week of July?", True),
        ("What was said about Shiny in #sci in March 2016?", False),
        # the word inside an unscoped question is its topic, not a request for a digest
        ("the argument that a chart ought to summarise big data rather than plot it all", False),
        ("Where did Ann post the summary of the survey results?", False),
    ],
)
def test_read_intent_asks_a_digest_only_when_the_request_is_one(question, digest):
    assert read_intent(question, ["sci", "general"], {}, {}, NOW).digest is digest


@pytest.mark.parametrize(
    "question",
    [
        "When was the tuts channel renamed?",
        "When was the #tuts channel renamed?",
        "Who renamed channel tuts?",
        "Who renamed the channel in the tuts?",
    ],
)
def test_a_channel_is_named_with_or_without_its_hash(question: str):
    intent = read_intent(question, ["tuts", "general"], {}, {}, NOW)
    assert intent.channels == ["tuts"] and intent.history == ["renamed"]
    assert "tuts" not in intent.topic


@pytest.mark.parametrize(
    ("question", "ranks_channels"),
    [
        ("Which channel has the most messages?", True),
        ("What is the busiest channel this year?", True),
        ("Who posted the most in #general?", False),
        ("Which channel is about maps?", False),  # not a count
    ],
)
def test_a_count_question_may_ask_for_a_channel(question: str, ranks_channels: bool):
    assert read_intent(question, ["general"], {}, {}, NOW).ranks_channels is ranks_channels


@pytest.mark.parametrize(
    ("question", "facts"),
    [
        ("How many members does #sci have?", ["members"]),
        ("How many people are in the sci channel?", ["members"]),
        ("How many channels are there?", ["channels"]),
        ("Who created #sci?", ["created"]),
        ("When was the sci channel made?", ["created"]),
        ("What is #sci about?", ["about"]),
        ("What's the purpose of the sci channel?", ["about"]),
        # the channel is where it happened, not what is counted or made
        ("How many people in #sci use R?", []),
        ("Who created the chart in #sci?", []),
        ("How many people posted in #sci?", []),  # a message count
    ],
)
def test_what_the_channel_list_answers(question: str, facts: list[str]):
    assert read_intent(question, ["sci", "general"], {}, {}, NOW).channel_facts == facts


@pytest.mark.parametrize(
    ("question", "ranking", "emoji"),
    [
        ("Which emoji is used most in reactions?", "emoji", None),
        ("Who reacted with :+1: most often?", "reactor", "+1"),
        ("Who gives the most reactions in #general?", "reactor", None),
        ("What got the most thumbs up in March?", "message", "+1"),  # the message that did
        ("Who reacted with :tada: to the launch?", None, "tada"),  # one message's reactors
    ],
)
def test_a_reaction_question_may_rank_emoji_or_people(question, ranking, emoji):
    intent = read_intent(question, ["general"], {}, {}, NOW)
    assert intent.reactions and (intent.reaction_ranking, intent.emoji) == (ranking, emoji)


@pytest.mark.parametrize(
    ("question", "about_person"),
    [
        ("Who is alice?", True),
        ("Tell me about @alice", True),
        ("What is alice's title?", True),
        ("What's alice's job title?", True),
        ("Who is the treasurer?", False),  # nobody named
        ("Who is alice meeting on Friday?", False),  # a question about something alice does
    ],
)
def test_a_question_may_be_about_a_person(question: str, about_person: bool):
    intent = read_intent(question, [], {"alice": "U01ALICE"}, {}, NOW)
    assert intent.about_person is about_person and intent.counting is about_person


@pytest.mark.parametrize(
    ("question", "extreme"),
    [
        ("What was the last message in #general?", "last"),
        ("What did alice post last in #general?", "last"),
        ("Who posted first in the general channel?", "first"),
        ("What was the last thing said about maps?", None),  # no channel: a search
        ("Who posted most in #general last month?", None),  # a count
    ],
)
def test_the_first_or_last_message_of_a_channel_is_asked(question: str, extreme: str | None):
    assert read_intent(question, ["general"], {"alice": "U01"}, {}, NOW).extreme == extreme


@pytest.mark.parametrize(
    ("question", "links", "link_type"),
    [
        ("What links were shared most in #general?", True, None),
        ("Which GitHub issues got the most reactions?", True, "github_issue"),
        ("What are the most popular links?", True, None),
        ("What links were requested to introduce the speaker?", False, None),  # no ranking
        ("Where is the link to the slides?", False, None),  # one message's link: a search
        ("What links did people share about maps?", False, None),  # links on a topic: a search
    ],
)
def test_a_question_may_ask_for_the_links_shared_most(question, links, link_type):
    intent = read_intent(question, ["general"], {}, {}, NOW)
    assert (intent.links, intent.link_type) == (links, link_type)


def test_a_channel_name_is_not_read_inside_a_longer_one():
    intent = read_intent("Who renamed #meetup-?", ["meetup", "meetup-"], {}, {}, NOW)
    assert intent.channels == ["meetup-"]


def test_a_month_with_its_year_and_a_bare_year():
    assert window_in("messages in July 2016", NOW) == (
        datetime(2016, 7, 1, tzinfo=UTC),
        datetime(2016, 8, 1, tzinfo=UTC),
    )
    assert window_in("what happened in 2015", NOW) == (
        datetime(2015, 1, 1, tzinfo=UTC),
        datetime(2016, 1, 1, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("question", "files", "kind", "mention"),
    [
        ("Which files were shared in #deploys?", True, None, None),
        ("What PDFs did ann upload?", True, "PDF file", None),
        ("Which spreadsheets have people attached here?", True, "spreadsheet", None),
        ("Who posted an image in #deploys, and when?", True, "image", None),
        ("Who shared the most spreadsheets?", True, "spreadsheet", None),
        ("Which file converts time strings to dates?", False, None, None),  # a search
        ("Who shared the PDF about the outage?", False, None, None),
        ("Who talked about Kafka the most?", False, None, "Kafka"),
        ("How many times was the staging cluster mentioned?", False, None, "staging cluster"),
        ("How many messages mention “v2.14” in #deploys?", False, None, "v2.14"),
        ("What did people say about Kafka?", False, None, None),  # no count asked: a search
        ("Who is the expert on Kafka?", False, None, "Kafka"),  # who talks of it
        ("Who can help with the deploy script?", False, None, "deploy script"),
    ],
)
def test_file_listings_and_mention_counts_are_told_from_searches(
    question: str, files: bool, kind: str | None, mention: str | None
):
    intent = read_intent(question, ["deploys"], {"ann": "U1"}, {}, NOW)
    assert intent.files == files
    assert (intent.file_kind.noun if intent.file_kind else None) == kind
    assert intent.mention == mention and intent.counting == (mention is not None)


@pytest.mark.parametrize(
    ("question", "roster", "channels_listed"),
    [
        ("How many members does the workspace have?", "people", False),
        ("How many people are there?", "people", False),
        ("How many people came to the meetup?", None, False),  # a search, never answered here
        ("Who are the admins?", "admins", False),
        ("Which bots are there?", "bots", False),
        ("What channels are there?", None, True),
        ("List all channels", None, True),
        ("Which channels talk about deploys?", None, False),
    ],
)
def test_what_the_people_and_channel_lists_answer(question, roster, channels_listed):
    intent = read_intent(question, ["deploys"], {}, {}, NOW)
    assert intent.roster == roster
    assert ("channels" in intent.channel_facts) == channels_listed


@pytest.mark.parametrize(
    ("question", "digest"),
    [
        ("Summarise #deploys last week", True),
        ("Summarize the discussion about the outage", False),  # a subject: searched for
        ("Give me a recap of the conversation on the venue", False),
    ],
)
def test_a_digest_of_one_subject_is_a_search(question, digest):
    assert read_intent(question, ["deploys"], {}, {}, NOW).digest == digest


@pytest.mark.parametrize(
    ("question", "ranking"),
    [
        ("Which message got the most reactions in #deploys?", "message"),
        ("What was the most popular post last week?", "message"),
        ("Which post had the most emoji reactions?", "message"),  # a post, not an emoji
        ("How many reactions were given in #deploys?", "total"),
        ("Who reacted to ann's message about the outage?", "message_reactors"),
        ("Which emoji is used most?", "emoji"),
        ("Who reacts the most?", "reactor"),
        ("How did ann react to the rewording?", None),  # not emoji reactions
        ("What is the most popular charting library?", None),  # popular, not reacted to
    ],
)
def test_what_a_reactions_question_asks_for(question, ranking):
    intent = read_intent(question, ["deploys"], {"ann": "U1"}, {}, NOW)
    assert intent.reaction_ranking == ranking
