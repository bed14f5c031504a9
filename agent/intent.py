"""The deterministic planner's reading of a request: channels, people, dates, PRs, URLs."""

import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from agent.dates import MONTH_WINDOW, WEEK_OF_MONTH, window_in, window_words
from db.models import ChannelEventKind

ChannelFact = Literal["members", "channels", "created", "about", "membership"]
ReactionRanking = Literal["message", "total", "emoji", "reactor", "message_reactors"]
Extreme = Literal["first", "last"]
PersonField = Literal["title", "real_name"]
Roster = Literal["people", "admins", "bots"]
LinkType = Literal["github_pr", "github_issue", "jira", "google_doc"]

# A pull request named in text: "PR 1234", "pull request #12", ".../pull/1234", "#1234" (also
# GitHub's "acme/webapp#1234"); questions and messages are read with the same pattern.
PR_REFERENCE = re.compile(r"(?:\bPR\s*#?|\bpull request\s*#?|/pull/|#)(\d{1,6})\b", re.I)
_URL = re.compile(r"https?://[^\s>|]+")
_DIGEST = re.compile(
    r"\b(summari[sz]e|summary|digest|newsletter|recap|highlights|catch me up)\b", re.I
)
_DIGEST_NAME_WORDS = 2  # what a digest may be of, before its word: "customer feedback digest"
# The words a request for a digest may open with: "give me a quick recap", "can you summarise"
_REQUEST_WORDS = frozenset(
    "please can could would will you give send write make draft show me us i i'd want need "
    "like to a an the our my quick short brief weekly daily monthly what are were is".split()
)
# "what happened in #deploys last week" (or "what was discussed / said / shared / going on")
# asks for a digest; "what happened with v2.14.0", "what was said about Shiny" do not
_HAPPENED = re.compile(
    r"^\s*what(?:'s| has| had| was| were| is| got)?\s+"
    r"(?:happen(?:ed|ing)|discussed|talked about|said|shared|posted|going on|new)\s*$",
    re.I,
)
_POSTS = r"(message|post|update|announcement|comment|thing)s?\b"
# emoji reactions, not "how did Oleg react to the rewording"
_REACTIONS = re.compile(
    r"\breactions?\b|\breacted\s+(with|to\s+(the\s+)?most)|\bmost[- ]reacted|\bemoji"
    r"|\bbookmark|:[a-z0-9_+-]+:|\bthumbs?[- ]up\b|\breacts?\s+(the\s+)?most\b"
    rf"|\bwho\s+reacted\b|\bmost\s+(popular|liked|loved|upvoted)\s+{_POSTS}|\bmost[- ]liked\b",
    re.I,
)
# What a reactions question asks for: the message that drew most ("which post got the most
# reactions?", "the most liked message"), how many were given, which emoji is used most ("which
# emoji is used most?"), who reacts most ("who gave the most :tada: reactions?"), or who reacted
# to one message ("who reacted to jkim's message about the talk?"); the first that matches
_REACTION_RANKINGS: dict[ReactionRanking, re.Pattern] = {
    "message": re.compile(
        rf"\b(which|what)\s+([\w'-]+\s+){{0,3}}{_POSTS}.{{0,50}}\b(most|highest)\b"
        rf"|\bmost\s+(popular|liked|loved|upvoted|reacted(\s*-?\s*to)?)\s+{_POSTS}"
        r"|\bmost[- ]liked\b|\bwhat\s+(got|drew|received)\s+the\s+most\b",
        re.I,
    ),
    "total": re.compile(r"\bhow many\s+([\w:+-]+\s+)?reactions\b|\bnumber of reactions\b", re.I),
    "message_reactors": re.compile(
        r"\bwho\s+reacted\s+to\b|\b(what|which)\s+(reactions|emoji)\s+did\b"
        r"|\breactions\s+(on|to)\s+@?[\w.-]+'s\b",
        re.I,
    ),
    "emoji": re.compile(
        r"\b(which|what)\s+(emoji|emojis|reaction emoji)\b"
        r"|\b(most|popular|common|favou?rite)\b.{0,30}\bemoji|\bemoji\b.{0,30}\b(most|popular)\b",
        re.I,
    ),
    "reactor": re.compile(
        r"\bwho\b.{0,40}\b(react(s|ed)?|reactions?)\b.{0,30}\b(most|often|frequently)\b"
        r"|\bwho\b.{0,20}\b(gives?|gave|leaves?|left|adds?|added|uses?|used)\s+(the\s+)?most\b",
        re.I,
    ),
}
# The channel-history words of each kind of event. Topic, purpose, joins and leaves are common
# words, so they count only in a question that names a channel with "#" (or says "channel"):
# "the joined date in the meetup data" is not about #meetup.
_EVENT_WORDS: dict[ChannelEventKind, str] = {
    "renamed": r"\brenam\w*|\b(old|previous|former|original)\s+name\b|\bformerly\b"
    r"|\b(called|named)\s+(before|previously|originally|at first)\b|\bused to be (called|named)\b",
    "archived": r"(?<!un)archived\b|(?<!un)archiv(e|ing)\s+(#|the\s+\S*\s*channel)",
    "unarchived": r"\bunarchiv\w*",
    "pinned": r"(?<!un)pinned\b|\bpins?\b",
    "unpinned": r"\bunpin\w*",
    "integration_added": r"\bintegrations?\b|\b(bot|app)s?\s+(was\s+|were\s+)?(added|installed)\b",
    # joining the workspace (its first channels), with no channel named: a join that happened
    # ("joined", "did X join", "the last to join"), not one wished for ("to get people to join
    # the Slack")
    "joined": r"\bjoin(ed|s)\s+(the\s+)?(workspace|slack|team|community|group)\b"
    r"|\bdid\s+(\S+\s+){1,3}?join\s+(the\s+)?(workspace|slack|team|community|group)\b"
    r"|\b(first|last|latest|newest)\s+(\w+\s+)?to\s+join\b"
    r"|\bjoined\s+(most\s+)?(recently|last|latest)\b|\b(newest|latest|most recent)\s+members?\b",
}
# the latest event first: "who joined most recently?", "when was #x last renamed?"
_LATEST = re.compile(r"\b(most recent(ly)?|recently|latest|newest|last)\b", re.I)
_CHANNEL_EVENT_WORDS: dict[ChannelEventKind, str] = {
    "topic": r"\btopic\b",
    "purpose": r"\bpurpose\b|\bwhat\s+is\s+#\S+\s+for\b",
    "joined": r"\bjoin(ed|s)?\b|\bnew members?\b",
    "left": r"\bleft\b|\bleav(e|es|ing)\b",
}
# "who posted most in #x", "how many messages in #x in May", "most active in #x", "how many
# people posted in #x" (not "how many people came to the meetup", nor "how many people wrote
# about D3", which counts mentions, _MENTIONED: the posting verb ends the question or opens its
# place or time)
_COUNTING = re.compile(
    r"\bhow many (messages|posts)\b|\bnumber of (messages|posts)\b"
    r"|\b(posted|posts|wrote|writes|sent|talk(ed|s)?)\s+(the\s+)?most\b"
    r"|\bmost\s+(active|messages|posts|prolific|talkative)\b|\bbusiest\b"
    r"|\bhow many (different |distinct |unique )?(people|members|users|persons|folks|authors)"
    r"( (have|has|had|were|are|was))?( ever)? (posted|post|wrote|write|written|sent|talked"
    r"|chatted|spoke|been active|active)"
    r"(?=\s+(in|to|on|during|since|before|after|last|this|between|from|so far|overall)\b"
    r"|\s*[?.!]|$)",
    re.I,
)
# A count of the messages that say a word: "who talked about D3 the most?", "how many
# messages mention Tableau?", "how many times was Shiny mentioned?", and who knows a subject
# ("who is the expert on maps?", "who can help with D3?": those who talk of it, as expert
# finding ranks people by the documents they wrote: Balog et al., 2006) — a count or ranking
# frame, and the word or short phrase after a verb of saying, up to where the scope begins.
_MENTION_FRAME = re.compile(
    r"\bhow (many times|often)\b|\bhow many (messages|posts|people|members|users|persons"
    r"|folks)\b|\bnumber of (messages|posts|mentions)\b|\bwho\b.{0,60}\b(most|often"
    r"|frequently)\b|^\s*who\b.{0,30}\b(knows?|experts?|help|ask)\b",
    re.I,
)
_TERM = (
    r"[\"\u201c']?(?:(?:the|a|an)\s+)?(?P<{name}>[\w.+#/-]+(?:\s+[\w.+#/-]+){{0,2}}?)[\"\u201d']?"
)
_TERM_ENDS = (
    r"(?=\s+(the most|most|more|in|on|during|since|before|after|last|this|by|from|so far"
    r"|overall|than|ever|at all)\b|\s*[?.!,]|$)"
)
_MENTIONED = re.compile(
    r"\b(mention(s|ed|ing)?|talk(s|ed|ing)? about|discuss(es|ed|ing)?|wr(ote|ites|iting) about"
    r"|post(s|ed|ing)? about|(messages|posts|were|was) about|contain(s|ed|ing)?"
    r"|(say|says|said|saying)|knows?(\s+(the\s+most|most|a\s+lot|best|anything))?\s+about"
    r"|experts?\s+(on|in|at|about)|help(s)?(\s+(me|us))?\s+with|ask\s+about)\s+"
    + _TERM.format(name="after")
    + _TERM_ENDS
    + r"|\b(was|were|is|are|has|have|did|does|do)\s+"
    + _TERM.format(name="before")
    + r"\s+(been\s+)?(mentioned|discussed|talked about|brought up|come up|came up|said)\b",
    re.I,
)
# about a person as a whole: "who is neerajt?", "tell me about @ann", "what is Kim's title?"
_ABOUT_PERSON = re.compile(
    r"^\s*(?:who\s+is|who's|who\s+was|tell\s+me\s+about|what\s+do\s+(?:you|we)\s+know\s+about)"
    r"\s+@?[\w.-]+(?:\s+[A-Z][\w.-]*)?\s*\??\s*$"
    r"|\b(?:what|which)(?:\s+is|'s)\s+@?[\w.-]+'s\s+(?:(?:job\s+)?title|role|job|position"
    r"|real name|full name)\b",
    re.I,
)
# What the people list answers: "how many members does the workspace have?", "who are the
# admins?", "which bots are there?" (not "how many people came to the meetup")
_WORKSPACE = r"(the|this|our)\s+(workspace|slack|team|community)"
_ROSTERS: dict[Roster, re.Pattern] = {
    "people": re.compile(
        r"^\s*how many (members|people|users|folks|persons|accounts)\s+(are\s+there(\s+in\s+"
        rf"{_WORKSPACE})?|are\s+(in|on)\s+{_WORKSPACE}|does\s+{_WORKSPACE}\s+have|do\s+we\s+have"
        rf"|(are\s+)?(in|on)\s+{_WORKSPACE})\s*\??\s*$|\bhow big is {_WORKSPACE}",
        re.I,
    ),
    "admins": re.compile(
        r"\b(who|which\s+(people|members|users))\s+(are|is)\s+(the\s+)?(workspace\s+|slack\s+)?"
        r"(admins?|administrators?|owners?)\b|\b(list|how many)\s+(the\s+)?admins\b",
        re.I,
    ),
    "bots": re.compile(
        r"\b(which|what|any|list(\s+the)?|how many)\s+bots\b|\bwho\s+(are|is)\s+(the\s+)?bots?\b",
        re.I,
    ),
}
# the one field of a person's profile asked for ("what is Kim's title?")
_PERSON_FIELDS: dict[PersonField, re.Pattern] = {
    "title": re.compile(r"\b(title|role|job|position)\b", re.I),
    "real_name": re.compile(r"\b(real|full)\s+name\b", re.I),
}
# the first or last message of a channel (or of a person in it): "what was the last message in
# #readings?", "what did micahstubbs post last in #general?", "when did #sci start?"
_EXTREMES: dict[Extreme, re.Pattern] = {
    "last": re.compile(
        r"\b(last|latest|most recent|newest)\s+(message|post|thing|word)s?\b"
        r"|\b(post(ed)?|said|wrote|sent)\s+(\w+\s+)?last\b|\blast\s+(post(ed)?|said|wrote)\b",
        re.I,
    ),
    "first": re.compile(
        r"\b(first|earliest|oldest)\s+(message|post|thing|word)s?\b"
        r"|\b(post(ed)?|said|wrote|sent)\s+(\w+\s+)?first\b|\bfirst\s+(post(ed)?|said|wrote)\b",
        re.I,
    ),
}
# the links shared most: "which links were shared most in #tools?", "what GitHub issues got the
# most reactions?", "the most popular links": a ranking (not "what links were requested to
# introduce the speaker?", nor "links about maps", which a search finds)
_LINKED = r"(links|urls|pull requests|prs|issues|tickets|docs|repos)"
_LINKS = re.compile(
    rf"\b(most|top|popular|best)\s+(shared\s+)?([\w-]+\s+)?{_LINKED}\b"
    rf"|\b(which|what)\s+([\w-]+\s+){{0,2}}{_LINKED}\b.{{0,40}}\b(most|often|frequently)\b",
    re.I,
)
_ON_A_TOPIC = re.compile(r"\b(about|regarding|related to|on the topic of)\b", re.I)
# the subject of a ranking among messages: "the data jam" of "which message about the data jam
# got the most reactions?"
_SUBJECT_RANKED = re.compile(
    _ON_A_TOPIC.pattern + r"\s+(?P<subject>.+?)(?=\s+(got|gets|get|drew|draws|received|had|has"
    r"|have|was|were|is|are|with|that|which|in|during|since|from)\b|\s*[?.!,]|$)",
    re.I,
)
# a digest of one subject, which a search finds wherever it was said: "summarise the discussion
# about the data jam", "recap the conversation on the venue"
_SUBJECT = re.compile(
    rf"{_ON_A_TOPIC.pattern}|\b(discussions?|conversations?|threads?|debate)\s+(on|of|around)\b",
    re.I,
)
_LINK_TYPES: dict[LinkType, re.Pattern] = {
    "github_pr": re.compile(r"\b(pull requests?|prs?)\b", re.I),
    "github_issue": re.compile(r"\bgithub\s+issues?\b|\bissues\b", re.I),
    "jira": re.compile(r"\bjira\b", re.I),
    "google_doc": re.compile(r"\bgoogle\s+(docs?|sheets?|slides)\b", re.I),
}
# A listing of the files shared, what is left of the question once its channel, people and
# window are taken out: "which files were shared (in #datajam)", "what PDFs did (Ann) upload",
# "how many images were posted (in May)", "who shared the most files"; not a file known by what
# it says ("which file converts time strings to dates?", "the PDF about NASA"): search finds it.
_FILE_NOUNS = (
    r"(files?|attachments?|uploads?|pdfs?|images?|pictures?|screenshots?|photos?|snippets?"
    r"|documents?|spreadsheets?|csvs?|slides|presentations?)"
)
_SHARED = r"(shared|uploaded|posted|attached|share|upload|post|sent|added)"
_FILES_LISTED = re.compile(
    r"^(which|what|list|show( me)?|any|(were|are|was|is)( there)?|how many|(has|have|did) "
    r"(anyone|anybody|someone|somebody|people)|who)"
    rf"(\s+{_SHARED})?(\s+(all|the|a|an|any|most|some|of))*(\s+[\w-]+)?\s+{_FILE_NOUNS}"
    r"(\s+(were|was|have been|has been|got|did|does|do|has|have|are|is|been))*"
    r"(\s+(anyone|anybody|someone|somebody|people|we|you|they))?"
    rf"(\s+{_SHARED})?(\s+(by|in|from|on|to|here|channel|so far|recently|ever|the most|most))*"
    # a second question about the same files: "who uploaded a PDF, and when?"
    r"((\s*,\s*|\s+)and\s+(what|which|when|where|who|whom|by whom|how)\b[^,]*)?$",
    re.I,
)


class FileKind(BaseModel):
    """A kind of file a question names: how the answer says it, and the types list_files
    takes for it (Slack's filetypes, or a MIME type's first part)."""

    noun: str
    types: list[str]


_CODE = ["javascript", "python", "r", "html", "css", "sql", "java", "c", "cpp", "go", "ruby"]
# the words for kinds of file, singular ("pdfs", "images" are read without their "s")
FILE_KINDS: dict[str, FileKind] = {
    "pdf": FileKind(noun="PDF file", types=["pdf"]),
    "csv": FileKind(noun="CSV file", types=["csv"]),
    "spreadsheet": FileKind(noun="spreadsheet", types=["csv", "xlsx", "xls", "gsheet", "ods"]),
    "image": FileKind(noun="image", types=["image"]),
    "picture": FileKind(noun="image", types=["image"]),
    "screenshot": FileKind(noun="image", types=["image"]),
    "photo": FileKind(noun="image", types=["image"]),
    "png": FileKind(noun="PNG image", types=["png"]),
    "jpg": FileKind(noun="JPEG image", types=["jpg", "jpeg"]),
    "gif": FileKind(noun="GIF", types=["gif"]),
    "document": FileKind(
        noun="document", types=["pdf", "gdoc", "doc", "docx", "odt", "rtf", "post", "space"]
    ),
    "presentation": FileKind(noun="presentation", types=["gpres", "ppt", "pptx", "key"]),
    "slide": FileKind(noun="presentation", types=["gpres", "ppt", "pptx", "key"]),
    "code": FileKind(noun="code file", types=_CODE),
    "r": FileKind(noun="R file", types=["r"]),
    "javascript": FileKind(noun="JavaScript file", types=["javascript"]),
    "js": FileKind(noun="JavaScript file", types=["javascript"]),
    "python": FileKind(noun="Python file", types=["python"]),
    "html": FileKind(noun="HTML file", types=["html"]),
    "markdown": FileKind(noun="Markdown file", types=["markdown"]),
    "text": FileKind(noun="text file", types=["text"]),
    "json": FileKind(noun="JSON file", types=["json"]),
}
# "which channels is micahstubbs in?", "what channels does Ann belong to?" (the person taken out)
_MEMBERSHIP = re.compile(
    r"^(which|what)\s+(slack\s+)?channels\s+(is|are|was|does|do|did|has|have)"
    r"(\s+(a|an|been|currently|still))*\s+(in|on|members?\s+of|part\s+of|belong\s+to"
    r"|belongs\s+to|joined?)$",
    re.I,
)
# a count question whose answer is a channel: "which channel has the most messages?"
_RANKS_CHANNELS = re.compile(
    r"\b(which|what)\s+(slack\s+)?channels?\b|\bbusiest\s+channels?\b", re.I
)
# What the channel list itself answers (agent/workspace_facts.py): "how many members does
# #datajam have?", "how many channels are there?", "who created #sci?", "when was the sci
# channel made?", "what is #general about?"; the channel must be what is counted, made or
# described ("how many people in #general use R?", "who created the chart in #sci?" are about
# something else).
_CHANNELS_COUNTED = re.compile(
    r"\bhow many (slack )?channels\b|\bnumber of channels\b"
    r"|^\s*(what|which) (slack )?channels (are there|exist|do we have|does "
    rf"{_WORKSPACE} have)\b|\b(list|show)( me)? (all )?(the )?(slack )?channels\s*[?.!]?\s*$"
    r"|^\s*(what|which) are (all )?the channels\s*[?.!]?\s*$",
    re.I,
)
_MEMBERS = r"\bhow many (members|people|users|folks)"
_MADE = r"(creat(ed|e|or|ion)|made|set up|started)"


def _channel_phrase(name: str) -> str:
    """A channel as a noun phrase: "#sci", "sci", "the sci channel", "channel sci"."""
    named = re.escape(name)
    return rf"(the\s+)?(#?{named}(?![\w-])(\s+channel\b)?|channel\s+#?{named}(?![\w-]))"


# emoji names people say in words; ":name:" works for any other
_EMOJI_WORDS = {
    "fire": "fire",
    "tada": "tada",
    "pray": "pray",
    "eyes": "eyes",
    "rocket": "rocket",
    "heart": "heart",
    "thumbs": "+1",
    "bookmark": "bookmark",
    "bookmarked": "bookmark",
    "rotating_light": "rotating_light",
    "ok_hand": "ok_hand",
}
_SAID = re.compile(
    r"\b(what|anything)\s+(did|does|do|has|have)\s+(\w+\s+)?"
    r"(say|said|write|wrote|post|posted|mention|mentioned|think)(\s+(about|of|on))?\b",
    re.I,
)
_FILLER = re.compile(
    r"\b(in|on|from|by|during|since|before|after|last|this|past|week|month|yesterday|today)\b",
    re.I,
)


class Intent(BaseModel):
    """What the question asks about, resolved against the workspace's channels and people."""

    topic: str
    channels: list[str] = []
    # of those, the ones named by a bare word ("in the talks", not "#talks"): maybe the word
    channel_hints: list[str] = []
    users: list[str] = []
    since: datetime | None = None
    until: datetime | None = None
    # words the window already satisfies ("march" of "in March 2016"): searched for, since a
    # message may say them, but no sign of an unheard topic when none does
    window_terms: list[str] = []
    pr_numbers: list[int] = []
    urls: list[str] = []
    digest: bool = False
    reactions: bool = False  # asks about reactions ("most reacted", "tada", "bookmarked")
    emoji: str | None = None
    # asks which emoji or who reacts most, not which message got reactions
    reaction_ranking: ReactionRanking | None = None
    # a ranking among the messages on a subject, which a search finds: "which message about the
    # talk got the most reactions?", "links about maps"
    on_topic: bool = False
    history: list[ChannelEventKind] = []  # asks about channel events ("who renamed #x")
    latest_first: bool = False  # of those, the latest first ("who joined most recently?")
    counting: bool = False  # asks for message counts ("who posted most in #x")
    mention: str | None = None  # of those, only messages saying this ("who mentioned D3 most?")
    ranks_people: bool = False  # asks who: "who talked about D3 the most?"
    ranks_channels: bool = False  # of those, asks which channel ("the busiest channel")
    about_person: bool = False  # "who is neerajt?": the one person named, and what they post
    person_field: PersonField | None = None  # of that person, one field: "what is Kim's title?"
    extreme: Extreme | None = None  # the first or last message of the one channel named
    links: bool = False  # asks which links were shared most
    link_type: LinkType | None = None  # of one kind: "which GitHub issues got most reactions?"
    # asks what the channel list says: a channel's members, how many channels, who made one,
    # or which channels the one person named is in
    channel_facts: list[ChannelFact] = []
    roster: Roster | None = None  # asks what the people list says: how many, admins, bots
    files: bool = False  # asks which files were shared (or how many, or who shared most)
    file_kind: FileKind | None = None  # of one kind: "which PDFs were shared?"
    ranks_sharers: bool = False  # of those, who shared most: "who shared the most files?"

    @property
    def ranks_on_topic(self) -> bool:
        """Asks for the most reacted message on a subject, which is ranked among the messages a
        search for the subject finds."""
        return self.reaction_ranking == "message" and self.on_topic

    def scope_words(self) -> str:
        """Where and when the question looks, in words: " in #general from 2016-07-01 to
        2016-07-31" (the one channel it names, and its window)."""
        where = f" in #{self.channels[0]}" if len(self.channels) == 1 else ""
        return where + window_words(self.since, self.until)


def read_intent(
    question: str,
    channel_names: list[str],
    handles: dict[str, str],
    names: dict[str, str],
    now: datetime,
) -> Intent:
    """Parse `question`. `handles` maps lower-cased user and display names to user ids (matched
    in any case, or after @); `names` maps lower-cased parts of real names (matched only when
    capitalised, so "Deploy Bot" does not turn "deploy" into a person)."""
    channels = [name for name in channel_names if re.search(_channel_named(name), question, re.I)]
    words = re.findall(r"@?[A-Za-z][\w.-]*[\w]", question)
    people: dict[str, str] = {}
    for word in words:
        key = word.lstrip("@").lower()
        if key in handles:
            people[word] = handles[key]
        elif word[0].isupper() and key in names:
            people[word] = names[key]
    users = list(dict.fromkeys(people.values()))
    since, until = window_in(question, now)
    topic = question
    for name in channels:
        topic = re.sub(_channel_named(name), " ", topic, flags=re.I)
    for word in people:
        topic = re.sub(rf"(?<![\w@]){re.escape(word)}\b", " ", topic)
    topic = _SAID.sub(" ", topic)
    months: list[str] = []
    if since or until:
        topic = WEEK_OF_MONTH.sub(" ", topic)
        topic = _FILLER.sub(" ", re.sub(r"\d{4}-\d{2}-\d{2}|\b(19|20)\d{2}\b", " ", topic))
        months = [m.group().lower() for m in MONTH_WINDOW.finditer(topic)]
    topic = _squeezed(topic) or question
    # what is asked beside the window: "what happened" of "what happened in #sci in March?"
    asked = _squeezed(MONTH_WINDOW.sub(" ", topic)) if months else topic
    hints = [c for c in channels if not re.search(rf"#{re.escape(c)}(?![\w-])", question)]
    about_person = len(users) == 1 and bool(_ABOUT_PERSON.search(question))
    mention = _mention(question)
    counting = about_person or bool(_COUNTING.search(question)) or mention is not None
    reactions = bool(_REACTIONS.search(question))
    on_topic = bool(_ON_A_TOPIC.search(question))
    reaction_ranking = next(
        (k for k, p in _REACTION_RANKINGS.items() if reactions and p.search(question)), None
    )
    if reaction_ranking == "message" and (ranked := _SUBJECT_RANKED.search(topic)):
        topic = ranked["subject"]  # searched for: the ranking is of what the search finds
    links = bool(_LINKS.search(question)) and not on_topic
    files = bool(_FILES_LISTED.match(asked))
    history = _history_kinds(question, hints != channels or "channel" in question.lower())
    membership = len(users) == 1 and bool(_MEMBERSHIP.match(asked))
    return Intent(
        topic=topic,
        channels=channels,
        channel_hints=hints,
        users=users,
        since=since,
        until=until,
        pr_numbers=[int(n) for n in dict.fromkeys(PR_REFERENCE.findall(question))],
        urls=_URL.findall(question),
        window_terms=months,
        digest=_asks_digest(question, asked, scoped=bool(channels or since or until))
        and not _SUBJECT.search(question),
        reactions=reactions,
        reaction_ranking=reaction_ranking,
        emoji=_emoji_in(question),
        on_topic=on_topic,
        history=history,
        latest_first=bool(history) and bool(_LATEST.search(question)),
        counting=counting,
        mention=mention,
        ranks_people=bool(re.match(r"\s*who\b", question, re.I)),
        about_person=about_person,
        person_field=next(
            (k for k, p in _PERSON_FIELDS.items() if about_person and p.search(question)), None
        ),
        links=links,
        link_type=next((k for k, p in _LINK_TYPES.items() if links and p.search(question)), None),
        extreme=next(
            (k for k, p in _EXTREMES.items() if len(channels) == 1 and p.search(question)), None
        ),
        ranks_channels=counting and bool(_RANKS_CHANNELS.search(question)),
        channel_facts=["membership"]
        if membership
        else ([] if counting else _channel_facts(question, channels)),
        files=files,
        roster=next((k for k, p in _ROSTERS.items() if p.search(question)), None),
        file_kind=_file_kind(asked) if files else None,
        ranks_sharers=files and bool(re.match(r"who\b.*\bmost\b", asked, re.I)),
    )


def _mention(question: str) -> str | None:
    """The word or phrase whose messages the question counts, if it counts them."""
    if not _MENTION_FRAME.search(question):
        return None
    match = _MENTIONED.search(question)
    return (match["after"] or match["before"]) if match else None


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip(" ?.,")


def _asks_digest(question: str, topic: str, scoped: bool) -> bool:
    """A digest is asked for by a request that opens with its word ("summarise #x", "can you
    give me a weekly digest?", "customer feedback digest") or names the place or period it
    covers (so does "what happened in #deploys last week?", `scoped`); after a clause in an
    unscoped question the word is part of its topic ("the argument that a chart ought to
    summarise big data")."""
    if scoped and _HAPPENED.match(topic):
        return True
    match = _DIGEST.search(question)
    if match is None:
        return False
    opening = re.findall(r"[\w']+", question[: match.start()].lower())
    named = [word for word in opening if word not in _REQUEST_WORDS]
    return scoped or len(named) <= _DIGEST_NAME_WORDS


def _channel_named(name: str) -> str:
    """A channel named in a question: "#deploys", "in deploys", "in the #deploys", "the
    deploys channel", "channel deploys"."""
    named = re.escape(name)
    return (
        rf"(?:\bin\s+(?:the\s+)?#?|#|\bchannel\s+#?){named}(?![\w-])"
        rf"|(?<![\w#-]){named}\s+channel\b"
    )


def _history_kinds(question: str, names_a_channel: bool) -> list[ChannelEventKind]:
    words = _EVENT_WORDS | (_CHANNEL_EVENT_WORDS if names_a_channel else {})
    return [kind for kind, pattern in words.items() if re.search(pattern, question, re.I)]


def _channel_facts(question: str, channels: list[str]) -> list[ChannelFact]:
    """The channel-list facts asked for: how many channels, or of the one channel named, its
    members, its creation or what it is for."""
    facts: list[ChannelFact] = ["channels"] if _CHANNELS_COUNTED.search(question) else []
    if len(channels) != 1:
        return facts
    channel = _channel_phrase(channels[0])
    members = (
        rf"{_MEMBERS}(\s+(are|were|is))?(\s+there)?\s+(in|on)\s+{channel}\s*[?.!]?\s*$"
        rf"|{_MEMBERS}\s+(does|do|did|has)\s+{channel}\s+(have|got)\b"
    )
    made = rf"\b{_MADE}\s+(of\s+)?{channel}|{channel}\s+((was|been|got|get)\s+)?{_MADE}\b"
    about = (
        rf"\bwhat\s+(is|was|are|were)\s+{channel}\s+(about|for)\b"
        rf"|\b(purpose|topic|description)\s+(of|for)\s+{channel}"
        rf"|{channel}'s\s+(purpose|topic|description)\b"
    )
    facts += ["members"] if re.search(members, question, re.I) else []
    facts += ["created"] if re.search(made, question, re.I) else []
    facts += ["about"] if re.search(about, question, re.I) else []
    return facts


def _file_kind(asked: str) -> FileKind | None:
    """The kind of file the listing names: "PDFs", "R files", "images", "spreadsheets"."""
    words = [w.rstrip("s") if len(w) > 3 else w for w in re.findall(r"[a-z]+", asked.lower())]
    return next((FILE_KINDS[w] for w in words if w in FILE_KINDS), None)


def _emoji_in(question: str) -> str | None:
    if match := re.search(r":([a-z0-9_+-]+):", question):
        return match[1]
    words = re.findall(r"[a-z_]+", question.lower())
    return next((_EMOJI_WORDS[w] for w in words if w in _EMOJI_WORDS), None)
