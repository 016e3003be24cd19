"""Labeling-function modules used by the tests (importable as ``lf_fixtures``)."""
from snorkel.labeling import labeling_function

from datalife.labeling.lfs import ABSTAIN, keyword_lf, length_lf

spam_kw = keyword_lf("spam_kw", ["buy"], 1, field="text")


@labeling_function()
def fragile(x):
    """Raises on texts containing 'boom'."""
    if "boom" in x.text:
        raise RuntimeError("cannot handle boom")
    return 0 if "hello" in x.text else ABSTAIN


NOT_LFS = [spam_kw, "not a function"]

short = length_lf("short", 0, field="text", max_words=1)
