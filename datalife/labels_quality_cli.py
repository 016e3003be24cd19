"""``datalife labels mask-pii`` and ``datalife labels errors``: the label-quality core on
a CSV, outside TFX (registered in ``datalife/cli.py``). The Python API is the core's
functions, which return DataFrames: ``labeling.quality.pii.mask_frame`` and
``labeling.quality.label_errors.find_label_errors``."""
from __future__ import annotations

import os
import sys

__all__ = ["add_parsers", "run"]

COMMANDS = ("mask-pii", "errors")


def add_parsers(lsub) -> None:
    from datalife.labeling.quality.pii import PII_TYPES

    m = lsub.add_parser("mask-pii", help="replace personal data in text columns of a CSV (counts per type)")
    m.add_argument("source", help="CSV file")
    m.add_argument("output", help="CSV file to write")
    m.add_argument("--fields", required=True, help="comma-separated text columns")
    m.add_argument("--types", help=f"comma-separated, default all: {', '.join(PII_TYPES)}")
    m.add_argument("--key-env", help="mask with a keyed hash; the key is read from this environment variable")
    e = lsub.add_parser("errors", help="rank likely label errors in a CSV with cleanlab (cross-validated model)")
    e.add_argument("source", help="CSV file")
    e.add_argument("--text", required=True, help="text column the model reads (TF-IDF)")
    e.add_argument("--label", required=True, help="integer label column (-1: not labelled)")
    e.add_argument("--key", help="id column (default: the row number)")
    e.add_argument("--folds", type=int, default=5)
    e.add_argument("--seed", type=int, default=None)
    e.add_argument("-o", "--output", help="CSV of the ranked list (default: print the likely errors)")


def run(args) -> int:
    import pandas as pd

    df = pd.read_csv(args.source)
    if args.labels_command == "mask-pii":
        from datalife.labeling.quality.pii import PII_TYPES, PiiSpec, mask_frame

        spec = PiiSpec(types=tuple(args.types.split(",")) if args.types else PII_TYPES,
                       mode="hash" if args.key_env else "placeholder")
        key = os.environ.get(args.key_env, "").encode() if args.key_env else None
        if args.key_env and not key:
            raise ValueError(f"environment variable {args.key_env!r} (--key-env) is empty or unset")
        masked, counts = mask_frame(df, args.fields.split(","), spec, key)
        masked.to_csv(args.output, index=False)
        print(counts.to_string(index=False) if len(counts) else "no personal data found", file=sys.stderr)
        print(f"masked {int(counts['replacements'].sum()) if len(counts) else 0} values in {len(df)} rows: "
              f"wrote {args.output}")
        return 0
    from datalife.labeling.quality.label_errors import LabelErrorSpec, find_label_errors

    for col in (args.text, args.label, args.key):
        if col is not None and col not in df.columns:
            raise ValueError(f"{args.source}: no column {col!r} (it has {', '.join(map(str, df.columns))})")
    out = find_label_errors(df[args.text].fillna("").astype(str).tolist(), df[args.label].to_numpy(),
                            keys=df[args.key] if args.key else None,
                            spec=LabelErrorSpec(folds=args.folds, seed=args.seed))
    issues = out[out.is_issue]
    if args.output:
        out.to_csv(args.output, index=False)
    else:
        print(issues.to_string(index=False))
    print(f"{len(issues)} likely label errors among {len(out)} labelled rows"
          + (f": wrote {args.output}" if args.output else ""), file=sys.stderr)
    return 0
