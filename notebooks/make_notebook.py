"""Write notebooks/interactive_pipeline.ipynb (cells without outputs) from the cell
sources below, so that the notebook is reviewed as code. Run it again after editing."""
from pathlib import Path

import nbformat

CELLS = [
    ("markdown", "# datalife, step by step\n\nThe weak-labeling demo pipeline run one component at a time with "
                 "TFX's `InteractiveContext`, showing each component's output. Set `DATALIFE_NOTEBOOK_ROOT` to "
                 "choose where outputs go (default: a temporary folder)."),
    ("code", """import json, os, tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
from IPython.display import HTML, display
from tfx.orchestration import metadata
from tfx.orchestration.experimental.interactive.interactive_context import InteractiveContext

from datalife.pipeline.build import build_components
from datalife.pipeline.config import load_config

CONFIG = Path("..") / "pipeline" / "configs" / "weak_labeling.yaml"
ROOT = Path(os.environ.get("DATALIFE_NOTEBOOK_ROOT") or tempfile.mkdtemp(prefix="datalife-nb-"))
cfg = load_config(CONFIG)
context = InteractiveContext(
    pipeline_name=cfg.name, pipeline_root=str(ROOT / "pipeline"),
    metadata_connection_config=metadata.sqlite_metadata_connection_config(str(ROOT / "metadata.sqlite")))
components = {c.id: c for c in build_components(cfg)}
print(list(components))"""),
    ("markdown", "## ExampleGen"),
    ("code", """context.run(components["CsvExampleGen"], beam_pipeline_args=cfg.beam.args())
examples = components["CsvExampleGen"].outputs["examples"]
context.show(examples)"""),
    ("markdown", "## WeakLabeler: labeling functions, the aggregator chosen on the dev split, labels for every example"),
    ("code", """context.run(components["WeakLabeler"], beam_pipeline_args=cfg.beam.args())
report_uri = components["WeakLabeler"].outputs["report"].get()[0].uri
report = json.loads((Path(report_uri) / "report.json").read_text())
print(json.dumps({"dev": {k: report["dev"][k] for k in ("rows", "accuracy")}, "chosen": report["chosen"]}))
display(HTML((Path(report_uri) / "report.html").read_text()))"""),
    ("markdown", "## The labeled examples as a pandas DataFrame (`datalife.read`)"),
    ("code", """import datalife

labeled = datalife.read(components["WeakLabeler"].outputs["labeled_examples"].get()[0].uri, split="train")
print(json.dumps({"pandas_rows": len(labeled), "label_source": labeled["label_source"].value_counts().to_dict()}))
labeled[["CONTENT", "label", "label_source", "label_probs"]].head()"""),
    ("markdown", "## StatisticsGen (TFDV's visualisation)"),
    ("code", """context.run(components["StatisticsGen"], beam_pipeline_args=cfg.beam.args())
context.show(components["StatisticsGen"].outputs["statistics"])"""),
    ("markdown", "## SchemaGen and ExampleValidator"),
    ("code", """context.run(components["SchemaGen"])
context.show(components["SchemaGen"].outputs["schema"])
context.run(components["ExampleValidator"])
context.show(components["ExampleValidator"].outputs["anomalies"])"""),
    ("markdown", "## ValidationGate"),
    ("code", """context.run(components["ValidationGate"])
gate = components["ValidationGate"].outputs["validated_schema"].get()[0]
print(json.dumps({"anomaly_count": gate.get_int_custom_property("anomaly_count")}))"""),
]


def main() -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for kind, source in CELLS:
        nb.cells.append(nbformat.v4.new_markdown_cell(source) if kind == "markdown"
                        else nbformat.v4.new_code_cell(source))
    out = Path(__file__).with_name("interactive_pipeline.ipynb")
    nbformat.write(nb, out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
