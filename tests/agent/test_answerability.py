"""What a question asks for, and the composer's refusal to answer with what does not say it."""

import pytest

from agent.answerability import Asked, asked, ends_asking, holds_answer, statements
from agent.contracts import Request
from agent.runner import AgentRunner
from db import Stores
from tests.conftest import HOUSTON


@pytest.mark.parametrize(
    "question",
    [
        "Which channel gets the deploy notifications?",
        "In which channel did people give feedback on the flights animation?",
        "What Slack channels talk about hiring?",
    ],
)
def test_a_channel_question_asks_for_a_place_and_its_word_is_no_topic(question):
    question_asked = asked(question)
    assert question_asked.answer_type == "channel"
    assert question_asked.type_words in (["channel"], ["channels"])
    assert question_asked.focus is None


def test_a_count_of_channels_is_a_count():
    assert asked("How many channels were archived in 2016?").answer_type == "count"


@pytest.mark.parametrize(
    ("question", "answer_type", "focus"),
    [
        ("What is the Wi-Fi password at the venue?", "other", "password"),
        ("Who is the treasurer of the group?", "other", "treasurer"),
        ("When is the deadline to submit a talk?", "date", "deadline"),
        ("How many GitHub stars does the repo have?", "count", "stars"),
        ("How much does a ticket to the meetup cost?", "money", "ticket"),
        ("What did Ann think of the new dashboard?", "other", "dashboard"),
        ("What is the rate of psychosis in twins?", "count", None),  # a measure, not a thing
        ("Which binary formats were discussed?", "other", "formats"),  # the head, not modifiers
        # verbs are never a focus
        ("Who built the streaming CSV export?", "other", None),
        ("What was announced about latency?", "other", None),
        ("How much did API latency improve?", "count", None),
        ("How much did API latency improve in #general last week?", "count", None),
        ("Is there an R package like Mechanize?", "other", None),
    ],
)
def test_the_answer_type_and_focus_of_a_question(question, answer_type, focus):
    assert asked(question).model_dump(exclude={"given", "type_words", "counted"}) == {
        "answer_type": answer_type,
        "focus": focus,
        "is_question": True,
        "about_asking": False,
    }


@pytest.mark.parametrize(
    ("text", "is_question"),
    [
        ("the deduplicated list of member interests", False),
        ("R code converting millisecond time strings into dates", False),
        ("Anything about Globex in March?", True),
        ("did anyone try Power BI", True),
        ("where can I register", True),
    ],
)
def test_a_search_phrase_is_told_from_a_question(text, is_question):
    assert asked(text).is_question is is_question


def test_a_search_phrase_expects_no_type_of_answer():
    # the messages about it are what a phrase asks for, not an amount of money
    assert asked("code to put the average charge per procedure in the title").answer_type == "other"
    assert asked("What is the average charge per procedure?").answer_type == "money"


def test_an_answer_of_the_type_asked_for():
    count, money, date = (Asked(answer_type=t) for t in ("count", "money", "date"))
    assert holds_answer(count, "about 40 people came")
    assert holds_answer(count, "~50% in monozygotic twins")
    assert holds_answer(count, "p95 latency dropped from 480ms to 210ms")
    assert not holds_answer(count, "the June 2016 data jam")
    assert not holds_answer(count, "the 2nd edition, out for our 100th meetup")
    assert not holds_answer(count, "see https://meetup.com/events/231227184/ on 2016-06-13")
    assert not holds_answer(count, "conversation to 7p, then talks from 7:30 pm")
    assert not holds_answer(count, "we can keep working with Les for a later one")
    assert holds_answer(count, "one person signed up") and holds_answer(count, "7 people came")
    assert holds_answer(money, "tickets are $15") and holds_answer(money, "it is free")
    assert not holds_answer(money, "tickets are on sale now")
    assert holds_answer(date, "the deadline is March 3") and holds_answer(date, "Friday 7pm")
    assert holds_answer(Asked(answer_type="other"), "anything at all")


@pytest.mark.parametrize(
    ("question", "counted"),
    [
        ("How many people came to the June 2015 meetup?", ["people", "came"]),
        ("How many GitHub stars does the repo have?", ["github", "stars"]),
        ("How many postcards did the member send?", ["postcards"]),
        ("How many of the members voted?", ["members", "voted"]),
        ("What is the rate of psychosis in twins?", []),  # counts no thing
    ],
)
def test_what_a_how_many_question_counts(question, counted):
    assert asked(question).counted == counted


def test_a_count_answers_only_when_it_counts_what_was_asked():
    people = asked("How many people came to the June 2015 meetup?")
    assert holds_answer(people, "about 40 people came") and holds_answer(people, "we had 40")
    assert not holds_answer(people, "I went with two designer friends of mine")
    assert not holds_answer(people, "doors open at 1111 E. 11th St")
    assert holds_answer(people, "around 40 folks", alike=lambda word, _: word == "folks")
    assert not holds_answer(people, "0.6% of users", alike=lambda word, _: word == "users")
    cams = asked("How many webcams do most national parks have?")
    assert not holds_answer(cams, "most parks have 3 or more cams")  # no stem in common
    assert holds_answer(cams, "most parks have 3 or more cams", alike=lambda w, _: w == "cams")


def test_a_number_the_question_gives_is_no_answer():
    question = asked("How many pages long is the ggplot2 2.0 cheat sheet?")
    assert question.given == ["2.0"]
    assert not holds_answer(question, "Version 2.0 is out! Here's a new cheatsheet.")
    assert holds_answer(question, "Version 2.0 is out! The cheatsheet has 2 pages.")
    # a date may narrow the question's own date, so dates are never given
    assert asked("When in June 2016 was the data jam?").given == []


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("where is big bend?", ""),
        ("<@U064KUGRJ>: where is big bend?", ""),
        ("Guys, How do we start a scipy group? Is there one in Houston?", ""),
        ("Anyone going to the scipy conference?", ""),
        ("I'm already at TXRX. Is the place nearby?", "I'm already at TXRX."),
        ("have you seen vispy? <http://vispy.org/>", "<http://vispy.org/>"),
        # an answer offered with a question mark asks nothing
        ("A pack of Water bottles, maybe?", "A pack of Water bottles, maybe?"),
        ("It's stable for me with 3.1.0", "It's stable for me with 3.1.0"),
    ],
)
def test_what_a_message_states_leaves_out_what_it_asks(text: str, said: str):
    assert statements(text) == said


def test_a_message_that_ends_with_a_question_is_told():
    assert ends_asking("Sweet! Really neat. What was the main hurdle?")
    assert not ends_asking("What was the main hurdle? Never mind, found it.")
    assert not ends_asking("A pack of Water bottles, maybe?")


def test_a_question_about_asking_is_told():
    assert asked("Who asked to take part in the talks remotely?").about_asking
    assert asked("Was anyone wondering about the venue?").about_asking
    assert not asked("Who went to the SciPy conference?").about_asking


def test_a_question_about_something_never_mentioned_is_not_found(houston: Stores):
    result = AgentRunner(houston).run(
        HOUSTON, Request(task="answer", question="What is the Wi-Fi password at the meetup venue?")
    )
    assert not result.found
    assert "No message mentions \u201cpassword\u201d" in result.draft.summary
    (related,) = result.draft.sections  # the nearest messages, said not to answer it
    assert related.title.startswith("Related") and related.points


def test_an_answer_of_the_asked_type_is_still_found(houston: Stores):
    question = "What is the rate of psychosis in monozygotic twins?"
    result = AgentRunner(houston).run(HOUSTON, Request(task="answer", question=question))
    assert result.found and "~50% in monozygotic twins" in result.draft.summary + str(
        result.draft.sections
    )


@pytest.mark.parametrize(
    "question",
    [
        "What music was playing at the meetup?",
        "What was served for lunch at the data jam?",
        "How many seats does the meetup venue have?",
    ],
)
def test_messages_about_the_setting_only_do_not_answer(houston: Stores, question: str):
    # meetups and data jams fill the workspace, so close messages abound (and each word of
    # these questions occurs somewhere); none of them speaks of music, lunch or seats
    result = AgentRunner(houston).run(HOUSTON, Request(task="answer", question=question))
    assert not result.found
    assert result.draft.sections and result.draft.sections[0].title.startswith("Related")


def test_a_count_of_something_else_is_no_answer(houston: Stores):
    """The park webcam map's thread says "all 137 national park webcams" and numbers its
    feedback "1)", "2)": numbers, but none counts the people who gave it."""
    question = "How many people gave feedback on the park webcam map?"
    result = AgentRunner(houston).run(HOUSTON, Request(task="answer", question=question))
    assert not result.found
    question = "How many cams do most parks have on the park cam map?"
    result = AgentRunner(houston).run(HOUSTON, Request(task="answer", question=question))
    assert result.found and "3 or more cams" in result.draft.summary


def test_an_emoji_reply_is_never_quoted_as_the_answer(houston: Stores):
    """ ":+1:" under the August 2015 data jam's repository ranks first on its conversation's
    meaning, but says nothing a reader can use."""
    question = "What was the plan for the data jam in August 2015?"
    result = AgentRunner(houston).run(HOUSTON, Request(task="answer", question=question))
    assert result.found and ":+1:" not in result.draft.summary
    first = result.draft.sections[0].points[0].citations[0].quote
    assert "data-jam-august-2015" in first


def test_a_question_about_who_asked_is_answered_by_the_asking(houston: Stores):
    """What members asked is no evidence of an answer, except when the question is about the
    asking itself."""
    question = "Who asked whether anyone was going to the SciPy conference?"
    result = AgentRunner(houston).run(HOUSTON, Request(task="answer", question=question))
    assert result.found and "pavanb" in result.draft.summary
    assert "Anyone going to the scipy conference?" in result.draft.summary


def test_a_question_met_only_by_the_same_question_asked_is_not_found(houston: Stores):
    """ "where is big bend?" was asked in #get_feedback and never answered: the asking message
    is the nearest one, and it is listed as related, not quoted as the answer."""
    result = AgentRunner(houston).run(
        HOUSTON, Request(task="answer", question="Where is Big Bend?")
    )
    assert not result.found
    (related,) = result.draft.sections
    assert any("where is big bend?" in point.text for point in related.points)


def test_a_conversation_that_ends_asking_reads_on_to_the_answer(houston: Stores):
    """Before threads a reply was the next message: the window around the hit ended with
    "What was the main hurdle?", and the answer came right after it."""
    question = "What kept the political-districts-to-cities visualisation stalled for months?"
    result = AgentRunner(houston).run(HOUSTON, Request(task="answer", question=question))
    assert result.found
    assert any("loop scope" in point.text for s in result.draft.sections for point in s.points)


def test_the_messages_that_address_the_question_are_quoted_first(houston: Stores):
    """Closest in meaning is a later talk of a Shiny app for a paper, opened by "can you link
    the paper to the shiny app?"; the message that says what was made while learning Shiny
    matches all of the question's rarer words. The messages that pass the answer check lead
    the answer, so that one is quoted, and a message that only asks never leads."""
    question = "What app did someone make while learning Shiny?"
    result = AgentRunner(houston).run(HOUSTON, Request(task="answer", question=question))
    assert result.found and "link the paper" not in result.draft.summary
    quoted = [point.text for section in result.draft.sections for point in section.points]
    assert any("MLS-Salary" in text for text in quoted)


def test_a_number_the_question_names_is_not_its_answer(houston: Stores):
    """Version 2.0 is all the ggplot2 cheat sheet's messages say of a number."""
    question = "How many pages long is the ggplot2 2.0 cheat sheet?"
    result = AgentRunner(houston).run(HOUSTON, Request(task="answer", question=question))
    assert not result.found
