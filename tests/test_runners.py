"""The same config on the BeamDagRunner: every component completes and the outputs
equal the LocalDagRunner's (the weak-labeling demo's vote statistics and labeled
examples)."""
import json
from pathlib import Path

import numpy as np
import pytest

from datalife.pipeline.config import load_config
from datalife.pipeline.examples_io import read_examples
from datalife.pipeline.run import run_pipeline

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[1]


def test_beam_dag_runner_gives_the_local_runners_result(tmp_path):
    config = REPO / "pipeline" / "configs" / "weak_labeling.yaml"
    results = {}
    for runner in ("local", "beam"):
        cfg = load_config(config).model_copy(update={"root": str(tmp_path / runner)})
        result = run_pipeline(cfg, runner=runner)
        assert set(result.states.values()) == {"complete"} and len(result.states) == 6
        patterns = dict(np.load(Path(result.output_uri("WeakLabeler", "label_matrix"), "vote_patterns.npz")))
        uri = result.output_uri("WeakLabeler", "labeled_examples")
        rows = sorted(json.dumps(r, sort_keys=True, default=str) for s in ("train", "eval")
                      for r in read_examples(uri, s))
        results[runner] = (patterns, rows)
    (p_local, rows_local), (p_beam, rows_beam) = results["local"], results["beam"]
    assert p_local.keys() == p_beam.keys() and "train/patterns" in p_local
    for key in p_local:
        np.testing.assert_array_equal(p_local[key], p_beam[key])
    assert rows_local == rows_beam and len(rows_local) == 500  # labels, probabilities, sources, votes
