"""Generate the bundled tabular sample ``data/tabular/customers.csv``.

Deterministic (fixed seed, no clock): running it again rewrites the identical file,
which ``tests/test_data_samples.py`` checks. Columns:

- ``age`` (int, complete), ``income`` (float, ~10% missing),
  ``hours_per_week`` (float, ~5% missing), ``tenure_months`` (int, ~8% missing);
- ``city`` (string, ~6% missing), ``segment`` (string, complete);
- ``label`` (int 0/1), a noisy function of the others.

Usage: python data/make_tabular.py [--rows 2000] [--out data/tabular/customers.csv]
"""
from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np

CITIES = ["lisbon", "porto", "braga", "faro", "coimbra"]
CITY_P = [0.35, 0.25, 0.18, 0.12, 0.10]
SEGMENTS = ["retail", "smb", "enterprise"]
SEGMENT_P = [0.6, 0.3, 0.1]


def make_rows(n: int, seed: int = 20261121) -> list[dict]:
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 81, n)
    income = np.round(rng.lognormal(10.3, 0.45, n) + 400 * (age - 18), 2)
    hours = np.round(np.clip(rng.normal(38, 9, n), 5, 80), 1)
    tenure = rng.integers(0, 121, n)
    city = rng.choice(CITIES, n, p=CITY_P)
    segment = rng.choice(SEGMENTS, n, p=SEGMENT_P)
    logit = 0.03 * (age - 45) + 0.00002 * (income - 40000) + 0.5 * (segment == "enterprise") - 0.2
    label = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    miss = {
        "income": rng.random(n) < 0.10,
        "hours_per_week": rng.random(n) < 0.05,
        "tenure_months": rng.random(n) < 0.08,
        "city": rng.random(n) < 0.06,
    }
    rows = []
    for i in range(n):
        row = {
            "age": int(age[i]),
            "income": f"{income[i]:.2f}",
            "hours_per_week": f"{hours[i]:.1f}",
            "tenure_months": int(tenure[i]),
            "city": str(city[i]),
            "segment": str(segment[i]),
            "label": int(label[i]),
        }
        for col, mask in miss.items():
            if mask[i]:
                row[col] = ""
        rows.append(row)
    return rows


def write_csv(rows: list[dict], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "tabular" / "customers.csv")
    args = parser.parse_args(argv)
    write_csv(make_rows(args.rows), args.out)
    print(f"wrote {args.rows} rows to {args.out}")


if __name__ == "__main__":
    main()
