"""Generate the bundled text sample for the weak-labeling demo: short video comments,
spam (label 1) or ham (label 0), in the columns of the YouTube Spam Collection
(COMMENT_ID, AUTHOR, CONTENT, label).

``messages-train.csv`` (labels present but never shown to the labeling functions or
the label model) and ``messages-dev.csv`` (a small gold-labeled dev split). The
comments are built from templates with a fixed seed: running this again rewrites
identical files.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from make_tabular import write_csv  # this folder's scripts share one CSV writer

SPAM = [
    "check out my channel {url}",
    "Please subscribe to my channel, I make {topic} videos",
    "hey guys check out my new video about {topic}!!",
    "free {prize} at {url} just sign up",
    "subscribe and I will sub back {emoji}",
    "Earn money from home, visit {url}",
    "my {topic} cover is up, please watch and subscribe",
    "Go to {url} for the best {topic} tips",
]
HAM = [
    "this song is {adj}",
    "{adj} song, I listen to it every day",
    "who is still watching in {year}?",
    "I love this {thing} so much",
    "{adj}!",
    "the {thing} at 2:{sec:02d} gives me chills",
    "everyone loves this song",
    "best {thing} ever",
    "this {thing} never gets old, {adj}",
]
FILL = {
    "url": ["http://bit.ly/x{n}", "www.example{n}.com", "https://youtu.be/v{n}"],
    "topic": ["gaming", "makeup", "guitar", "cooking", "dance"],
    "prize": ["gift cards", "iPhones", "cash"],
    "emoji": [":)", "<3", ";)"],
    "adj": ["amazing", "so good", "beautiful", "awesome", "catchy"],
    "year": ["2014", "2015", "2016"],
    "thing": ["video", "chorus", "beat", "dance"],
}


def make(n: int, rng: np.random.Generator, start: int) -> list[dict]:
    rows = []
    for i in range(n):
        spam = rng.random() < 0.45
        template = str(rng.choice(SPAM if spam else HAM))
        values = {k: str(rng.choice(v)).format(n=int(rng.integers(100, 999))) for k, v in FILL.items()}
        values["sec"] = int(rng.integers(0, 60))
        rows.append({"COMMENT_ID": f"c{start + i:05d}", "AUTHOR": f"user{int(rng.integers(1, 400))}",
                     "CONTENT": template.format(**values), "label": int(spam)})
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "messages")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(7)
    write_csv(make(400, rng, 0), args.out / "messages-train.csv")
    write_csv(make(100, rng, 400), args.out / "messages-dev.csv")
    print(f"wrote 400 + 100 comments to {args.out}")


if __name__ == "__main__":
    main()
