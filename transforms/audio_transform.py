"""The speech ``preprocessing_fn`` for TF Transform: waveforms -> spectrogram, log-mel
or MFCC features with TensorFlow (the same definition as the NumPy core, so training and
serving compute the same thing), and the label as a vocabulary id.

``custom_config["audio"]`` is the pipeline's ``transform.audio``
(:class:`~datalife.transforms.transform_config.AudioFeaturesConfig`): ``input`` (the
waveform feature, fixed length), ``label``, ``features`` (any of spectrogram, log_mel,
mfcc) and the audio settings of the core's ``FeatureSpec`` (declared there once). Each
feature is written flattened (frames x channels) under its name. TensorFlow is
imported when the function runs (Transform runs it), not when the module is imported.
"""
from __future__ import annotations

__all__ = ["preprocessing_fn", "natural_ranks", "natural_label_ids"]

NUMBER = r"[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?"


def natural_ranks(keys):
    """The rank of each of the distinct strings ``keys`` in natural order: by value when
    every key is a number ('2' before '10'), else by bytes (lexicographic). Graph ops
    only (the keys are an analyzer's output)."""
    import tensorflow as tf

    def by_number():
        return tf.argsort(tf.argsort(tf.strings.to_number(keys, tf.float64), stable=True), stable=True)

    def by_bytes():  # rank_i = how many keys are smaller, comparing zero-padded bytes
        width = tf.maximum(tf.reduce_max(tf.strings.length(keys)), 1)
        codes = tf.cast(tf.io.decode_raw(keys, tf.uint8, fixed_length=width), tf.int32)
        diff = codes[None, :, :] - codes[:, None, :]  # [i, j, :] = key_j - key_i
        first = tf.argmax(tf.cast(diff != 0, tf.int32), axis=2, output_type=tf.int32)
        sign = tf.gather(diff, first, axis=2, batch_dims=2)
        return tf.reduce_sum(tf.cast(sign < 0, tf.int32), axis=1)

    numeric = tf.reduce_all(tf.strings.regex_full_match(keys, NUMBER))
    return tf.cond(tf.logical_and(tf.size(keys) > 0, numeric), by_number, by_bytes)


def natural_label_ids(label, vocab_filename: str = "labels"):
    """Label ids in natural order (-1 for a label the analysis never saw); the vocabulary
    file ``vocab_filename`` is written in the same order (TFT orders by summed weight:
    each label's rows weigh (n - rank) / count in total n - rank)."""
    import tensorflow as tf
    import tensorflow_transform as tft

    keys, counts = tft.count_per_key(label)
    ranks = natural_ranks(keys)
    match = tf.equal(label[:, None], keys[None, :])
    found = tf.reduce_any(match, axis=1)
    where = tf.argmax(tf.cast(match, tf.int32), axis=1, output_type=tf.int32)
    ids = tf.where(found, tf.gather(ranks, where), -1)
    n = tf.cast(tf.size(keys), tf.float32)
    weight = (n - tf.cast(tf.gather(ranks, where), tf.float32)) / tf.cast(tf.gather(counts, where), tf.float32)
    tft.vocabulary(label, vocab_filename=vocab_filename, weights=tf.where(found, weight, 0.0))
    return tf.cast(ids, tf.int64)


def preprocessing_fn(inputs, custom_config):
    import tensorflow as tf
    import tensorflow_transform as tft

    from datalife.transforms.audio_features import tf_log_mel, tf_mfcc, tf_spectrogram
    from datalife.transforms.transform_config import AudioFeaturesConfig

    audio = AudioFeaturesConfig.model_validate(custom_config["audio"])
    spec = audio.spec()
    wave = inputs[audio.input]
    if isinstance(wave, tf.SparseTensor):  # a schema without a fixed shape: pad to the longest
        wave = tf.sparse.to_dense(wave)
    wave = tf.cast(wave, tf.float32)
    fns = {"spectrogram": tf_spectrogram, "log_mel": tf_log_mel, "mfcc": tf_mfcc}
    out = {}
    for name in audio.features:
        feats = fns[name](wave, spec)
        frames, channels = feats.shape[1], feats.shape[2]
        if frames is None or channels is None:
            raise ValueError(f"{name}: the waveform {audio.input!r} needs a fixed length in the "
                             "schema (SchemaGen with infer_feature_shape, clips of one duration)")
        out[name] = tf.reshape(feats, [-1, frames * channels])
    label = inputs[audio.label]
    if isinstance(label, tf.SparseTensor):
        label = tf.sparse.to_dense(label, default_value=b"")
    label = tf.reshape(label, [-1])
    if audio.label_order == "natural":
        out["label_id"] = natural_label_ids(label, vocab_filename="labels")
    else:
        out["label_id"] = tft.compute_and_apply_vocabulary(label, vocab_filename="labels")
    out["label"] = label
    from datalife.transforms.metadata_columns import pass_metadata

    return pass_metadata(inputs, out)
