"""Audio core: reading and resampling, each augmentation measured (shift by samples, SNR,
frequencies by FFT peak), SpecAugment bands, determinism per seed."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.io import wavfile

from datalife.transforms import audio_augment as A
from datalife.transforms.audio_io import fix_length, load_clip, read_wav, resample
from datalife.transforms.audio_policy import AudioPolicy, SpecAugment, apply_spec, apply_waveform, draw, draw_spec
from datalife.transforms.augment_random import ExampleRandom

SR = 16000


def tone(freq, seconds=1.0, sr=SR):
    t = np.arange(int(sr * seconds)) / sr
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def peak_hz(x, sr=SR):
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return np.argmax(spectrum) * sr / len(x)


def test_time_shift_moves_a_click_by_exactly_the_samples():
    x = np.zeros(SR, np.float32)
    x[4000] = 1.0
    policy = AudioPolicy(ops=[{"op": "time_shift", "ms": [100, 100]}])
    y = apply_waveform(policy, draw(policy, ExampleRandom(0, "k"), SR), x)
    assert np.flatnonzero(y).tolist() == [4000 + 1600]  # 100 ms at 16 kHz
    assert np.flatnonzero(A.time_shift(x, -4001)).tolist() == []  # shifted out, silence filled in
    assert np.flatnonzero(A.time_shift(x, -250)).tolist() == [3750]


def test_noise_at_a_requested_snr_measures_that_snr():
    x = tone(440)
    rng = np.random.default_rng(0)
    for kind in ("white", "pink"):
        for snr in (0.0, 10.0, 23.5):
            noise = A.make_noise(kind, len(x), rng)
            y = A.add_noise(x, noise, snr)
            assert A.snr_db(x, y - x) == pytest.approx(snr, abs=1e-3)
    assert np.array_equal(A.add_noise(np.zeros(10, np.float32), np.ones(10), 5), np.zeros(10))


def test_gain_in_decibels():
    x = tone(300)
    assert np.abs(A.gain(x, 6.0)).max() / np.abs(x).max() == pytest.approx(10 ** (6 / 20), rel=1e-6)


def test_resampling_a_pure_tone_keeps_its_frequency(tmp_path):
    x8 = tone(1000, sr=8000)
    y = resample(x8, 8000, 16000)
    assert len(y) == 16000 and peak_hz(y) == pytest.approx(1000, abs=1)
    wavfile.write(tmp_path / "t.wav", 22050, (tone(523, 0.5, 22050) * 32767).astype(np.int16))
    clip, rate, n = load_clip(str(tmp_path / "t.wav"))
    assert (rate, n, len(clip)) == (22050, 11025, 16000)
    assert peak_hz(clip[:8000]) == pytest.approx(523, abs=2)
    assert not clip[8000:].any()  # zero-padded to 1 s
    np.testing.assert_array_equal(fix_length(np.arange(5.0), 3), [0, 1, 2])


def test_stretch_keeps_pitch_and_pitch_shift_moves_it():
    x = tone(440)
    stretched = A.time_stretch(x, 1.25, keep_length=False)
    assert len(stretched) == 12800 and peak_hz(stretched) == pytest.approx(440, abs=2)
    assert len(A.time_stretch(x, 1.25)) == SR  # cut / padded back, as audiomentations does
    assert peak_hz(A.pitch_shift(x, 12)) == pytest.approx(880, abs=2)
    assert peak_hz(A.pitch_shift(x, -5)) == pytest.approx(440 * 2 ** (-5 / 12), abs=2)
    np.testing.assert_allclose(A.istft(A.stft(x), len(x)), x, atol=1e-5)  # perfect reconstruction


def test_stretch_duration_agrees_with_librosa():
    import librosa

    x = tone(440)
    theirs = librosa.effects.time_stretch(x, rate=0.8)
    ours = A.time_stretch(x, 0.8, keep_length=False)
    assert abs(len(ours) - len(theirs)) <= 1
    assert peak_hz(ours) == pytest.approx(peak_hz(theirs), abs=2)


@pytest.mark.parametrize("value", ["mean", 0.0])
def test_spec_augment_masks_exactly_the_drawn_bands_with_the_mean_by_default(value):
    features = np.random.default_rng(1).normal(size=(49, 40)).astype(np.float32) - 5  # log-mel-like, < 0
    spec = SpecAugment(freq_masks=2, max_freq_width=8, time_masks=2, max_time_width=10,
                       **({} if value == "mean" else {"value": value}))
    fill = np.float32(features.astype(np.float64).mean()) if value == "mean" else np.float32(0)
    assert value != "mean" or abs(fill - features.mean()) < 1e-4  # independent: NumPy's float32 mean
    for key in range(20):
        bands = draw_spec(spec, ExampleRandom(3, str(key)), 49, 40)
        out = apply_spec(spec, bands, features)
        expected = np.zeros((49, 40), bool)
        for f0, w in bands[0]:
            assert 0 <= f0 and f0 + w <= 40 and w <= 8
            expected[:, f0:f0 + w] = True
        for t0, w in bands[1]:
            assert 0 <= t0 and t0 + w <= 49 and w <= 10
            expected[t0:t0 + w, :] = True
        np.testing.assert_array_equal(out == fill, expected)
        np.testing.assert_array_equal(out[~expected], features[~expected])


def test_draws_are_deterministic_per_seed_and_key():
    policy = AudioPolicy(ops=[{"op": "time_shift"}, {"op": "noise", "kind": "white"}, {"op": "gain"},
                              {"op": "time_stretch"}, {"op": "pitch_shift"}])
    x = tone(330)
    run = lambda seed, key: apply_waveform(policy, draw(policy, ExampleRandom(seed, key), SR), x)  # noqa: E731
    np.testing.assert_array_equal(run(1, "a"), run(1, "a"))
    assert not np.array_equal(run(1, "a"), run(2, "a"))
    assert not np.array_equal(run(1, "a"), run(1, "b"))


def test_bad_policies_and_files(tmp_path):
    with pytest.raises(ValueError, match=r"ms \[100.0, -100.0\]: the low end exceeds the high end"):
        AudioPolicy(ops=[{"op": "time_shift", "ms": [100, -100]}])
    with pytest.raises(ValueError, match="does not match any of the expected tags"):
        AudioPolicy(ops=[{"op": "reverb"}])
    (tmp_path / "bad.wav").write_bytes(b"RIFF....WAVEjunk")
    with pytest.raises(ValueError, match="bad.wav: not a readable WAV file"):
        read_wav(str(tmp_path / "bad.wav"))
    wavfile.write(tmp_path / "empty.wav", 16000, np.zeros(0, np.int16))
    with pytest.raises(ValueError, match="empty.wav: the WAV file holds no samples"):
        read_wav(str(tmp_path / "empty.wav"))
