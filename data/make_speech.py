"""Generate the bundled keyword clips for the speech demo: ``data/speech/<word>_<voice>.wav``.

Four keywords (yes, no, up, down) spoken by six synthetic voices with espeak-ng, then
converted by sox to 16 kHz mono 16-bit PCM, trimmed of leading silence and cut to at
most 1 s. Needs Debian's ``espeak-ng`` and ``sox`` packages only to regenerate the files
(``apt-get install espeak-ng sox``); the pipeline reads the committed WAVs.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

WORDS = ("yes", "no", "up", "down")
VOICES = {"m1": ("en-us+m1", 150), "m3": ("en+m3", 165), "m7": ("en-gb+m7", 140),
          "f2": ("en-us+f2", 160), "f3": ("en+f3", 145), "f4": ("en-gb+f4", 170)}


def make(out: Path) -> list[Path]:
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} not found: apt-get install espeak-ng sox (only needed to regenerate data/speech)")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        for word in WORDS:
            for tag, (voice, speed) in VOICES.items():
                raw = Path(tmp) / "raw.wav"
                subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), word], check=True)
                target = out / f"{word}_{tag}.wav"
                subprocess.run(["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(target),
                                "silence", "1", "0.01", "0.5%", "trim", "0", "1"], check=True)
                written.append(target)
    return written


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "speech")
    for path in make(parser.parse_args(argv).out):
        print(path)


if __name__ == "__main__":
    main()
