"""Malformed annotation inputs (the generated corpus, tests/corpus/make_bad_annotations.py):
each gives its documented reason, naming file and field, in the converter and in the
label unifier's Beam steps alike; in quarantine mode only the bad record is set aside
and every image and box is accounted for (in = out + quarantined)."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from corpus.make_bad_annotations import CASES, CLASSES, N_BOXES, N_IMAGES, build
from datalife.labeling.convert import convert
from datalife.labeling.formats import get_format
from datalife.labeling.formats.base import REFUSED, AnnotationError
from datalife.common.accounting import check_accounting
from datalife.labeling.unify import RULES, EmptyOutput, check_output
from conftest import shared_dataset

STANDARD = {"file", "record", "field", "reason", "message"}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return build(tmp_path_factory.mktemp("bad_annotations"))


def _options(case, folder: Path) -> dict:
    return {k: str(folder / v) if k == "images" else v for k, v in case.options.items()}


def _raises_whole(case) -> bool:
    """Cases that stop a quarantine-mode run too: a refused source, a security
    refusal, or nothing left to put out."""
    return case.level == "source" or case.reason in REFUSED or case.images_out == 0


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_converter_names_the_fault_or_quarantines_the_record(case, corpus, tmp_path):
    folder = corpus[case.id]
    src, options, out = str(folder / case.path), _options(case, folder), str(tmp_path / "out.json")
    if case.reason is None:  # a deliberate reading, said and counted
        done = convert(case.format, src, "coco", out, classes=CLASSES, read_options=options)
        assert (done["images"], done["boxes"], done["notes"]) == (N_IMAGES, N_BOXES, case.notes)
        return
    with pytest.raises(AnnotationError) as err:
        convert(case.format, src, "coco", out, classes=CLASSES, read_options=options)
    assert err.value.reason == case.reason, str(err.value)
    assert err.value.file.startswith(str(folder)) and str(err.value).startswith(str(folder))  # the file is named
    if case.field:
        assert case.field in f"{err.value.field} {err.value.record}", str(err.value)
    assert len(str(err.value)) < 1000  # a 2 MB field is not echoed
    assert not Path(out).exists()
    if _raises_whole(case):
        with pytest.raises(AnnotationError) as err:
            convert(case.format, src, "coco", out, classes=CLASSES, read_options=options, on_invalid="quarantine")
        assert err.value.reason == (case.reason if case.level == "source" or case.reason in REFUSED
                                    else "empty_output"), str(err.value)
        assert not Path(out).exists()
        return
    done = convert(case.format, src, "coco", out, classes=CLASSES, read_options=options, on_invalid="quarantine")
    assert (done["images"], done["boxes"]) == (case.images_out, case.boxes_out)
    assert (done["images_quarantined"], done["boxes_quarantined"], done["files_quarantined"]) == (
        case.q_images, case.q_boxes, case.q_files)
    assert done["images_in"] == done["images"] + done["images_quarantined"]
    assert done["boxes_in"] == done["boxes"] + done["boxes_quarantined"]
    assert case.reason in done["reasons"]
    assert all(STANDARD <= set(q) for q in done["quarantined"])
    written = json.loads(Path(out).read_text())  # what was written is exactly what was kept
    assert (len(written["images"]), len(written["annotations"])) == (case.images_out, case.boxes_out)


def _unifier(case, folder: Path, on_invalid: str, classes=CLASSES):
    """The label unifier's own Beam steps (ParseFile, then Unify) run on the case's
    files: (counts, problems, examples)."""
    from apache_beam.pvalue import TaggedOutput

    from datalife.components.label_unifier.beam_glue import COUNTS, QUARANTINE, ParseFile, Unify
    from datalife.components.label_unifier.spec import LabelUnifierConfig

    cfg = LabelUnifierConfig(sources=[{"name": "s", "format": case.format, "path": str(folder / case.path),
                                       "images": str(folder / "images"), "options": _options(case, folder)}],
                             classes=classes, on_invalid=on_invalid).model_dump_json()
    parse, unify = ParseFile(cfg), Unify(cfg)
    parse.setup()
    unify.setup()
    counts, problems, examples = Counter(), [], 0

    def collect(out):
        nonlocal examples
        if out.tag == COUNTS:
            counts.update(out.value[1])
        elif out.tag == QUARANTINE:
            problems.append(out.value)
        else:
            examples += 1

    for path in get_format(case.format).list_files(str(folder / case.path)):
        for out in parse.process((0, path)):
            if isinstance(out, TaggedOutput):
                collect(out)
            else:
                for unified in unify.process(out):
                    collect(unified)
    return counts, problems, examples


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_unifier_quarantines_the_record_and_accounts_for_it(case, corpus):
    folder = corpus[case.id]
    if case.level == "source":
        with pytest.raises(AnnotationError) as err:
            _unifier(case, folder, "quarantine")
        assert err.value.reason == case.reason and "holds 3 .xml" in str(err.value)
        return
    if case.reason is not None:
        with pytest.raises(AnnotationError) as err:
            _unifier(case, folder, "error")
        assert err.value.reason == case.reason and str(err.value).startswith(str(folder)), str(err.value)
    if case.reason in REFUSED:
        with pytest.raises(AnnotationError):
            _unifier(case, folder, "quarantine")
        return
    counts, problems, examples = _unifier(case, folder, "quarantine")
    check_accounting(counts, RULES)
    assert examples == counts["images_out"] == case.images_out
    assert (counts["boxes_out"], counts["images_quarantined"], counts["boxes_quarantined"],
            counts["files_quarantined"]) == (case.boxes_out, case.q_images, case.q_boxes, case.q_files)
    for key, n in case.notes.items():
        assert counts[key] == n
    if case.reason is None:
        assert not problems
        return
    assert counts[f"quarantined_{case.reason}"] >= 1
    mine = [p for p in problems if p["reason"] == case.reason]
    assert mine and all(STANDARD <= set(p) and p["source"] == "s" for p in problems)
    assert not any(str(folder) in p["file"] for p in problems)  # annotation files relative to the source
    assert mine[0]["file"].startswith(Path(case.path).name if case.path.endswith((".csv", ".json", ".xml"))
                                      else Path(get_format(case.format).list_files(str(folder / case.path))[0]).name)
    if case.images_out == 0:
        with pytest.raises(EmptyOutput, match="source 's'"):
            check_output({"s": counts})
    else:
        check_output({"s": counts})


def test_one_unknown_category_among_raccoons_quarantines_one_image(tmp_path):
    """The issue's case on real data: the raccoon set as COCO with one annotation
    pointing to a category that does not exist: one image set aside, 199 kept."""
    raccoon = shared_dataset("raccoon")
    convert("voc", str(raccoon / "annotations"), "coco", str(tmp_path / "all.json"))
    doc = json.loads((tmp_path / "all.json").read_text())
    victim = doc["annotations"][57]
    victim["category_id"] = 9
    n_boxes_of_victim = sum(a["image_id"] == victim["image_id"] for a in doc["annotations"])
    (tmp_path / "ann").mkdir()
    (tmp_path / "ann" / "instances.json").write_text(json.dumps(doc))
    done = convert("coco", str(tmp_path / "ann"), "csv", str(tmp_path / "out.csv"), on_invalid="quarantine")
    assert (done["images"], done["images_quarantined"], done["reasons"]) == (199, 1, {"unknown_class": 1})
    assert done["boxes"] == 217 - n_boxes_of_victim
    name = next(im["file_name"] for im in doc["images"] if im["id"] == victim["image_id"])
    assert done["quarantined"][0]["image"] == name

    class Case:  # the unifier's Beam steps on the same file
        format, path, options = "coco", "ann", {}

    import shutil

    shutil.copytree(raccoon / "images", tmp_path / "images")
    counts, problems, examples = _unifier(Case, tmp_path, "quarantine", classes=["raccoon"])
    assert (examples, counts["images_quarantined"], counts["quarantined_unknown_class"]) == (199, 1, 1)
    assert counts["boxes_quarantined"] == n_boxes_of_victim and counts.get("files_quarantined", 0) == 0
    check_accounting(counts, RULES)
    assert problems[0]["image"] == name and problems[0]["record"] == f"annotation id {victim['id']}"


def test_coco_whole_file_checks_and_record_by_record_reading_agree(tmp_path):
    """A clean COCO file is read by whole-file checks and one sort; the record-by-record
    path (taken as soon as anything is wrong) must read the same file identically."""
    from datalife.labeling.formats import coco
    from datalife.labeling.formats.fields import load_json

    raccoon = shared_dataset("raccoon")
    convert("voc", str(raccoon / "annotations"), "coco", str(tmp_path / "r.json"))
    doc = load_json(str(tmp_path / "r.json"))
    rng = __import__("random").Random(0)
    rng.shuffle(doc["annotations"])  # annotations in any order
    (tmp_path / "r.json").write_text(json.dumps(doc))
    cats, ambiguous = coco._categories(doc, str(tmp_path / "r.json"))
    fast = coco._clean(doc["images"], doc["annotations"], cats, ambiguous, str(tmp_path / "r.json"))
    slow = coco._by_record(doc["images"], doc["annotations"], cats, ambiguous, str(tmp_path / "r.json"))
    assert fast is not None and len(fast) == len(slow) == 200
    for a, b in zip(fast, slow):
        assert (a.file, a.width, a.height, a.labels, a.record) == (b.file, b.width, b.height, b.labels, b.record)
        assert (a.boxes == b.boxes).all()
    assert sum(len(r.boxes) for r in fast) == 217
