"""The notebook loop: ``weak_label`` on a few thousand rows vs plain Snorkel in a notebook.

5,000 generated video comments (``data/make_messages.py``) + a 500-row dev split,
the example YouTube LFs. Measured after imports and one warm-up call (what a notebook
user waits for on each LF edit):

- Snorkel: ``PandasLFApplier.apply`` + ``LabelModel.fit`` (500 epochs, the tutorial's
  setting) + ``predict_proba``; majority vote for comparison;
- datalife ``weak_label``: LFs applied, statistics, all four aggregators fitted and
  scored on dev (cross-fitted), chosen, labels; and the same with the end model.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data"))

N_ROWS = int(os.environ.get("BENCH_API_ROWS", 5000))
LFS = "datalife.labeling.examples.youtube_spam"


def frames():
    from make_messages import make

    rng = np.random.default_rng(1)
    train = pd.DataFrame(make(N_ROWS, rng, 0))
    dev = pd.DataFrame(make(N_ROWS // 10, rng, N_ROWS))
    return train, dev


def snorkel_loop(train, dev, lfs):
    from snorkel.labeling import PandasLFApplier
    from snorkel.labeling.model import LabelModel, MajorityLabelVoter

    t0 = time.perf_counter()
    applier = PandasLFApplier(lfs)
    L_train = applier.apply(train, progress_bar=False)
    L_dev = applier.apply(dev, progress_bar=False)
    t1 = time.perf_counter()
    model = LabelModel(cardinality=2, verbose=False)
    model.fit(L_train, n_epochs=500, seed=123, progress_bar=False)
    lm = (model.predict(L_dev) == dev["label"].to_numpy()).mean()
    mv = (MajorityLabelVoter(cardinality=2, verbose=False).predict(L_dev) == dev["label"].to_numpy()).mean()
    model.predict_proba(L_train)
    return {"label_model": lm, "majority_vote": mv, "t_apply": t1 - t0, "t_fit": time.perf_counter() - t1}


def datalife_loop(train, dev, end_model):
    from datalife.labeling.weak_api import weak_label

    r = weak_label(train, LFS, class_names=["ham", "spam"], dev=dev, id_field="COMMENT_ID",
                   end_model={"text_fields": ["CONTENT"]} if end_model else None)
    return r


def main() -> list[dict]:
    from benchmarks.common import report
    from datalife.labeling.lf_loader import load_lfs

    train, dev = frames()
    lfs = load_lfs(LFS)
    snorkel_loop(train.head(200), dev.head(50), lfs)  # warm-up: imports, torch's first optimizer
    datalife_loop(train.head(200), dev.head(50), True)
    import torch

    rows = []
    threads = torch.get_num_threads()
    for n_threads in (threads, 1):  # torch's default threads contend on a shared machine
        torch.set_num_threads(n_threads)
        t0 = time.perf_counter()
        acc = snorkel_loop(train, dev, lfs)
        t = time.perf_counter() - t0
        rows.append({"what": f"snorkel PandasLFApplier + LabelModel (500 epochs), torch threads {n_threads}",
                     "rows": N_ROWS + len(dev), "seconds": t, "t_apply": acc["t_apply"], "t_fit": acc["t_fit"],
                     "dev_label_model": acc["label_model"], "dev_majority_vote": acc["majority_vote"]})
    torch.set_num_threads(threads)
    t_snorkel = rows[-1]["seconds"]
    for end_model in (False, True):
        t0 = time.perf_counter()
        r = datalife_loop(train, dev, end_model)
        t = time.perf_counter() - t0
        m = r.metrics.set_index("step")
        rows.append({"what": "datalife weak_label" + (" + end model" if end_model else ""), "rows": N_ROWS + len(dev),
                     "seconds": t, "x_snorkel_1thread_time": t / t_snorkel, "chosen": r.aggregate.chosen.name,
                     "dev_produced": m.loc["produced labels", "dev_accuracy"],
                     **{f"t_{k}": v for k, v in r.timings.items() if k != "total"}})
    report(f"notebook loop: {N_ROWS:,} + {len(dev)} rows, 10 LFs", rows)
    return rows


if __name__ == "__main__":
    main()
