"""The bundled sample is reproducible from its script; the CLI rejects a bad config
before anything runs, with the exit code and message a user sees."""
import hashlib
import importlib.util
import subprocess
import sys
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "datalife.cli"]


def test_tabular_sample_regenerates_identically(tmp_path):
    spec = importlib.util.spec_from_file_location("make_tabular", REPO / "data" / "make_tabular.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "customers.csv"
    module.main(["--out", str(out)])
    committed = REPO / "data" / "tabular" / "customers.csv"
    assert hashlib.sha256(out.read_bytes()).digest() == hashlib.sha256(committed.read_bytes()).digest()
    df = pd.read_csv(committed)
    assert len(df) == 2000
    # numeric, categorical and missing values, as the demo config expects
    assert df["income"].isna().sum() > 100 and df["city"].isna().sum() > 50
    assert df["age"].isna().sum() == 0 and set(df["segment"]) == {"retail", "smb", "enterprise"}


def test_cli_check_accepts_the_demo_and_rejects_a_typo(tmp_path):
    ok = subprocess.run([*CLI, "check", str(REPO / "pipeline/configs/tabular.yaml")],
                        capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert "valid (demo-tabular" in ok.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text((REPO / "pipeline/configs/tabular.yaml").read_text()
                   .replace("../../data/tabular", str(REPO / "data/tabular"))
                   .replace("encode: one_hot", "encode: onehot"))
    res = subprocess.run([*CLI, "run", str(bad)], capture_output=True, text=True)
    assert res.returncode == 2
    line = 1 + bad.read_text().splitlines().index("      segment:        {encode: onehot, top_k: 3, num_oov_buckets: 1}")
    assert (f"{bad}:{line}: components.transform.features.segment.encode: invalid value 'onehot'; "
            "allowed: 'vocabulary' or 'one_hot'") in res.stderr
