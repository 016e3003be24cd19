"""The same config on the BeamDagRunner: every component completes and the outputs
equal the LocalDagRunner's (the weak-labeling demo's label matrix)."""
from pathlib import Path

import numpy as np
import pytest

from datalife.pipeline.config import load_config
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
        results[runner] = np.load(Path(result.output_uri("WeakLabeler", "label_matrix"), "label_matrix.npz"))
    for key in ("L", "labels", "probs", "keys"):
        np.testing.assert_array_equal(results["local"][key], results["beam"][key])
