"""Write notebooks/weak_labeling_loop.ipynb (cells without outputs) from the cell
sources below, so that the notebook is reviewed as code. Run it again after editing.

The notebook is the labeling-function edit loop on the notebook API
(``datalife.labeling.weak_api.weak_label``): edit an LF file, call ``weak_label``,
read the LF table and the dev metrics, in seconds; the WeakLabeler component runs the
same core in the pipeline."""
from pathlib import Path

import nbformat

CELLS = [
    ("markdown", "# Writing labeling functions in seconds\n\n"
                 "`weak_label` takes a pandas DataFrame and labeling functions and returns the label matrix, the LF "
                 "summary (class names, coverage, dev accuracy), the aggregators compared on the dev split, labels "
                 "with their `label_source` and probabilities: the same core as the WeakLabeler component, with no "
                 "pipeline run. The LF module is a **file path** (read afresh on every call, so each edit shows) or "
                 "an importable dotted module path. Data: the bundled comments in `data/messages` (train without "
                 "using its labels, dev with gold labels)."),
    ("code", """import os, tempfile, time
from pathlib import Path

import pandas as pd
from IPython.display import Image, display

from datalife.labeling.weak_api import weak_label

DATA = Path("..") / "data" / "messages"
train = pd.read_csv(DATA / "messages-train.csv")
dev = pd.read_csv(DATA / "messages-dev.csv")
WORK = Path(os.environ.get("DATALIFE_NOTEBOOK_ROOT") or tempfile.mkdtemp(prefix="datalife-lfs-"))
LF_FILE = WORK / "my_lfs.py"
print(len(train), "train rows,", len(dev), "dev rows; LFs in", LF_FILE)"""),
    ("markdown", "## A first set of labeling functions\n\nPlain Snorkel LFs in a file: 1 = spam, 0 = ham, -1 abstains."),
    ("code", '''LF_FILE.write_text("""
from snorkel.labeling import labeling_function

@labeling_function()
def says_check_out(x):
    return 1 if "check" in x.CONTENT.lower() else -1

@labeling_function()
def has_link(x):
    return 1 if "http" in x.CONTENT.lower() or "www" in x.CONTENT.lower() else -1

@labeling_function()
def short_comment(x):
    return 0 if len(x.CONTENT.split()) < 5 else -1
""")

def label():
    t0 = time.perf_counter()
    result = weak_label(train, str(LF_FILE), dev=dev, gold_field="label", id_field="COMMENT_ID",
                        class_names=["ham", "spam"], end_model={"text_fields": ["CONTENT"]})
    print(f"{time.perf_counter() - t0:.1f} s; {result.reason}")
    return result

first = label()
display(first.lf_summary)
display(first.metrics)'''),
    ("markdown", "## Edit: add an LF, run again\n\nThe file is read afresh: the new LF shows in the table, and the "
                 "aggregator is chosen again on the dev split (never below majority vote)."),
    ("code", '''with LF_FILE.open("a") as f:
    f.write("""
@labeling_function()
def says_subscribe(x):
    return 1 if "subscribe" in x.CONTENT.lower() else -1

@labeling_function()
def loves_song(x):
    return 0 if "love" in x.CONTENT.lower() and "song" in x.CONTENT.lower() else -1
""")

second = label()
display(second.lf_summary)
display(second.metrics)'''),
    ("markdown", "## What an LF got wrong, labels, pictures"),
    ("code", """for lf, rows in second.mistakes.items():
    if rows:
        print(lf, "->", [(r["CONTENT"][:60], r["vote"], r["gold"]) for r in rows])
display(second.labels.join(second.probs).head())
print(second.labels["label_source"].value_counts().to_dict())
for name, png in second.pictures().items():
    display(Image(png))"""),
]


def main() -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for kind, source in CELLS:
        nb.cells.append(nbformat.v4.new_markdown_cell(source) if kind == "markdown"
                        else nbformat.v4.new_code_cell(source))
    out = Path(__file__).with_name("weak_labeling_loop.ipynb")
    nbformat.write(nb, out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
