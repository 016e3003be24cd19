"""Audio augmentation speed, one core, same run: each waveform op of datalife's core on
1 s 16 kHz clips against audiomentations' equivalent (clips per second). Parameters are
drawn as the component draws them (``ExampleRandom``); the cheap ops cycle over 32
clips (2 MB, in cache) so that memory traffic does not hide the ops' own cost."""
from __future__ import annotations

import numpy as np

N = 300


class _Draws:
    """uniform / integers from the component's per-example generator."""

    def __init__(self):
        from datalife.transforms.augment_random import ExampleRandom

        self.rand = ExampleRandom(1, "bench")

    def uniform(self, lo, hi):
        return self.rand.uniform(lo, hi)

    def integers(self, lo, hi):
        return self.rand.integers(lo, hi - 1)


def main() -> list[dict]:
    import audiomentations as AM

    from benchmarks.common import best_of, report, single_core
    from datalife.transforms import audio_augment as A

    single_core()
    rng = np.random.default_rng(0)
    clips = (rng.normal(0, 0.1, (N, 16000)) * np.hanning(16000)).astype(np.float32)
    noise = A.make_noise("white", 16000, rng)
    work = np.empty(16000, np.float32)
    cases = [
        ("time stretch 0.8-1.25", lambda x, r: A.time_stretch(x, r.uniform(0.8, 1.25)),
         AM.TimeStretch(min_rate=0.8, max_rate=1.25, p=1.0, leave_length_unchanged=True)),
        ("pitch shift +-4 semitones", lambda x, r: A.pitch_shift(x, r.uniform(-4, 4)),
         AM.PitchShift(min_semitones=-4, max_semitones=4, p=1.0)),
        ("time shift +-100 ms", lambda x, r: A.time_shift(x, int(r.integers(-1600, 1601))),
         AM.Shift(min_shift=-0.1, max_shift=0.1, shift_unit="fraction", rollover=False, p=1.0)),
        # in place on the op chain's working copy, as the component applies it
        ("gain +-6 dB", lambda x, r: A.gain(x, r.uniform(-6, 6), out=work), AM.Gain(min_gain_db=-6, max_gain_db=6, p=1.0)),
        ("noise at SNR 5-20 dB", lambda x, r: A.add_noise(x, noise, r.uniform(5, 20)),
         AM.AddGaussianSNR(min_snr_db=5, max_snr_db=20, p=1.0)),
    ]
    rows = []
    for name, ours, theirs in cases:
        r = _Draws()
        heavy = "stretch" in name or "pitch" in name
        data = clips if heavy else clips[:32]
        reps = 1 if heavy else 100
        n = len(data) * reps
        t_ours = best_of(lambda: [ours(x, r) for _ in range(reps) for x in data], repeat=3)
        t_theirs = best_of(lambda: [theirs(samples=x, sample_rate=16000) for _ in range(reps) for x in data], repeat=3)
        rows.append({"what": name, "audiomentations_clips_s": n / t_theirs, "datalife_clips_s": n / t_ours,
                     "ratio": t_theirs / t_ours})
    report("audio augmentation, 1 s at 16 kHz, one core", rows)
    return rows


if __name__ == "__main__":
    main()
