"""`pipeline.tfx_names` gives the very objects of TFX's public `tfx.v1` API that datalife
uses, without importing `tfx.v1` (its extensions and orchestrators) on a run."""
import subprocess
import sys


def test_every_name_is_tfx_v1s_own_object():
    from tfx import v1

    from datalife.pipeline import tfx_names

    for space in ("components", "dsl", "proto", "types", "orchestration"):
        ours = vars(getattr(tfx_names, space))
        assert ours, space
        for name, obj in ours.items():
            theirs = getattr(getattr(v1, space), name)
            if name == "standard_artifacts":  # v1 re-exports the artifact classes in a module of its own
                theirs, obj = theirs.Examples, obj.Examples
            assert theirs is obj, f"{space}.{name}"


def test_building_and_running_never_import_tfx_v1():
    code = ("import sys; import datalife.pipeline.build, datalife.pipeline.run; "
            "print(sorted(m for m in sys.modules if m == 'tfx.v1' or m.startswith(('tfx.v1.', 'tfx.extensions'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
