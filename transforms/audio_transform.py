"""The speech ``preprocessing_fn`` for TF Transform: waveforms -> spectrogram, log-mel
or MFCC features with TensorFlow (the same definition as the NumPy core, so training and
serving compute the same thing), and the label as a vocabulary id.

``custom_config["audio"]`` (the pipeline's ``transform.audio``): ``input`` (the waveform
feature, fixed length), ``label``, ``features`` (any of spectrogram, log_mel, mfcc),
``sample_rate``, ``window_ms``, ``stride_ms``, ``mel_channels``. Each feature is written
flattened (frames x channels) under its name."""
from __future__ import annotations

__all__ = ["preprocessing_fn", "feature_spec_of"]


def feature_spec_of(audio: dict):
    from datalife.transforms.audio_features import FeatureSpec

    return FeatureSpec(sample_rate=audio.get("sample_rate", 16000), window_ms=audio.get("window_ms", 30.0),
                       stride_ms=audio.get("stride_ms", 20.0), mel_channels=audio.get("mel_channels", 40))


def preprocessing_fn(inputs, custom_config):
    import tensorflow as tf
    import tensorflow_transform as tft

    from datalife.transforms.audio_features import tf_log_mel, tf_mfcc, tf_spectrogram

    audio = custom_config["audio"]
    spec = feature_spec_of(audio)
    wave = inputs[audio.get("input", "audio")]
    if isinstance(wave, tf.SparseTensor):  # a schema without a fixed shape: pad to the longest
        wave = tf.sparse.to_dense(wave)
    wave = tf.cast(wave, tf.float32)
    fns = {"spectrogram": tf_spectrogram, "log_mel": tf_log_mel, "mfcc": tf_mfcc}
    out = {}
    for name in audio.get("features", ["log_mel"]):
        feats = fns[name](wave, spec)
        frames, channels = feats.shape[1], feats.shape[2]
        if frames is None or channels is None:
            raise ValueError(f"{name}: the waveform {audio.get('input', 'audio')!r} needs a fixed length in the "
                             "schema (SchemaGen with infer_feature_shape, clips of one duration)")
        out[name] = tf.reshape(feats, [-1, frames * channels])
    label = inputs[audio.get("label", "label")]
    if isinstance(label, tf.SparseTensor):
        label = tf.sparse.to_dense(label, default_value=b"")
    label = tf.reshape(label, [-1])
    out["label_id"] = tft.compute_and_apply_vocabulary(label, vocab_filename="labels")
    out["label"] = label
    return out
