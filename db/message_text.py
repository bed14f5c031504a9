"""What a message's own text says, judged alike where it is embedded (ingest/context.py: a reply
that says nothing gets no context) and where it is quoted (agent/answer.py: it is never quoted
first); and whether it says a word or phrase, as the keyword index splits words (migration
0006: runs of letters and runs of digits, lowercased), for counting mentions."""

import re

# What a reply says when it only thanks, greets, agrees or acknowledges (the Thanking,
# Appreciation, Backchannel, Agreement and Conventional-opening acts of the Switchboard DAMSL
# tagset: Jurafsky, Shriberg and Biasca, 1997), with the little words that join them.
_PHATIC = frozenset(
    "thanks thank thx ty you u so much very too lot a the for sharing this that it is was "
    "great cool awesome nice neat sweet amazing excellent perfect good job love wow oh ah "
    "lol haha hehe yes yeah yep yup ok okay sure agreed agree exactly totally indeed right "
    "true hi hello hey all everyone guys folks morning bye welcome congrats congratulations "
    "glad me cc".split()
)
_EMOJI = re.compile(r":[\w+\-']+:")
_MENTION = re.compile(r"@[\w.-]+")
_PUNCTUATION = "!?.,;:'\"()[]-~*_"


def says_nothing(text: str) -> bool:
    """Whether a message (as rendered) has nothing of its own to say: only mentions, emoji and
    words of thanks, greeting or assent ("Thanks!", "@ann nice job :+1:", "Hello all!"). A
    link, a number or any other word is something said."""
    rest = _MENTION.sub(" ", _EMOJI.sub(" ", text)).lower()
    words = [word.strip(_PUNCTUATION) for word in rest.split()]
    return all(word in _PHATIC for word in words if word)


def mention_forms(phrase: str) -> list[tuple[str, ...]]:
    """The word runs that say `phrase`: one word singular or plural ("maps": maps, map), else
    its words in a row ("d3.js": d 3 js). Not a stem's forms: "plotly" is not "plot"."""
    words = tuple(_words(phrase))
    if len(words) != 1 or not words[0].isalpha() or len(words[0]) < 3:
        return [words] if words else []
    word = words[0]
    forms = {word, word + "s", word[:-1] if word.endswith("s") else word}
    return [(form,) for form in sorted(forms)]


def mentions(text: str, forms: list[tuple[str, ...]]) -> bool:
    """Whether the text's own words hold one of `mention_forms`."""
    words = _words(text)
    return any(
        words[i : i + len(form)] == list(form)
        for form in forms
        for i in range(len(words) - len(form) + 1)
    )


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W\d_]+|\d+", text.lower())
