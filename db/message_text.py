"""What a message's own text says, judged alike where it is embedded (ingest/context.py: a reply
that says nothing gets no context) and where it is quoted (agent/answer.py: it is never quoted
first)."""

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
