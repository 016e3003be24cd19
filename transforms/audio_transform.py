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

__all__ = ["preprocessing_fn"]


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
    out["label_id"] = tft.compute_and_apply_vocabulary(label, vocab_filename="labels")
    out["label"] = label
    return out
