"""Labeling functions for YouTube comment spam, in the style of Snorkel's spam tutorial.

Labels: ``HAM = 0``, ``SPAM = 1`` (as the YouTube Spam Collection's ``label``
column). Each LF reads the comment text from the ``CONTENT`` field and abstains
(-1) when its rule does not fire. Used by the weak-labeling demo and by the real
data test on ``../shared/datasets/youtube_spam/``.
"""
from snorkel.labeling import labeling_function

from datalife.labeling.lfs import ABSTAIN, keyword_lf, length_lf, regex_lf

HAM, SPAM = 0, 1
TEXT = "CONTENT"

keyword_my = keyword_lf("keyword_my", ["my"], SPAM, field=TEXT, whole_word=True)
keyword_subscribe = keyword_lf("keyword_subscribe", ["subscribe", "subscribers", "sub4sub"], SPAM, field=TEXT)
keyword_link = regex_lf("keyword_link", r"https?://|www\.|\.com\b", SPAM, field=TEXT)
keyword_please = keyword_lf("keyword_please", ["please", "plz", "pls"], SPAM, field=TEXT, whole_word=True)
keyword_song = keyword_lf("keyword_song", ["song"], HAM, field=TEXT, whole_word=True)
regex_check_out = regex_lf("regex_check_out", r"check.*out", SPAM, field=TEXT)
short_comment = length_lf("short_comment", HAM, field=TEXT, max_words=4)
keyword_channel = keyword_lf("keyword_channel", ["channel", "my video", "my music"], SPAM, field=TEXT)
keyword_money = keyword_lf("keyword_money", ["money", "earn", "free", "gift card", "cash"], SPAM,
                           field=TEXT, whole_word=True)


@labeling_function()
def love_or_views(x):
    """Plain Snorkel LF (runs unchanged): fans talking about the video are ham."""
    text = str(getattr(x, TEXT, "") or "").lower()
    if any(w in text for w in ("love this", "views", "billion", "2015", "best song", "<3")):
        return HAM
    return ABSTAIN
