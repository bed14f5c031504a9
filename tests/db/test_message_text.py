import pytest

from db.message_text import says_nothing


@pytest.mark.parametrize(
    ("text", "nothing"),
    [
        ("Thanks!", True),
        ("@ann nice job :+1:", True),
        ("Hello all!", True),
        ("Great, thanks so much!!", True),
        (":tada:", True),
        ("thanks, the portal link works", False),
        ("yes, from the city's open data portal", False),
        ("Tableau", False),  # one word can answer a question
        ("https://getmdl.io", False),
        ("40", False),
    ],
)
def test_a_reply_of_thanks_greeting_or_assent_says_nothing(text: str, nothing: bool):
    assert says_nothing(text) is nothing
