"""Fuzzing every annotation reader with seeded random mutations of valid files:
truncation, byte flips, insertions, deletions and duplications; JSON value and type
swaps (NaN, inf, 1e308, huge integers, strings, null, lists, objects, 5,000-character
text, another node's value), deleted keys and duplicated items; token swaps in XML,
CSV, YOLO text; wrong feature kinds and lengths and corrupt payloads in TF records.
Each mutated file must parse into finite, valid boxes (the converter's own check), or
give the project's own AnnotationError naming the file - for the whole file or for
the record it quarantines - and never any other exception.

``DATALIFE_FUZZ_CASES`` sets the cases per reader (default 2,500; every case is
derived from its seed, so a failure names the seed that reproduces it)."""
from __future__ import annotations

import json
import os
import random
import re
import traceback
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from corpus.make_bad_annotations import (BOXES, CLASSES, IMAGES, coco_doc, csv_rows, cvat_doc, label_studio_doc,
                                         labelme_docs, tfod_features, voc_docs, write_images, yolo_lines)
from datalife.labeling.formats import get_format, scan
from datalife.labeling.formats.base import AnnotationError
from datalife.labeling.formats.validate import OUTSIDE

CASES = int(os.environ.get("DATALIFE_FUZZ_CASES", "2500"))
VALUES = [float("nan"), float("inf"), -float("inf"), 1e308, -1e308, 10**30, 2**64 + 1, 10**400, -5, 0, 0.5, -0.0,
          "", "x", "1e999", "NaN", "12", None, True, False, [], {}, [1, 2, 3], [[1, 2], [3]], {"a": 1}, "r" * 5000,
          "\x00", "a\udcff", "\ud800", 3.7, 2**31, -2**63]
TOKENS = ["nan", "inf", "-inf", "1e308", "-1e308", "1e999", "abc", "", " ", "0x1A", "-5", "0", "1e-320", "9" * 400,
          "r" * 5000, "\x00", "½", "1,5", "2.5.1", "+", "-", "\"", "'", "<", "&amp;", "&#0;", "]]>", ";;", ","]


# ---------------------------------------------------------------- mutations
def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    b = bytearray(data)
    op = rng.randrange(6)
    if op == 0 or not b:  # truncate
        return bytes(b[: rng.randrange(len(b) + 1)])
    i = rng.randrange(len(b))
    if op == 1:  # flip bits of 1-4 bytes
        for _ in range(rng.randint(1, 4)):
            b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
    elif op == 2:  # insert random or special bytes
        b[i:i] = rng.choice([bytes(rng.randrange(256) for _ in range(rng.randint(1, 8))), b"\xff\xfe", b"\x00",
                             b"\xc3", b"\r\n", b"\t", b'"', b"<", b">", b"NaN"])
    elif op == 3:  # delete a range
        del b[i: i + rng.randint(1, 16)]
    elif op == 4:  # duplicate a range
        j = min(len(b), i + rng.randint(1, 64))
        b[j:j] = b[i:j]
    else:  # overwrite one byte
        b[i] = rng.randrange(256)
    return bytes(b)


def _paths(node, path=()):
    yield path
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*path, k))
    elif isinstance(node, list):
        for k, v in enumerate(node):
            yield from _paths(v, (*path, k))


def _get(node, path):
    for k in path:
        node = node[k]
    return node


def mutate_json(doc, rng: random.Random):
    paths = [p for p in _paths(doc) if p]
    if not paths:
        return rng.choice(VALUES)
    path = rng.choice(paths)
    parent, key = _get(doc, path[:-1]), path[-1]
    op = rng.randrange(6)
    if op <= 2:  # swap the value (or its type)
        parent[key] = rng.choice(VALUES)
    elif op == 3:  # another node's value here
        parent[key] = json.loads(json.dumps(_get(doc, rng.choice(paths)), allow_nan=True))
    elif op == 4:  # delete
        del parent[key]
    else:  # duplicate a list item / wrap the value in a list
        if isinstance(parent, list):
            parent.insert(key, json.loads(json.dumps(parent[key], allow_nan=True)))
        else:
            parent[key] = [parent[key]]
    return doc


def dump_json(doc) -> bytes:
    return json.dumps(doc, allow_nan=True).encode("utf-8", "surrogatepass")


TOKEN = re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?|[A-Za-z_]+")


def mutate_tokens(text: str, rng: random.Random) -> str:
    spans = [m.span() for m in TOKEN.finditer(text)]
    if not spans:
        return text + rng.choice(TOKENS)
    a, b = rng.choice(spans)
    op = rng.randrange(4)
    if op <= 1:
        return text[:a] + rng.choice(TOKENS) + text[b:]
    if op == 2:
        return text[:a] + text[b:]
    return text[:b] + " " + text[a:b] + text[b:]


# ---------------------------------------------------------------- one valid file per reader, and its mutator
def _json(doc_fn):
    def make(rng):
        doc = doc_fn()
        if rng.random() < 0.3:
            return mutate_bytes(dump_json(doc), rng)
        for _ in range(rng.choice((1, 1, 2, 3))):
            doc = mutate_json(doc, rng)
        return dump_json(doc)
    return dump_json(doc_fn()), make


def _text(text_fn):
    def make(rng):
        text = text_fn()
        if rng.random() < 0.3:
            return mutate_bytes(text.encode(), rng)
        for _ in range(rng.choice((1, 1, 2, 3))):
            text = mutate_tokens(text, rng)
        return text.encode("utf-8", "surrogatepass")
    return text_fn().encode(), make


def _tfod(folder: Path):
    from datalife.common.codec import encode_typed as encode_example
    from datalife.common.tfrecords import write_tfrecords

    valid = [tfod_features(n, w, h, BOXES[n], folder) for n, (w, h) in IMAGES.items()]
    kinds = {"bytes": [[b"a.png"], [b"c\xffr"], [], [b"x"] * 3, [b"r" * 5000]],
             "float": [[float("nan")], [float("inf"), 0.1], [], [0.1, 0.2, 0.3], [1e38], [-1.0]],
             "int": [[-64], [0], [], [2**62], [1, 2, 3], [-(2**63)]]}

    target = folder / "a.record"

    def make(rng):
        """Writes the file itself (valid framing around any payload), returns None."""
        records = []
        for k, feats in enumerate(valid):
            feats = dict(feats)
            if k == 0 or rng.random() < 0.2:
                for _ in range(rng.randint(1, 3)):
                    key = rng.choice(list(feats))
                    if rng.random() < 0.2:
                        del feats[key]
                    else:  # a wrong kind, a wrong length, NaN, a negative size ...
                        kind = rng.choice(list(kinds))
                        feats[key] = (kind, rng.choice(kinds[kind]))
            data = encode_example(feats)
            if rng.random() < 0.15:
                data = mutate_bytes(data, rng)  # a corrupt payload inside valid framing
            records.append(data)
        write_tfrecords(str(target), records)
        if rng.random() < 0.15:  # corrupt framing
            target.write_bytes(mutate_bytes(target.read_bytes(), rng))

    write_tfrecords(str(target), [encode_example(f) for f in valid])
    return target.read_bytes(), make


def _setup(fmt: str, folder: Path):
    """(path of the file to mutate, reader options, (valid content, mutator))."""
    write_images(folder / "images")
    images = {"images": str(folder / "images")}
    if fmt == "coco":
        return folder / "a.json", {}, _json(coco_doc)
    if fmt == "labelme":
        return folder / "a.json", {}, _json(lambda: labelme_docs()["a.png"])
    if fmt == "label_studio":
        return folder / "a.json", {}, _json(label_studio_doc)
    if fmt == "voc":
        return folder / "a.xml", {}, _text(lambda: voc_docs()["a.png"])
    if fmt == "cvat":
        return folder / "a.xml", {}, _text(cvat_doc)
    if fmt == "csv":
        return folder / "a.csv", {}, _text(lambda: "\n".join(["filename,width,height,class,xmin,ymin,xmax,ymax",
                                                              *csv_rows()]) + "\n")
    if fmt == "yolo":
        (folder / "labels").mkdir()
        (folder / "labels" / "classes.txt").write_text("\n".join(CLASSES) + "\n")
        return folder / "labels" / "a.txt", images, _text(lambda: "\n".join(yolo_lines()["a.png"]) + "\n")
    if fmt == "tfod":
        return folder / "a.record", {}, _tfod(folder)
    raise AssertionError(fmt)


def check(fmt: str, path: str, options: dict) -> str:
    """'ok', 'quarantined' or 'file' (the file refused as a whole); raises on anything else."""
    done = scan(fmt, path, **options)  # reads leniently and checks every record as the converter does
    for r in done.records:
        b = r.boxes
        assert b.shape == (len(r.labels), 4) and np.isfinite(b).all(), r
        assert (b[:, 2:] >= b[:, :2]).all(), r
        assert isinstance(r.file, str) and r.file and "\x00" not in r.file
        assert all(isinstance(n, str) and n.strip() and len(n) <= 4096 for n in r.labels), r.labels
        for name in (r.file, *r.labels):
            name.encode("utf-8")  # as the unifier and the writers will (a lone surrogate cannot be)
        for side in (r.width, r.height):
            assert side is None or (type(side) is int and side > 0), (r.width, r.height)
        if r.width and r.height:
            lim = np.array([r.width, r.height] * 2)
            assert ((b >= -OUTSIDE * lim) & (b <= (1 + OUTSIDE) * lim)).all()
    for q in done.quarantined:
        assert isinstance(q.error, AnnotationError) and q.error.file == path and q.reason, q
        assert str(q.error).startswith(path) and len(str(q.error)) < 2000
    try:  # the strict reader: the same verdict, as an error naming the file
        get_format(fmt).read_file(path, **options)
    except AnnotationError as exc:
        assert exc.file == path and str(exc).startswith(path)
    if any(q.files for q in done.quarantined):
        return "file"
    return "quarantined" if done.quarantined else "ok"


@pytest.fixture()
def scratch(tmp_path):
    """A folder in memory when the system has one (/dev/shm): writing and reading a
    small file there takes ~0.05 ms against several ms on a virtual disk."""
    import shutil
    import tempfile

    shm = "/dev/shm"
    if not (os.path.isdir(shm) and os.access(shm, os.W_OK)):
        yield tmp_path
        return
    folder = Path(tempfile.mkdtemp(prefix="datalife-fuzz-", dir=shm))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.parametrize("fmt", ["coco", "voc", "yolo", "csv", "labelme", "cvat", "label_studio", "tfod"])
def test_reader_parses_correctly_or_names_the_file(fmt, scratch):
    path, options, (valid, mutate) = _setup(fmt, scratch)
    path.write_bytes(valid)
    assert check(fmt, str(path), options) == "ok"
    outcomes, failures = Counter(), []
    for seed in range(CASES):
        rng = random.Random(f"{fmt}:{seed}")
        data = mutate(rng)
        if data is not None:
            path.write_bytes(data)
        try:
            with np.errstate(all="ignore"):
                outcomes[check(fmt, str(path), options)] += 1
        except Exception as exc:  # noqa: BLE001 - the point of the test: collect what escaped, with its seed
            failures.append(f"seed {seed}: {type(exc).__name__}: {str(exc)[:300]}\n"
                            + "".join(traceback.format_tb(exc.__traceback__)[-3:]))
    assert not failures, f"{len(failures)} of {CASES} mutations escaped:\n" + "\n".join(failures[:5])
    # the mutations reach every verdict: valid files, quarantined records and refused files
    assert sum(outcomes.values()) == CASES
    assert min(outcomes["ok"], outcomes["file"] + outcomes["quarantined"]) > CASES * 0.02, outcomes
    if fmt != "voc":  # a VOC file that parses holds one image: its faults are mostly the file's
        assert outcomes["quarantined"] > CASES * 0.02, outcomes
