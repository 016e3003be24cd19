"""Generate the bundled text sample for the semi-supervised demo: 800 short video
comments (the templates of ``make_messages.py``, spam 1 / ham 0) of which only 5%
keep their ``label``; ``true_label`` holds every comment's label, used only to score
the propagation (``label_propagator.eval_label_field``), never to propagate. The
labeled rows are chosen by a hash of the comment id, with at least one per class.
Running this again rewrites an identical file.
"""
from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np
from make_messages import make
from make_tabular import write_csv


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "semi" / "messages.csv")
    parser.add_argument("--rows", type=int, default=800)
    parser.add_argument("--labeled", type=float, default=0.05)
    args = parser.parse_args(argv)
    rows = make(args.rows, np.random.default_rng(13), 1000)
    share = [int.from_bytes(hashlib.blake2b(r["COMMENT_ID"].encode(), digest_size=8).digest(), "big") / 2.0 ** 64
             for r in rows]
    keep = {i for i, u in enumerate(share) if u < args.labeled}
    for cls in (0, 1):  # at least one labeled comment per class
        if not any(rows[i]["label"] == cls for i in keep):
            keep.add(min((i for i, r in enumerate(rows) if r["label"] == cls), key=share.__getitem__))
    out = [{"COMMENT_ID": r["COMMENT_ID"], "CONTENT": r["CONTENT"], "label": r["label"] if i in keep else "",
            "true_label": r["label"]} for i, r in enumerate(rows)]
    write_csv(out, args.out)
    print(f"wrote {len(out)} comments ({len(keep)} labeled) to {args.out}")


if __name__ == "__main__":
    main()
