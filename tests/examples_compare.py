"""Compare the Examples two pipeline runs wrote (the same config on two Beam engines):
every output that holds Examples, split by split, decoded and put in a canonical
order, integer and byte features exactly, float features within a tolerance."""
from __future__ import annotations

from pathlib import Path

import numpy as np

# Floats: Beam combiners (Transform's means and variances) add partial results in the
# order bundles finish, so their last float32 bits differ between engines, and scaling
# magnifies that: the forecasting demo's pressure (~1e3 hPa, std ~10) imputed with its
# mean and z-scored gives 0 on one engine and 8.8e-6 on the other (float32 resolution
# at 1e3 is 6e-5, divided by the std). Hence 1e-4 absolute, 1e-5 relative.
RTOL, ATOL = 1e-5, 1e-4


def examples_outputs(result) -> dict[str, str]:
    """``component.key`` -> URI of every output of a run that holds Examples files."""
    out = {}
    for e in result.executions:
        for key, uris in e.outputs.items():
            uri = Path(uris[0])
            if any(uri.glob("Split-*/*.gz")):
                out[f"{e.component}.{key}"] = str(uri)
    return out


def decode(uri: str) -> dict[str, list[dict]]:
    """split -> examples, each {feature: (kind, values)}."""
    import tensorflow as tf

    GZIP = tf.io.TFRecordOptions(compression_type="GZIP")
    splits = {}
    for split_dir in sorted(Path(uri).glob("Split-*")):
        rows = []
        records = (raw for path in sorted(split_dir.glob("*.gz"))
                   for raw in tf.compat.v1.io.tf_record_iterator(str(path), options=GZIP))
        for raw in records:
            example = tf.train.Example.FromString(raw)
            row = {}
            for name, feature in example.features.feature.items():
                kind = feature.WhichOneof("kind")
                row[name] = (kind, list(getattr(feature, kind).value) if kind else [])
            rows.append(row)
        splits[split_dir.name[len("Split-"):]] = rows
    return splits


def _sort_key(row: dict):
    exact = tuple((n, k, tuple(v)) for n, (k, v) in sorted(row.items()) if k != "float_list")
    rough = tuple((n, tuple(np.round(np.asarray(v, np.float64), 3)))
                  for n, (k, v) in sorted(row.items()) if k == "float_list")
    return exact, rough


def compare_examples(a: dict, b: dict, where: str) -> int:
    """Assert two decoded outputs are equal; return the number of examples compared."""
    assert sorted(a) == sorted(b), f"{where}: splits {sorted(a)} != {sorted(b)}"
    n = 0
    for split in a:
        rows_a, rows_b = sorted(a[split], key=_sort_key), sorted(b[split], key=_sort_key)
        assert len(rows_a) == len(rows_b), f"{where} [{split}]: {len(rows_a)} != {len(rows_b)} examples"
        for i, (ra, rb) in enumerate(zip(rows_a, rows_b)):
            assert sorted(ra) == sorted(rb), f"{where} [{split}] #{i}: features {sorted(ra)} != {sorted(rb)}"
            for name, (kind, va) in ra.items():
                kb, vb = rb[name]
                assert kind == kb, f"{where} [{split}] #{i} {name}: {kind} != {kb}"
                if kind == "float_list":
                    np.testing.assert_allclose(np.asarray(va), np.asarray(vb), rtol=RTOL, atol=ATOL,
                                               err_msg=f"{where} [{split}] #{i} {name}")
                else:
                    assert va == vb, f"{where} [{split}] #{i} {name}: {va[:5]} != {vb[:5]}"
        n += len(rows_a)
    return n
