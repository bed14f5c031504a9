"""Passages: a long message (most often a shared file's text) is not one vector.

MiniLM reads the first 256 word pieces of what it embeds, so the vector of a message with a
long file says nothing of the file past its first page. Such a message gets one more vector
record per passage of ~1,000 characters (about 200-250 word pieces of English), overlapping so
that a sentence cut at one edge is whole in the next passage, split at paragraph, line, then
word boundaries (LangChain's recursive splitter). The message's own record covers its start;
passage records hold the rest, with the message's metadata, so filters apply to them alike.
Search scores a message by its best record (MaxP: Dai and Callan, "Deeper Text Understanding
for IR with Contextual Neural Language Modeling", SIGIR 2019). Words are indexed once, with the
message.

A long message also gets its lead as one more, short passage: the message and its first lines
(a file's name, what was said of it, a CSV's header), at most LEAD_CHARS. In a 256-piece window
the lines that say what a file is drown in its rows; alone they are what a question about the
file asks for (a title field beside the body, as multi-field retrieval keeps one).
"""

from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

from db.models import passage_id, passage_ids
from db.vectors import VectorRecord

PASSAGE_CHARS = 1000
PASSAGE_OVERLAP = 150
LEAD_CHARS = 300
_SPLITTER = RecursiveCharacterTextSplitter(
    chunk_size=PASSAGE_CHARS, chunk_overlap=PASSAGE_OVERLAP, strip_whitespace=True
)
_LEAD = RecursiveCharacterTextSplitter(chunk_size=LEAD_CHARS, chunk_overlap=0)


@dataclass(frozen=True)
class Passage:
    """One passage record and the text its vector is made of (the passage, then where the
    message was said, as for the message itself)."""

    record: VectorRecord
    embedded: str


def passages(record: VectorRecord, place: str) -> list[Passage]:
    """The passage records of a message record: none when its document fits one vector."""
    metadata = {k: v for k, v in record.metadata.items() if k != "raw_text"}
    return [
        Passage(
            VectorRecord(
                id=passage_id(record.id, number),
                document=chunk,
                metadata={**metadata, "passage": number},
            ),
            f"{chunk}\n{place}" if place else chunk,
        )
        for number, chunk in enumerate(_passage_texts(record.document), start=1)
    ]


def passage_count(document: str) -> int:
    """How many passage records a message with this document has."""
    return len(_passage_texts(document))


def _passage_texts(document: str) -> list[str]:
    """The document's chunks after the first, which the message's own vector covers, then its
    lead."""
    if len(document) <= PASSAGE_CHARS:
        return []
    return [*_SPLITTER.split_text(document)[1:], _LEAD.split_text(document)[0]]


def stale_passages(held: dict[str, VectorRecord], kept: dict[str, int]) -> list[str]:
    """The passage records of `held` message records (their stored, older text) past the
    `kept` count each message's new text has."""
    return [
        found
        for message, record in held.items()
        for found in passage_ids(message, passage_count(record.document))[kept.get(message, 0) :]
    ]
