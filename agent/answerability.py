"""Does a message answer what the question asks for? Question analysis as classic question
answering does it: the expected answer type from the question word (Li & Roth, "Learning
Question Classifiers", COLING 2002: a count, an amount of money, a date) and the question's
focus, the noun phrase that names the thing asked about (Moldovan et al., "The Structure and
Performance of an Open-Domain Question Answering System", ACL 2000: "the Wi-Fi *password*",
"the *treasurer* of the group", "what did Ann think of *Power BI*").

The offline composer answers only when a close message also holds an answer of the expected
type, and never when the focus is something no message of the workspace mentions."""

import re
from calendar import month_abbr, month_name
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel

from mcp_server.keywords import content_words, stem

AnswerType = Literal["count", "money", "date", "channel", "other"]
FOCUS_WORDS = 3  # a focus is a short noun phrase; what follows is the rest of the question

_DETERMINER = r"(?:the|a|an|our|your|their|his|her|its|this|that|\w+'s)\s+"
_AUX_WORDS = "does|did|do|is|are|was|were|has|have|had|can|could|should|will|would"
_AUXILIARY = rf"(?:{_AUX_WORDS})\b"
# Where a focus noun phrase ends: a preposition, an auxiliary or relative word, or the end.
_END = (
    r"(?=\s+(?:of|for|at|in|on|to|from|with|by|about|during|that|which|who|when|where|"
    rf"{_AUX_WORDS})\b|\s*[?.!]|$)"
)
_QUESTION_WORDS = "what|when|where|which|who|whom|whose|why|how"
_QUESTION_START = re.compile(rf"(?:{_QUESTION_WORDS}|{_AUX_WORDS})\b")
# A sentence asks when a question word, an auxiliary put first or an "anyone" opens it, after
# at most two words of address or hesitation ("Guys, how do we ...", "Hmmm how many ...",
# "So roughly how big ..."); "A pack of water bottles, maybe?" offers an answer instead.
_ASKING_WORD = re.compile(
    rf"^(?:{_QUESTION_WORDS}|{_AUX_WORDS}|anyone|anybody|any|someone|somebody)$"
)
_OPENING_WORDS = 3
_ASKING_VERB = re.compile(r"\b(ask|asks|asked|asking|wonder(s|ed|ing)?|request(s|ed)?|inquired)\b")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_ADDRESS = re.compile(r"^\s*(?:<@\w+>|@[\w.-]+)[:,]?\s*")
_SHORT_PHRASE = r"(?P<np>(?:[\w'-]+\s+){0,2}?[\w'-]+)"
# Only the shapes in which grammar alone delimits the noun phrase: a verb is never read as a
# focus ("who built the export", "what was announced" have none).
_FOCUS = [
    # how many GitHub stars does ... / how much money did ...
    re.compile(rf"^how\s+(?:many|much)\s+{_SHORT_PHRASE}\s+{_AUXILIARY}", re.I),
    # how much does a ticket (to ...) cost
    re.compile(
        rf"^how\s+much\s+{_AUXILIARY}\s+(?:{_DETERMINER})*(?P<np>[\w' -]+?)"
        r"(?:\s+(?:to|for|of|at|in)\s+[\w' -]+?)?\s+(?:cost|costs|pay|charge)\b",
        re.I,
    ),
    # what did ann think of X / what does ann say about X
    re.compile(
        r"^what\s+(?:did|does|do|has|have)\s+\S+\s+(?:think|say|said|feel|write)\s+"
        rf"(?:of|about|on)\s+(?:{_DETERMINER})*(?P<np>[\w' -]+?){_END}",
        re.I,
    ),
    # what is the X / who was the X / when is our X / what's neerajt's X
    re.compile(
        r"^(?:what|which|who|when|where)(?:'s|\s+(?:is|are|was|were))\s+"
        rf"(?:{_DETERMINER})+(?P<np>[\w' -]+?){_END}",
        re.I,
    ),
    # what salary does ... / which tools did ...
    re.compile(rf"^(?:what|which)\s+{_SHORT_PHRASE}\s+{_AUXILIARY}", re.I),
]
# Words that name a kind of answer, not a thing (Li & Roth's numeric classes): "the rate of
# psychosis" asks for a number about psychosis; the focus is what the measure is of.
_MEASURES: dict[str, AnswerType] = {
    **dict.fromkeys(
        "rate number count amount percentage percent share proportion size length "
        "duration score total".split(),
        "count",
    ),
    **dict.fromkeys("price cost fee".split(), "money"),
    **dict.fromkeys("date time day year".split(), "date"),
}
# "Which channel ...": the answer is where messages were said (a hit's channel), not something
# they say; the word names the kind of answer, as "number" does, and is no topic word.
_CHANNEL_ASKED = re.compile(r"\b(?:which|what)\s+(?:slack\s+)?(channels?)\b")
_MONTHS = "|".join(m.lower() for m in [*month_name[1:], *month_abbr[1:]])
_TYPE_PATTERNS: dict[AnswerType, re.Pattern] = {
    # a quantity, units allowed ("40 people", "480ms", "50%"); not a year, nor part of a date,
    # time of day ("7pm", "7p"), version, URL or id, nor an ordinal ("the 2nd edition": a
    # rank, Li & Roth's NUM:ord)
    "count": re.compile(
        r"(?<![\w./:-])(?!(?:19|20)\d\d\b)\d{1,7}(?:[.,]\d+)?(?![\d./:-]|st\b|nd\b|rd\b|th\b)"
        r"(?!\s?(?:am|pm|a\.m\.|p\.m\.|p)(?!\w))"
        r"|\b(one|two|three|four|five|six|seven|eight|nine|ten"
        r"|eleven|twelve|twenty|thirty|forty|fifty|hundred|dozens?|hundreds|thousands?)\b",
        re.I,
    ),
    "money": re.compile(r"[$€£¥]\s?\d|\d\s?(dollars|usd|eur|euros|bucks)\b|\bfree\b", re.I),
    "date": re.compile(
        rf"\b({_MONTHS})\b|\b(mon|tues|wednes|thurs|fri|satur|sun)day\b|\b\d{{1,2}}/\d{{1,2}}\b"
        r"|\b\d{4}-\d{2}-\d{2}\b|\b(today|tomorrow|tonight|next (week|month))\b"
        r"|\b\d{1,2}(:\d{2})?\s?(am|pm)\b",
        re.I,
    ),
}


class Asked(BaseModel):
    """What a question asks for: the type of its answer and the head noun of its focus (the
    thing asked: "password" in "the Wi-Fi password"; modifiers only narrow it)."""

    answer_type: AnswerType = "other"
    focus: str | None = None
    is_question: bool = True  # False for a search phrase ("the csv of member interests")
    # about a question asked in the workspace ("who asked to join remotely?"): what members
    # asked is then the answer, not only what they said
    about_asking: bool = False
    # numbers the question itself states ("the ggplot2 2.0 cheat sheet"): given, not asked
    given: list[str] = []
    # words that name the kind of answer, not the topic ("channel" in "which channel gets the
    # deploy notifications?"): no message need say them
    type_words: list[str] = []
    # what a "how many" question counts ("people" in "how many people came?"): a number is its
    # answer only when it counts that, not some other thing ("two designer friends")
    counted: list[str] = []


def asked(question: str) -> Asked:
    """The expected answer type and the focus's head noun (in English, the noun phrase's last
    noun) of a question; no focus when it has none that grammar delimits, such as a yes/no or
    how-to question."""
    text = " ".join(question.split())
    lowered = text.lower()
    is_question = text.endswith("?") or bool(_QUESTION_START.match(lowered))
    about_asking = bool(_ASKING_VERB.search(lowered))
    # a search phrase ("code to put the average charge in the title") wants messages, no value
    channel = _CHANNEL_ASKED.search(lowered) if is_question else None
    type_words = [channel[1]] if channel else []
    if channel:
        answer_type: AnswerType = "channel"
    else:
        answer_type = _answer_type(lowered) if is_question else "other"
    focus = None
    if match := next((m for pattern in _FOCUS if (m := pattern.match(text))), None):
        words = content_words(match["np"])[:FOCUS_WORDS]
        for word in words:
            if answer_type == "other" and word in _MEASURES:
                answer_type = _MEASURES[word]
        things = [w for w in words if w not in _MEASURES and w not in type_words]
        focus = things[-1] if things else None
    return Asked(
        answer_type=answer_type,
        focus=focus,
        is_question=is_question,
        about_asking=about_asking,
        given=_values(answer_type, text),
        type_words=type_words,
        counted=_counted(lowered) if answer_type == "count" else [],
    )


# "how many GitHub stars does", "how many people came to", "how many of the members": the one
# or two words after "many", up to a preposition or auxiliary (Li & Roth's NUM:count has the
# counted noun there)
_HOW_MANY = re.compile(
    rf"^how\s+many\s+(?:of\s+{_DETERMINER})?(?P<np>[\w'-]+"
    rf"(?:\s+(?!(?:of|for|at|in|on|to|from|with|by|about|that|{_AUX_WORDS})\b)[\w'-]+)?)"
)


def _counted(question: str) -> list[str]:
    """The words a "how many" question may count (lowercased question); none for another
    shape of count question ("what is the rate of ...")."""
    match = _HOW_MANY.match(question)
    return match["np"].split() if match else []


def _answer_type(question: str) -> AnswerType:
    """Li & Roth's coarse numeric classes, from the question's words (lowercased)."""
    if re.search(r"\b(price|cost|fee|charge|pay|paid|spend|spent|worth)s?\b", question):
        return "money"
    if re.match(r"how\s+(many|much)\b", question) or re.search(r"\b(number|count) of\b", question):
        return "count"
    if re.match(r"when\b", question) or re.search(r"\b(what|which) (date|day|time)\b", question):
        return "date"
    return "other"


def statements(text: str) -> str:
    """What a message states: its sentences less the questions it asks. A message that asks
    what the question asks shares its words without answering it (question-question against
    question-answer similarity, the two tasks of community question answering: Nakov et al.,
    "SemEval-2016 Task 3: Community Question Answering"); evidence of an answer is what is
    said, not what is asked."""
    return " ".join(sentence for sentence in _sentences(text) if not _asks(sentence))


def ends_asking(text: str) -> bool:
    """Whether a message's last sentence is a question (what is said next may answer it)."""
    sentences = _sentences(text)
    return bool(sentences) and _asks(sentences[-1])


def _sentences(text: str) -> list[str]:
    return [sentence for sentence in _SENTENCE_END.split(text) if sentence.strip()]


def _asks(sentence: str) -> bool:
    """Whether a sentence is a question: it ends with "?" and an asking word opens it."""
    sentence = sentence.strip()
    if not sentence.rstrip(" )\"'\u201d").endswith("?"):
        return False
    opening = re.findall(r"[a-z]+", _ADDRESS.sub("", sentence).lower())[:_OPENING_WORDS]
    return any(_ASKING_WORD.match(word) for word in opening)


# whether a word means one of the given things (beyond sharing a stem with it)
Alike = Callable[[str, list[str]], bool]


def holds_answer(question: Asked, text: str, alike: Alike | None = None) -> bool:
    """Whether `text` holds something of the type the question expects (anything does for
    "other") that the question did not itself give: as answer extraction in open-domain QA
    throws out candidates made of the question's own words (Lin et al., "Aranea", TREC 2002),
    the "2.0" of "how many pages is the ggplot2 2.0 cheat sheet?" answers nothing. A count
    asked with "how many X" must count X: the number stands alone, or X (its stem, or a word
    `alike` it) follows it closely, the "<number> <unit>" answer pattern of surface
    pattern QA (Ravichandran and Hovy, "Learning Surface Text Patterns for a Question Answering
    System", ACL 2002): "21 sandwiches", "~400 people", "3 or more cams"."""
    pattern = _TYPE_PATTERNS.get(question.answer_type)
    if pattern is None:
        return True
    given = set(question.given)
    found = pattern.finditer(text)
    return any(
        _normal(m.group()) not in given
        and not _pronoun_one(text, m)
        and _counts(question.counted, text, m, alike)
        for m in found
    )


_PERCENT = re.compile(r"\s?(?:%|percent\b|per cent\b)", re.I)
COUNTED_WITHIN = 3  # words after a number in which the thing it counts is named ("3 or more cams")


def _counts(counted: list[str], text: str, match: re.Match, alike: Alike | None) -> bool:
    """Whether the number of `match` counts one of `counted` (any count does when the question
    names nothing counted): within COUNTED_WITHIN words after it comes one of them (its stem,
    or a word `alike` it), or no word at all (a bare "40"). A percentage counts nothing: it is
    a share (Li & Roth's NUM:perc, not NUM:count), "0.6% of Teleport users" no number of
    members."""
    if not counted:
        return True
    if _PERCENT.match(text, match.end()):
        return False
    after = re.split(r"[.!?;\n]", text[match.end() :], maxsplit=1)[0]
    words = re.findall(r"[a-z][\w'-]*", after.lower())[:COUNTED_WITHIN]
    stems = {stem(thing) for thing in counted}
    return not words or any(
        stem(word) in stems or (alike is not None and alike(word, counted)) for word in words
    )


# Determiners whose noun "one" can stand for, and how far before it: "a later one"
_DETERMINERS_OF_ONE = frozenset(
    "a an the this that these those which each every any no some another".split()
)
_ONE_AFTER = 2


def _pronoun_one(text: str, match: re.Match) -> bool:
    """ "one" after a determiner ("a later one", "this one", "which one") stands for a noun: it
    counts nothing."""
    if match.group().lower() != "one":
        return False
    before = re.findall(r"[a-z]+", text[: match.start()].lower())[-_ONE_AFTER:]
    return any(word in _DETERMINERS_OF_ONE for word in before)


def _values(answer_type: AnswerType, text: str) -> list[str]:
    """The numbers of a count or amount question that the question states. Not dates: a
    date pattern matches a part (the month of "June 18"), and an answer often narrows the
    question's own date ("when in June 2016 ...?" "June 18")."""
    if answer_type not in ("count", "money"):
        return []
    return sorted({_normal(m.group()) for m in _TYPE_PATTERNS[answer_type].finditer(text)})


def _normal(value: str) -> str:
    return "".join(value.lower().split())
