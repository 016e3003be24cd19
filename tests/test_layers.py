"""The layers hold: every module of the pure core (transforms/, labeling/) and of
common/ imports in a fresh interpreter without TFX, Beam, TensorFlow or the shell;
every Beam glue module (what workers import) and every component spec without
TensorFlow, TFX or the pipeline. One interpreter imports the layers upwards; on a
failure each module of the layer is imported alone to name the culprit."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = {"transforms": "datalife.transforms", "labeling": "datalife.labeling", "common": "datalife.common",
            "components": "datalife.components"}
NO_TENSORFLOW = ("tensorflow", "tensorflow_transform", "tfx", "datalife.pipeline")
CORE_FORBIDDEN = NO_TENSORFLOW + ("apache_beam", "datalife.components")


def modules(folder: str, pattern: str = "*.py") -> list[str]:
    out = []
    for path in sorted((REPO / folder).rglob(pattern)):
        rel = path.relative_to(REPO / folder).with_suffix("")
        parts = [p for p in rel.parts if p != "__init__"]
        out.append(".".join([PACKAGES[folder], *parts]))
    return out


def imported(layers: list[tuple[list[str], tuple]]) -> list[list[str]]:
    """For each (modules, forbidden) in turn, in one fresh interpreter: the forbidden
    modules loaded once these modules are imported (the layers go upwards, so a layer
    finds only what it pulled in itself)."""
    code = ("import importlib, json, sys\n"
            f"layers, found = {layers!r}, []\n"
            "for names, forbidden in layers:\n"
            "    for n in names: importlib.import_module(n)\n"
            "    found.append(sorted(m for m in sys.modules\n"
            "                        if any(m == f or m.startswith(f + '.') for f in forbidden)))\n"
            "print(json.dumps(found))\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def culprits(names: list[str], forbidden: tuple) -> dict:
    found = {n: imported([([n], forbidden)])[0] for n in names}
    return {n: bad[:5] for n, bad in found.items() if bad}


def test_each_layer_imports_nothing_above_it():
    layers = {"core and common": (modules("common") + modules("transforms") + modules("labeling"), CORE_FORBIDDEN),
              "beam glue and specs": (modules("components", "beam_glue.py") + modules("components", "spec.py"),
                                      NO_TENSORFLOW)}
    assert all(len(names) > 5 for names, _ in layers.values())
    for (layer, (names, forbidden)), bad in zip(layers.items(), imported(list(layers.values()))):
        if bad:
            pytest.fail(f"{layer} modules import what they must not: {culprits(names, forbidden)}")
