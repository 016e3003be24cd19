"""Log-mel 49 x 40 of 1 s 16 kHz clips: datalife's NumPy core (batched) against
librosa (per clip) and tf.signal (batched), one core, same run."""
from __future__ import annotations

import numpy as np

N_CLIPS = 2000


def main() -> list[dict]:
    import librosa

    from benchmarks.common import best_of, report, single_core
    from datalife.transforms.audio_features import log_mel, tf_log_mel

    single_core()
    clips = np.random.default_rng(0).normal(0, 0.1, size=(N_CLIPS, 16000)).astype(np.float32)
    t_ours = best_of(lambda: [log_mel(clips[i:i + 250]) for i in range(0, N_CLIPS, 250)])
    t_tf = best_of(lambda: [tf_log_mel(clips[i:i + 250]).numpy() for i in range(0, N_CLIPS, 250)])
    lib = lambda: [librosa.feature.melspectrogram(  # noqa: E731
        y=c, sr=16000, n_fft=480, hop_length=320, win_length=480, center=False, n_mels=40, fmin=20,
        fmax=8000, htk=True) for c in clips[:500]]
    t_lib = best_of(lib, repeat=2) * N_CLIPS / 500
    rows = [{"what": name, "clips_per_s": N_CLIPS / t, "x_librosa": t_lib / t}
            for name, t in (("librosa melspectrogram (per clip)", t_lib), ("tf.signal (batch 250)", t_tf),
                            ("datalife log_mel NumPy (batch 250)", t_ours))]
    report("log-mel 49x40, 1 s at 16 kHz", rows)
    return rows


if __name__ == "__main__":
    main()
