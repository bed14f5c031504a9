"""Greedy word matching with the real MiniLM: what decides whether a message addresses what a
question asks, not only its setting."""

import pytest

from agent.coverage import coverage
from agent.playbook import WordVectors


@pytest.fixture(scope="module")
def vectors(embedder) -> WordVectors:
    return WordVectors(embedder.embed)


def test_a_passage_holding_every_word_by_stem_covers_all(vectors: WordVectors):
    weights = {"caterer": 1.0, "incident": 0.3}
    assert coverage(weights, "Catering for the incident review: the caterer is Bob's", vectors) == 1


def test_the_setting_alone_covers_less_than_what_was_asked(vectors: WordVectors):
    weights = {"catered": 1.0, "food": 0.9, "incident": 0.3, "review": 0.4}
    setting = "Incident review tomorrow at 10: please read the timeline first"
    answer = "For the incident review, lunch and snacks came from Bob's BBQ"
    assert coverage(weights, answer, vectors) > coverage(weights, setting, vectors) + 0.15


def test_a_word_close_in_meaning_counts_part_way(vectors: WordVectors):
    seating = coverage({"seating": 1.0}, "a medley of chairs, bean bags and couches", vectors)
    assert 0.4 < seating < 1.0
    assert coverage({"seating": 1.0}, "the build failed on the linter", vectors) < seating


def test_a_chance_match_in_a_long_conversation_counts_for_nothing(vectors: WordVectors):
    """Every word finds some word of a long conversation at cosine ~0.4 ("music" and
    "kitchen" here): that is the baseline, not part of the meaning."""
    conversation = (
        "It's in heights near Liberty Kitchen. cool, it's a great cause - we'll miss you at "
        "the data jam but we'll post the data and people's code. Yeah that will be great, "
        "I'd love to see what people have worked on. And we'll do it again soon"
    )
    assert coverage({"music": 1.0}, conversation, vectors) < 0.05
    assert coverage({"music": 1.0}, conversation + " with a jazz band playing", vectors) > 0.3


def test_rare_words_weigh_more_than_common_ones(vectors: WordVectors):
    passage = "The meetup is on Tuesday at the library"
    rare_missing = coverage({"password": 1.0, "meetup": 0.2}, passage, vectors)
    common_missing = coverage({"password": 0.2, "meetup": 1.0}, passage, vectors)
    assert rare_missing < 0.5 < common_missing


def test_edge_cases_are_defined(vectors: WordVectors):
    assert coverage({}, "anything", vectors) == 1.0
    assert coverage({"password": 1.0}, "ok :+1:", vectors) == 0.0
