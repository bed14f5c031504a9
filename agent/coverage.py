"""How much of what a question asks about a passage speaks of: IDF-weighted greedy word
matching (Rus and Lintean, "A Comparison of Greedy and Optimal Assessment of Natural Language
Student Input Using Word-to-Word Similarity Metrics", BEA 2012; the recall BERTScore computes
with IDF weights, Zhang et al., ICLR 2020). Each content word of the question is matched to the
passage word closest in meaning (1 for the same stem, else the cosine of their embeddings),
and the matches are averaged with the word's rarity in the workspace as its weight.

A cosine counts only above its baseline, rescaled as BERTScore rescales its scores: any word
finds some word of a conversation at MiniLM cosine ~0.4 by chance (an unrelated word's best
match in four consecutive messages averaged 0.40 on 740 random pairs of the houston export, in
two draws), and the longer the conversation the higher that chance match, so unrescaled a long
conversation covered any question part way: (cosine - 0.4) / (1 - 0.4), at least 0.

A passage near a question in meaning may still not address it: "Who catered the July data
jam?" lies close to every message about that data jam, yet none of them says "food", "cater"
or anything like it; the rare words of the question are the ones left unmatched."""

from collections.abc import Mapping

from agent.playbook import WordVectors
from mcp_server.keywords import content_words, stem, stems

BASELINE = 0.4  # an unrelated word's best-match cosine in a conversation (see above)


def coverage(weights: Mapping[str, float], passage: str, vectors: WordVectors) -> float:
    """The weighted share of the question's words (`weights`: word -> rarity) that the passage
    matches, in [0, 1]; 0 for a passage without content words, 1 for a question without."""
    total = sum(weights.values())
    if not total:
        return 1.0
    passage_words = content_words(passage)
    if not passage_words:
        return 0.0
    words = list(weights)
    best = (vectors(words) @ vectors(passage_words).T).max(axis=1)
    held = stems(passage)
    matched = [
        1.0 if stem(w) in held else max((float(b) - BASELINE) / (1 - BASELINE), 0.0)
        for w, b in zip(words, best, strict=True)
    ]
    return sum(weights[w] * m for w, m in zip(words, matched, strict=True)) / total
