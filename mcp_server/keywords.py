"""The keyword side of hybrid search: which words of a question are worth matching exactly.

The matching itself is `db.keywords.keyword_matches`, over PostgreSQL's full-text index.
"""

import re

# The Snowball English stop list (PostgreSQL's `english` configuration uses it) and "us", which
# it lacks: function words, that say nothing alone ("US" in capitals is still "us" to the
# index).
FUNCTION_WORDS = frozenset(
    "i me my myself we us our ours ourselves you your yours yourself yourselves he him his "
    "himself she her hers herself it its itself they them their theirs themselves what which "
    "who whom this that these those am is are was were be been being have has had having do "
    "does did doing a an the and but if or because as until while of at by for with about "
    "against between into through during before after above below to from up down in out on "
    "off over under again further then once here there when where why how all any both each "
    "few more most other some such no nor not only own same so than too very s t can will "
    "just don should now".split()
)
# Words that carry no evidence on their own: function words, fillers, and verbs of saying
# (Levin's verbs of communication: in a chat every message was said, announced or mentioned,
# so "what was announced about latency?" is about latency). Capitalised at the start of a
# clause they are no names; in a message they are no shared content.
STOPWORDS = FUNCTION_WORDS | frozenset(
    "done would could said tell know anyone someone people thing things also like make made "
    "team company anything something everyone slack announce announced mention mentioned "
    "discuss discussed talked".split()
)
_EXACT = re.compile(r"[A-Za-z]*\d[\w.-]*|[A-Z][A-Z0-9_-]{1,}|\w+[-_.]\w[\w.-]*")
_NAME = re.compile(r"(?<=\s)[A-Z][A-Za-z]{2,}\b")  # Globex, GitHub, PyData: whole words
_WORD = re.compile(r"[^\W_]")


_CONTENT_WORD = re.compile(r"[a-z][a-z0-9]{3,}")


def content_words(text: str) -> list[str]:
    """Words of four letters or more that are not stopwords, lowercased, each once."""
    words = _CONTENT_WORD.findall(text.lower())
    return list(dict.fromkeys(w for w in words if w not in STOPWORDS))


def stem(word: str) -> str:
    """A word cut to five letters: a crude stem ("deploys", "deployed" -> "deplo")."""
    return word[:5]


def stems(text: str) -> set[str]:
    """The crude stems of a text's content words."""
    return {stem(w) for w in content_words(text)}


def keyword_terms(query: str, limit: int = 4) -> list[str]:
    """Terms worth matching literally: quoted phrases, tokens with digits or in capitals (PR 1234,
    ERR_42, v2.14, WEB-311) and capitalised names after the first word (Globex, GitHub).

    Plain words are left to the vector side: matched literally, common ones ("deploy") would
    outvote meaning. So are capitals that spell a function word ("US", "IT"): the index matches
    words whatever their case, and would find every "us".
    """
    phrases = re.findall(r'"([^"]+)"', query)
    rest = re.sub(r'"[^"]*"', " ", query)
    exact = [t.rstrip(".,;:?!") for t in _EXACT.findall(rest)]
    exact = [t for t in exact if t.lower() not in FUNCTION_WORDS]
    names = [w for w in _NAME.findall(rest) if w.lower() not in STOPWORDS]
    terms = [t for t in dict.fromkeys(phrases + exact + names) if _WORD.search(t)]
    return terms[:limit]
