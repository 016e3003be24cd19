"""Config-driven tabular feature engineering for TFX Transform.

``preprocessing_fn(inputs, custom_config)`` is referenced by dotted path from the
pipeline config (``datalife.transforms.tabular.preprocessing_fn``); TFX passes the
``transform`` section of the config as ``custom_config``. Per feature, in order:

1. missing values: a value that is absent (sparse input) or equals one of the
   feature's ``sentinels`` (e.g. -9999) is missing;
2. ``impute``: ``mean`` / ``median`` (TFT quantiles, epsilon 1e-4) of the present
   values, ``most_frequent`` (ties: the smallest value for numbers), or ``constant``;
   or ``missing: keep``: nothing is invented, the output holds NaN where the value is
   missing and ``<name>_present`` (1 / 0) says which (scale statistics from the present
   values only; the windower drops windows with a missing value and counts them);
3. one op: ``scale`` (``zscore`` with the population standard deviation, ``minmax``
   to [0, 1]), ``encode`` (``vocabulary`` ids, ``one_hot`` of width top_k +
   num_oov_buckets), or ``bucketize`` (quantile ``num_buckets`` or fixed ``boundaries``).

Crosses join the (imputed, unscaled) values of their features with ``_x_`` and map
them to vocabulary ids, or to ``hash_buckets`` with FarmHash. ``passthrough``
features are copied unchanged (they must have no missing values).
"""
from __future__ import annotations

import importlib

from datalife.transforms.metadata_columns import pass_metadata
from datalife.transforms.transform_config import PRESENT_SUFFIX, FeatureTransform, TransformConfig

__all__ = ["preprocessing_fn", "output_names", "CROSS_SEPARATOR"]

CROSS_SEPARATOR = "_x_"
MEDIAN_EPSILON = 1e-4


class _OnFirstUse:
    """A module imported on first attribute access: TensorFlow and tf.Transform load
    when Transform runs ``preprocessing_fn``, not when this module is imported (the CLI's
    ``check`` reads :func:`output_names` without them)."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr):
        return getattr(importlib.import_module(self._name), attr)


tf = _OnFirstUse("tensorflow")
tft = _OnFirstUse("tensorflow_transform")


def output_names(config: TransformConfig) -> list[str]:
    return config.output_names()


SECONDS = {"day": 86400.0, "year": 365.2425 * 86400.0}


def _days_from_civil(y, m, d):
    """Days since 1970-01-01 (int64 tensors), as transforms.series_blocks.days_from_civil."""
    y = y - tf.cast(m <= 2, tf.int64)
    era = tf.math.floordiv(y, 400)
    yoe = y - era * 400
    doy = (153 * (m + tf.where(m > 2, tf.constant(-3, tf.int64), 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _timestamp_seconds(inputs, ts):
    if ts.column:
        x = _require_complete(ts.column, inputs[ts.column], "a timestamp")
        if ts.unit == "iso":
            raise ValueError("time_signals: ISO text timestamps are not supported in Transform; "
                             "use unit s or ms, or parts")
        seconds = tf.cast(x, tf.float64)
        return seconds / 1000.0 if ts.unit == "ms" else seconds
    part = {k: tf.cast(_require_complete(c, inputs[c], "a timestamp part"), tf.int64) for k, c in ts.parts.items()}
    zero = tf.zeros_like(part["year"])
    days = _days_from_civil(part["year"], part["month"], part["day"])
    secs = days * 86400 + part.get("hour", zero) * 3600 + part.get("minute", zero) * 60 + part.get("second", zero)
    return tf.cast(secs, tf.float64)


def _wind(inputs, base, wind):
    speed = base.get(wind.speed)
    if speed is None:
        speed = _require_complete(wind.speed, inputs[wind.speed], "a wind speed")
    speed = tf.cast(speed, tf.float32)
    direction = base.get(wind.direction)
    if direction is None:
        direction = _require_complete(wind.direction, inputs[wind.direction], "a wind direction")
    if wind.degrees_map is not None:
        keys = [k for k in wind.degrees_map]
        vals = [float("nan") if v is None else float(v) for v in wind.degrees_map.values()]
        table = tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(keys, vals), default_value=float("nan"))
        degrees = table.lookup(direction if direction.dtype == tf.string else tf.strings.as_string(direction))
        calm = tf.math.is_nan(degrees)
        degrees = tf.where(calm, 0.0, degrees)
        speed = tf.where(calm, 0.0, speed)
    else:
        degrees = tf.cast(direction, tf.float32)
    rad = degrees * (3.141592653589793 / 180.0)
    return speed * tf.cos(rad), speed * tf.sin(rad)


def _is_string(x) -> bool:
    return x.dtype == tf.string


def _flat_dense_and_present(x, name: str, sentinels):
    """A [batch] dense tensor (missing filled with a placeholder) and a [batch] presence mask."""
    placeholder = "" if _is_string(x) else tf.constant(0, x.dtype)
    if isinstance(x, tf.SparseTensor):
        batch = x.dense_shape[0]
        shaped = tf.SparseTensor(x.indices, x.values, tf.stack([batch, tf.constant(1, tf.int64)]))
        dense = tf.reshape(tf.sparse.to_dense(shaped, default_value=placeholder), [-1])
        present = tf.reshape(
            tf.sparse.to_dense(
                tf.SparseTensor(x.indices, tf.ones_like(x.values, tf.bool), shaped.dense_shape),
                default_value=False,
            ),
            [-1],
        )
    elif isinstance(x, tf.RaggedTensor):
        dense = tf.reshape(x.to_tensor(default_value=placeholder, shape=[None, 1]), [-1])
        present = tf.reshape(x.row_lengths() > 0, [-1])
    else:
        dense = tf.reshape(x, [-1])
        present = tf.ones_like(dense, tf.bool)
    if sentinels:
        if _is_string(dense):
            raise ValueError(f"feature {name!r}: sentinels are numbers, but the feature holds strings")
        for value in sentinels:
            present = tf.logical_and(present, tf.not_equal(dense, tf.cast(value, dense.dtype)))
    return dense, present


def _most_frequent(values):
    """Most frequent present value; for numbers ties go to the smallest value."""
    if _is_string(values):
        keys, counts = tft.count_per_key(values)
        return keys[tf.argmax(counts)]
    as_text = tf.strings.as_string(values, shortest=True) if values.dtype.is_floating else tf.strings.as_string(values)
    keys, counts = tft.count_per_key(as_text)
    numbers = tf.strings.to_number(keys, out_type=tf.float64)
    best = tf.equal(counts, tf.reduce_max(counts))
    return tf.cast(tf.reduce_min(tf.boolean_mask(numbers, best)), values.dtype)


def _impute(name: str, dense, present, spec: FeatureTransform):
    if spec.impute is None:
        return dense
    present_values = tf.boolean_mask(dense, present)
    if spec.impute == "constant":
        if _is_string(dense):
            fill = tf.constant(str(spec.fill_value))
        else:
            fill = tf.cast(float(spec.fill_value), dense.dtype)
    elif spec.impute == "most_frequent":
        fill = _most_frequent(present_values)
    else:
        if _is_string(dense):
            raise ValueError(f"feature {name!r}: impute {spec.impute!r} needs numbers, the feature holds strings")
        present_values = tf.cast(present_values, tf.float32)
        dense = tf.cast(dense, tf.float32)
        if spec.impute == "mean":
            fill = tft.mean(present_values)
        else:
            boundaries = tft.quantiles(present_values, num_buckets=2, epsilon=MEDIAN_EPSILON)
            fill = tf.reshape(boundaries, [-1])[0]
    return tf.where(present, dense, fill)


def _keep_missing(name: str, x, spec: FeatureTransform):
    """``missing: keep``: (values, NaN where missing, scaled with statistics of the
    present values only; presence mask as int64 1 / 0)."""
    dense, present = _flat_dense_and_present(x, name, spec.sentinels)
    if _is_string(dense):
        raise ValueError(f"feature {name!r}: missing: keep needs numbers, the feature holds strings")
    dense = tf.cast(dense, tf.float32)
    values = tf.boolean_mask(dense, present)
    if spec.scale == "zscore":
        mean = tft.mean(values)
        std = tf.sqrt(tft.var(values))
        dense = tf.math.divide_no_nan(dense - mean, std)
    elif spec.scale == "minmax":
        low, high = tft.min(values), tft.max(values)
        dense = tf.math.divide_no_nan(dense - low, high - low)
    nan = tf.fill(tf.shape(dense), tf.constant(float("nan"), tf.float32))
    return tf.where(present, dense, nan), tf.cast(present, tf.int64)


def _apply_op(name: str, x, spec: FeatureTransform):
    if spec.scale is not None:
        if _is_string(x):
            raise ValueError(f"feature {name!r}: scale {spec.scale!r} needs numbers, the feature holds strings")
        x = tf.cast(x, tf.float32)
        return tft.scale_to_z_score(x) if spec.scale == "zscore" else tft.scale_to_0_1(x)
    if spec.encode is not None:
        text = x if _is_string(x) else tf.strings.as_string(x)
        ids = tft.compute_and_apply_vocabulary(
            text, top_k=spec.top_k, num_oov_buckets=spec.num_oov_buckets, vocab_filename=name
        )
        if spec.encode == "one_hot":
            return tf.one_hot(ids, depth=spec.top_k + spec.num_oov_buckets, dtype=tf.float32)
        return ids
    if spec.bucketize is not None:
        x = tf.cast(x, tf.float32)
        if spec.bucketize.boundaries is not None:
            return tft.apply_buckets(x, tf.constant([spec.bucketize.boundaries], tf.float32))
        return tft.bucketize(x, spec.bucketize.num_buckets)
    return x


def _require_complete(name: str, x, purpose: str):
    if isinstance(x, (tf.SparseTensor, tf.RaggedTensor)):
        raise ValueError(
            f"feature {name!r} has missing values (the schema makes it sparse) but is used as "
            f"{purpose} without 'impute'; add impute: mean|median|most_frequent|constant"
        )
    return tf.reshape(x, [-1])


def preprocessing_fn(inputs, custom_config=None):
    """The TFX Transform entry point (see the module docstring)."""
    config = TransformConfig.model_validate(custom_config or {})
    outputs, base = {}, {}
    for name, spec in config.features.items():
        if name not in inputs:
            raise ValueError(f"transform feature {name!r} is not in the data: {sorted(inputs)}")
        x = inputs[name]
        if spec.missing == "keep":
            outputs[name], outputs[f"{name}{PRESENT_SUFFIX}"] = _keep_missing(name, x, spec)
            continue
        if spec.impute is None and not spec.sentinels:
            dense = _require_complete(name, x, "a feature")
        else:
            dense, present = _flat_dense_and_present(x, name, spec.sentinels)
            if spec.impute is None:
                raise ValueError(f"feature {name!r} declares sentinels but no 'impute'")
            dense = _impute(name, dense, present, spec)
        base[name] = dense
        outputs[name] = _apply_op(name, dense, spec)
    for cross in config.crosses:
        parts = []
        for name in cross.features:
            value = base[name] if name in base else _require_complete(name, inputs[name], "a cross input")
            if value.dtype == tf.string:
                parts.append(value)
            elif value.dtype.is_floating:
                parts.append(tf.strings.as_string(value, shortest=True))
            else:
                parts.append(tf.strings.as_string(value))
        joined = tf.strings.join(parts, separator=CROSS_SEPARATOR)
        if cross.hash_buckets:
            outputs[cross.output_name] = tf.strings.to_hash_bucket_fast(joined, cross.hash_buckets)
        else:
            outputs[cross.output_name] = tft.compute_and_apply_vocabulary(
                joined, vocab_filename=cross.output_name
            )
    for name in config.passthrough:
        outputs[name] = _require_complete(name, inputs[name], "a passthrough feature")
    for wind in config.wind_vectors:
        outputs[f"{wind.name}_x"], outputs[f"{wind.name}_y"] = _wind(inputs, base, wind)
    if config.time_signals is not None:
        seconds = _timestamp_seconds(inputs, config.time_signals.timestamp)
        for period in config.time_signals.periods:
            angle = seconds * (2 * 3.141592653589793 / SECONDS[period])
            outputs[f"{period}_sin"] = tf.cast(tf.sin(angle), tf.float32)
            outputs[f"{period}_cos"] = tf.cast(tf.cos(angle), tf.float32)
        if config.time_signals.output:
            outputs[config.time_signals.output] = tf.cast(tf.round(seconds), tf.int64)
    return pass_metadata(inputs, outputs)
