"""A new user's own labeling functions for the YouTube spam data (plain Snorkel
``@labeling_function``s, written without looking at the example module), used by
the stability and API tests: ``USER_LFS`` is the user's set of 9; ``EXTRA_LFS`` are
LFs the user might add next, one at a time. Labels: HAM = 0, SPAM = 1."""
import re

from snorkel.labeling import labeling_function

ABSTAIN, HAM, SPAM = -1, 0, 1


def _text(x) -> str:
    return str(getattr(x, "CONTENT", "") or "")


@labeling_function()
def has_url(x):
    return SPAM if re.search(r"https?://|www\.|\.com\b|\.ly/", _text(x), re.I) else ABSTAIN


@labeling_function()
def says_subscribe(x):
    return SPAM if re.search(r"subscri", _text(x), re.I) else ABSTAIN


@labeling_function()
def check_my(x):
    return SPAM if re.search(r"check (out )?my|my (new )?(channel|video|page)", _text(x), re.I) else ABSTAIN


@labeling_function()
def asks_visit(x):
    return SPAM if re.search(r"\b(visit|go to|click|follow me)\b", _text(x), re.I) else ABSTAIN


@labeling_function()
def shouting(x):
    letters = [c for c in _text(x) if c.isalpha()]
    return SPAM if len(letters) > 20 and sum(c.isupper() for c in letters) > 0.5 * len(letters) else ABSTAIN


@labeling_function()
def names_artist(x):
    return HAM if re.search(r"shakira|katy|eminem|rihanna|psy\b|lmfao", _text(x), re.I) else ABSTAIN


@labeling_function()
def music_words(x):
    return HAM if re.search(r"\b(song|music|beat|voice|lyrics|dance)\b", _text(x), re.I) else ABSTAIN


@labeling_function()
def few_words(x):
    return HAM if len(_text(x).split()) < 5 else ABSTAIN


@labeling_function()
def is_question(x):
    return HAM if _text(x).strip().endswith("?") else ABSTAIN


USER_LFS = [has_url, says_subscribe, check_my, asks_visit, shouting, names_artist, music_words, few_words,
            is_question]


@labeling_function()
def love_like(x):
    return HAM if re.search(r"\b(love|like|best|amazing|awesome)\b", _text(x), re.I) else ABSTAIN


@labeling_function()
def views_count(x):
    return HAM if re.search(r"views|billion|million", _text(x), re.I) else ABSTAIN


@labeling_function()
def social_media(x):
    return SPAM if re.search(r"facebook|twitter|instagram|youtube\.com", _text(x), re.I) else ABSTAIN


@labeling_function()
def money_free(x):
    return SPAM if re.search(r"\b(money|free|win|earn|cash|gift)\b", _text(x), re.I) else ABSTAIN


@labeling_function()
def please_plz(x):
    return SPAM if re.search(r"\b(please|plz|pls)\b", _text(x), re.I) else ABSTAIN


@labeling_function()
def exclamations(x):
    return SPAM if "!!" in _text(x) else ABSTAIN


@labeling_function()
def long_comment(x):
    return SPAM if len(_text(x).split()) > 25 else ABSTAIN


@labeling_function()
def year_mention(x):
    return HAM if re.search(r"\b20(1[0-9])\b", _text(x)) else ABSTAIN


EXTRA_LFS = [love_like, views_count, social_media, money_free, please_plz, exclamations, long_comment,
             year_mention]
