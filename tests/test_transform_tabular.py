"""The config-driven preprocessing_fn, run through tf.Transform on literal rows and
compared with values computed by hand / with NumPy."""
import tempfile

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
tft = pytest.importorskip("tensorflow_transform")
tft_beam = pytest.importorskip("tensorflow_transform.beam")
from tensorflow_transform.tf_metadata import dataset_metadata, schema_utils  # noqa: E402

from datalife.pipeline.config import TransformConfig  # noqa: E402
from datalife.transforms.tabular import preprocessing_fn  # noqa: E402

ROWS = [
    # x: complete numbers; y: numbers with missing; c: strings with missing; s: complete strings
    {"x": 1.0, "y": [10.0], "c": [b"a"], "s": b"red", "n": 3},
    {"x": 2.0, "y": [], "c": [b"b"], "s": b"red", "n": -9999},
    {"x": 3.0, "y": [30.0], "c": [], "s": b"blue", "n": 5},
    {"x": 4.0, "y": [50.0], "c": [b"a"], "s": b"red", "n": 5},
    {"x": 10.0, "y": [], "c": [b"a"], "s": b"green", "n": -9999},
]
FEATURE_SPEC = {
    "x": tf.io.FixedLenFeature([], tf.float32),
    "y": tf.io.VarLenFeature(tf.float32),
    "c": tf.io.VarLenFeature(tf.string),
    "s": tf.io.FixedLenFeature([], tf.string),
    "n": tf.io.FixedLenFeature([], tf.int64),
}


def run_transform(config: dict, rows=ROWS, spec=FEATURE_SPEC):
    config = TransformConfig.model_validate(config).model_dump()
    metadata = dataset_metadata.DatasetMetadata(schema_utils.schema_from_feature_spec(spec))
    with tempfile.TemporaryDirectory() as tmp, tft_beam.Context(temp_dir=tmp, force_tf_compat_v1=False):
        (transformed, _), transform_fn = (rows, metadata) | tft_beam.AnalyzeAndTransformDataset(
            lambda inputs: preprocessing_fn(inputs, custom_config=config), output_record_batches=False
        )
        vocab = {}
        tft_output = tft.TFTransformOutput(transform_fn_dir(transform_fn, tmp))
        for name in config["features"]:
            if (config["features"][name].get("encode")):
                vocab[name] = tft_output.vocabulary_by_name(name)
    return transformed, vocab


def transform_fn_dir(transform_fn, tmp):
    out = tmp + "/tf"
    _ = transform_fn | tft_beam.WriteTransformFn(out)
    return out


def column(rows, name):
    return np.array([r[name] for r in rows])


def test_zscore_and_minmax_match_numpy():
    out, _ = run_transform({"features": {"x": {"scale": "zscore"}, "n": {"scale": "minmax"}}})
    x = np.array([1, 2, 3, 4, 10], np.float64)
    np.testing.assert_allclose(column(out, "x"), (x - x.mean()) / x.std(), rtol=1e-5)
    n = np.array([3, -9999, 5, 5, -9999], np.float64)
    np.testing.assert_allclose(column(out, "n"), (n - n.min()) / (n.max() - n.min()), rtol=1e-5)


def test_impute_mean_median_constant_by_hand():
    out, _ = run_transform({"features": {"y": {"impute": "mean"}}})
    np.testing.assert_allclose(column(out, "y"), [10, 30, 30, 50, 30], rtol=1e-6)  # mean(10,30,50)=30
    out, _ = run_transform({"features": {"y": {"impute": "median", "scale": "minmax"}}})
    # median(10,30,50)=30 -> filled [10,30,30,50,30] -> min-max over the filled column
    np.testing.assert_allclose(column(out, "y"), [0, 0.5, 0.5, 1, 0.5], rtol=1e-6)
    out, _ = run_transform({"features": {"y": {"impute": "constant", "fill_value": -1}}})
    np.testing.assert_allclose(column(out, "y"), [10, -1, 30, 50, -1])


def test_sentinels_are_missing_and_most_frequent_numbers():
    # -9999 is a sentinel: present values are 3, 5, 5 -> most frequent 5
    out, _ = run_transform({"features": {"n": {"sentinels": [-9999], "impute": "most_frequent"}}})
    np.testing.assert_array_equal(column(out, "n"), [3, 5, 5, 5, 5])
    out, _ = run_transform({"features": {"n": {"sentinels": [-9999], "impute": "mean"}}})
    np.testing.assert_allclose(column(out, "n"), [3, 13 / 3, 5, 5, 13 / 3], rtol=1e-6)


def test_most_frequent_string_and_vocabulary():
    out, vocab = run_transform(
        {"features": {"c": {"impute": "most_frequent", "encode": "vocabulary"}}}
    )
    # c present: a, b, a, a -> fill 'a'; vocabulary ordered by frequency: a (4), b (1)
    assert vocab["c"] == [b"a", b"b"]
    np.testing.assert_array_equal(column(out, "c"), [0, 1, 0, 0, 0])


def test_one_hot_has_fixed_width_and_oov():
    out, vocab = run_transform(
        {"features": {"s": {"encode": "one_hot", "top_k": 1, "num_oov_buckets": 1}}}
    )
    assert vocab["s"] == [b"red"]
    expected = [[1, 0], [1, 0], [0, 1], [1, 0], [0, 1]]  # blue, green -> the OOV bucket
    np.testing.assert_array_equal(np.stack(column(out, "s")), expected)


def test_bucketize_fixed_boundaries_and_quantiles():
    out, _ = run_transform({"features": {"x": {"bucketize": {"boundaries": [2.5, 5.0]}}}})
    np.testing.assert_array_equal(column(out, "x"), np.digitize([1, 2, 3, 4, 10], [2.5, 5.0]))
    out, _ = run_transform({"features": {"x": {"bucketize": {"num_buckets": 5}}}})
    # five distinct values in five quantile buckets: one each, in order
    np.testing.assert_array_equal(column(out, "x"), [0, 1, 2, 3, 4])


def test_cross_vocabulary_and_hash():
    config = {
        "features": {"c": {"impute": "constant", "fill_value": "zz"}},
        "crosses": [{"features": ["c", "s"]}, {"features": ["s", "n"], "hash_buckets": 7, "name": "sn"}],
    }
    out, _ = run_transform(config)
    # joined: a_x_red, b_x_red, zz_x_blue, a_x_red, a_x_green -> a_x_red most frequent -> id 0
    ids = column(out, "c_x_s")
    assert ids[0] == ids[3] == 0 and len(set(ids)) == 4
    expected = tf.strings.to_hash_bucket_fast(
        ["red_x_3", "red_x_-9999", "blue_x_5", "red_x_5", "green_x_-9999"], 7
    ).numpy()
    np.testing.assert_array_equal(column(out, "sn"), expected)


def test_missing_values_without_impute_is_a_clear_error():
    with pytest.raises(ValueError, match="feature 'y' has missing values.*add impute"):
        run_transform({"features": {"y": {"scale": "zscore"}}})


def test_weather_wind_vector_and_time_signals_match_numpy():
    rows = [
        {"speed": 2.0, "dir": b"NE", "deg": 90.0, "year": 2010, "month": 1, "day": 1, "hour": 0},
        {"speed": 4.0, "dir": b"cv", "deg": 180.0, "year": 2012, "month": 3, "day": 1, "hour": 6},
        {"speed": 1.0, "dir": b"NW", "deg": 0.0, "year": 2014, "month": 12, "day": 31, "hour": 23},
    ]
    spec = {"speed": tf.io.FixedLenFeature([], tf.float32), "dir": tf.io.FixedLenFeature([], tf.string),
            "deg": tf.io.FixedLenFeature([], tf.float32), **{k: tf.io.FixedLenFeature([], tf.int64)
                                                            for k in ("year", "month", "day", "hour")}}
    config = {"wind_vectors": [{"speed": "speed", "direction": "dir", "name": "w",
                                "degrees_map": {"NE": 45, "SE": 135, "NW": 315, "cv": None}},
                               {"speed": "speed", "direction": "deg", "name": "v"}],
              "time_signals": {"timestamp": {"parts": {"year": "year", "month": "month", "day": "day",
                                                       "hour": "hour"}}}}
    out, _ = run_transform(config, rows=rows, spec=spec)
    deg = np.radians([45, 0, 315])
    speed = np.array([2.0, 0.0, 1.0])  # calm ('cv') -> a zero vector
    np.testing.assert_allclose(column(out, "w_x"), speed * np.cos(deg), atol=1e-6)
    np.testing.assert_allclose(column(out, "w_y"), speed * np.sin(deg), atol=1e-6)
    np.testing.assert_allclose(column(out, "v_x"), [0, -4, 1], atol=1e-6)
    import pandas as pd

    ts = pd.to_datetime([f"{r['year']}-{r['month']:02d}-{r['day']:02d} {r['hour']:02d}:00" for r in rows])
    seconds = (ts - pd.Timestamp("1970-01-01")).total_seconds().to_numpy()
    np.testing.assert_array_equal(column(out, "timestamp"), seconds.astype(np.int64))
    np.testing.assert_allclose(column(out, "day_sin"), np.sin(2 * np.pi * seconds / 86400), atol=1e-5)
    np.testing.assert_allclose(column(out, "year_cos"), np.cos(2 * np.pi * seconds / (365.2425 * 86400)),
                               atol=1e-5)


def test_missing_keep_passes_nan_and_a_presence_mask_scaled_on_present_values():
    out, _ = run_transform({"features": {"y": {"missing": "keep", "scale": "zscore"},
                                         "n": {"missing": "keep", "sentinels": [-9999], "scale": "minmax"}}})
    y = np.array([10, np.nan, 30, 50, np.nan])
    present = ~np.isnan(y)
    expected = (y - np.nanmean(y)) / np.nanstd(y)  # NumPy over the present values only
    np.testing.assert_allclose(column(out, "y"), expected, rtol=1e-5)  # NaN where missing (allclose: equal_nan)
    assert column(out, "y_present").tolist() == present.astype(int).tolist()
    n = np.array([3, np.nan, 5, 5, np.nan])  # -9999 is missing
    np.testing.assert_allclose(column(out, "n"), (n - 3) / (5 - 3), rtol=1e-6)
    assert column(out, "n_present").tolist() == [1, 0, 1, 1, 0]
    assert TransformConfig.model_validate({"features": {"y": {"missing": "keep"}}}).output_names() == ["y", "y_present"]
    with pytest.raises(ValueError, match="cannot go with impute"):
        TransformConfig.model_validate({"features": {"y": {"missing": "keep", "impute": "mean"}}})


def test_metadata_columns_ride_through_transform_unchanged():
    rows = [{"x": 1.0, "augment/copy": [0], "augment/ops": [b""], "source_file": b"a.csv", "label_source": b"gold"},
            {"x": 3.0, "augment/copy": [2], "augment/ops": [b"hflip rotate"], "source_file": b"a.csv",
             "label_source": b"end_model"},
            {"x": 5.0, "augment/copy": [], "augment/ops": [], "source_file": b"b.csv", "label_source": b"weak"}]
    spec = {"x": tf.io.FixedLenFeature([], tf.float32), "augment/copy": tf.io.VarLenFeature(tf.int64),
            "augment/ops": tf.io.VarLenFeature(tf.string), "source_file": tf.io.FixedLenFeature([], tf.string),
            "label_source": tf.io.FixedLenFeature([], tf.string)}
    out, _ = run_transform({"features": {"x": {"scale": "zscore"}}}, rows=rows, spec=spec)
    np.testing.assert_allclose(column(out, "x"), (np.array([1, 3, 5]) - 3) / np.std([1, 3, 5]), rtol=1e-6)
    assert [r["source_file"] for r in out] == [b"a.csv", b"a.csv", b"b.csv"]
    assert [r["label_source"] for r in out] == [b"gold", b"end_model", b"weak"]
    assert [list(r["augment/copy"]) for r in out] == [[0], [2], []]  # an original without the field stays without
    assert [list(r["augment/ops"]) for r in out] == [[b""], [b"hflip rotate"], []]
