"""Labeling-function building blocks, the batched applier and the LF loader:
literal fixtures with exact expectations; batch path == per-row path == Snorkel's
own PandasLFApplier for every builder (a registry-wide check)."""
from types import SimpleNamespace

import pandas as pd
import pytest
from snorkel.labeling import PandasLFApplier, labeling_function

from datalife.labeling.applier import LFError, apply_batch
from datalife.labeling.lf_loader import LFLoadError, load_lfs, module_sha256
from datalife.labeling.lfs import ABSTAIN, from_function, keyword_lf, length_lf, regex_lf, threshold_lf

TEXTS = ["Buy now!", "hello there friend", None, "check this out: http://x.io", "ok", "BUY", "buyer"]
STARS = [5, 1, None, 3, 4.5, 2, 0]
COLUMNS = {"text": TEXTS, "stars": STARS}
KEYS = [f"k{i}" for i in range(len(TEXTS))]

BUILDERS = {
    "keyword": (keyword_lf("kw", ["buy"], 1), [1, -1, -1, -1, -1, 1, 1]),
    "keyword_whole_word": (keyword_lf("kww", ["buy"], 1, whole_word=True), [1, -1, -1, -1, -1, 1, -1]),
    "keyword_case": (keyword_lf("kwc", ["BUY"], 1, case_sensitive=True), [-1, -1, -1, -1, -1, 1, -1]),
    "regex": (regex_lf("rx", r"check.*out", 1), [-1, -1, -1, 1, -1, -1, -1]),
    "length_words": (length_lf("short", 0, max_words=1), [-1, -1, -1, -1, 0, 0, 0]),
    "length_chars": (length_lf("long", 1, min_chars=15), [-1, 1, -1, 1, -1, -1, -1]),
    "threshold": (threshold_lf("good", "stars", ">=", 4, 0), [0, -1, -1, -1, 0, -1, -1]),
    "threshold_lt": (threshold_lf("bad", "stars", "<", 2, 1), [-1, 1, -1, -1, -1, -1, 1]),
}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_builder_batch_row_and_snorkel_agree(name):
    lf, expected = BUILDERS[name]
    L, faulted = apply_batch([lf], COLUMNS, KEYS)
    assert L[:, 0].tolist() == expected and not faulted.any()
    rows = [SimpleNamespace(text=t, stars=s) for t, s in zip(TEXTS, STARS)]
    assert [lf(r) for r in rows] == expected
    df = pd.DataFrame({"text": TEXTS, "stars": STARS}).astype(object).where(lambda d: d.notna(), None)
    assert PandasLFApplier([lf]).apply(df, progress_bar=False)[:, 0].tolist() == expected


def test_snorkel_decorated_and_wrapped_functions_work_unchanged():
    @labeling_function()
    def has_hello(x):
        return 0 if x.text and "hello" in x.text else ABSTAIN

    wrapped = from_function(lambda x: 1 if x.stars == 0 else ABSTAIN, name="zero_stars")
    L, _ = apply_batch([has_hello, wrapped], COLUMNS, KEYS)
    assert L.tolist() == [[-1, -1], [0, -1], [-1, -1], [-1, -1], [-1, -1], [-1, -1], [-1, 1]]
    assert from_function(has_hello) is has_hello


def test_builder_bad_arguments_are_named():
    with pytest.raises(ValueError, match="labeling function 'x': bad regular expression '\\('"):
        regex_lf("x", "(", 1)
    with pytest.raises(ValueError, match="labeling function 'x': op must be one of"):
        threshold_lf("x", "stars", "=>", 1, 1)
    with pytest.raises(ValueError, match="label must be a class id >= 0"):
        keyword_lf("x", ["a"], -1)
    with pytest.raises(KeyError, match="reads field 'body', which the examples do not have"):
        apply_batch([keyword_lf("x", ["a"], 1, field="body")], COLUMNS, KEYS)


def test_raising_lf_fails_naming_lf_and_example_or_abstains_when_tolerant():
    import lf_fixtures

    cols = {"text": ["hello", "boom here", "nothing", "boom again"]}
    keys = ["a", "b", "c", "d"]
    with pytest.raises(LFError, match="labeling function 'fragile' raised RuntimeError: cannot handle boom "
                                      "on example 'b'"):
        apply_batch([lf_fixtures.fragile], cols, keys)
    L, faulted = apply_batch([lf_fixtures.spam_kw, lf_fixtures.fragile], cols, keys, fault_tolerant=True)
    assert L.tolist() == [[-1, 0], [-1, -1], [-1, -1], [-1, -1]]
    assert faulted.tolist() == [[False, False], [False, True], [False, False], [False, True]]


def test_load_lfs_by_dotted_path_and_clear_errors():
    lfs = load_lfs("lf_fixtures")
    assert [lf.name for lf in lfs] == ["spam_kw", "fragile", "short"]
    assert len(module_sha256("lf_fixtures")) == 64
    with pytest.raises(LFLoadError, match="cannot import labeling-function module 'no_such.module'"):
        load_lfs("no_such.module")
    with pytest.raises(LFLoadError, match="module 'lf_fixtures' has no attribute 'MISSING'"):
        load_lfs("lf_fixtures:MISSING")
    with pytest.raises(LFLoadError, match="not labeling functions: 'not a function'"):
        load_lfs("lf_fixtures:NOT_LFS")


def test_youtube_example_module_loads_ten_lfs():
    names = [lf.name for lf in load_lfs("datalife.labeling.examples.youtube_spam")]
    assert len(names) == 10 and names[0] == "keyword_my" and "love_or_views" in names
