"""Schema evolution: the schema SchemaGen inferred against the curated one kept under
version control (``datalife schema diff`` / ``datalife schema promote``), and the
TRAINING / SERVING environments (the label is absent in serving).

Schemas are TFMD ``Schema`` protos in text format (``schema.pbtxt``); an argument may be
the file or a folder holding it (a SchemaGen artifact's). No TensorFlow is imported.

- :func:`schema_diff` -> a DataFrame, one row per difference: ``feature``, ``change``
  (``new`` in the data, ``gone`` from the data, ``type``, ``presence``, ``shape``,
  ``domain``, ``range``), ``inferred``, ``curated``.
- :func:`promote` copies the inferred definition of the given features (default: every
  new or changed one) into the curated schema, keeping what the curated schema says
  about environments; features gone from the data are kept unless ``drop_gone``.
- :func:`set_environments` makes TRAINING and SERVING the default environments and
  marks ``serving_without`` features (the label) as not in SERVING, so TFDV validating
  serving statistics with ``environment="SERVING"`` does not report them missing.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Optional, Union

import pandas as pd
from google.protobuf import text_format
from tensorflow_metadata.proto.v0 import schema_pb2

__all__ = ["load_schema", "write_schema", "schema_diff", "promote", "set_environments", "format_diff",
           "add_parser", "run_cli"]

ENVIRONMENTS = ("TRAINING", "SERVING")


def load_schema(path: Union[str, Path]) -> schema_pb2.Schema:
    path = Path(path)
    if path.is_dir():
        path = path / "schema.pbtxt"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no schema file")
    try:
        return text_format.Parse(path.read_text(), schema_pb2.Schema())
    except text_format.ParseError as exc:
        raise ValueError(f"{path}: not a schema in text format: {exc}") from None


def write_schema(schema: schema_pb2.Schema, path: Union[str, Path]) -> Path:
    path = Path(path)
    if path.is_dir():
        path = path / "schema.pbtxt"
    path.write_text(text_format.MessageToString(schema))
    return path


def _string_values(schema: schema_pb2.Schema, feature: schema_pb2.Feature) -> Optional[list]:
    if feature.HasField("string_domain"):
        return sorted(feature.string_domain.value)
    if feature.HasField("domain"):
        for d in schema.string_domain:
            if d.name == feature.domain:
                return sorted(d.value)
    return None


def _presence(f):
    return f"min_fraction {f.presence.min_fraction:g}, min_count {f.presence.min_count}" if f.HasField("presence") \
        else "unset"


def _shape(f):
    if f.HasField("shape"):
        return "shape [" + ", ".join(str(d.size) for d in f.shape.dim) + "]"
    if f.HasField("value_count"):
        return f"value_count {f.value_count.min}..{f.value_count.max}"
    return "unset"


def _range(f):
    if f.HasField("int_domain"):
        return f"int {f.int_domain.min}..{f.int_domain.max}"
    if f.HasField("float_domain"):
        return f"float {f.float_domain.min:g}..{f.float_domain.max:g}"
    return "unset"


def _changes(inferred_schema, curated_schema, a: schema_pb2.Feature, b: schema_pb2.Feature) -> list[tuple]:
    out = []
    if a.type != b.type:
        out.append(("type", schema_pb2.FeatureType.Name(a.type), schema_pb2.FeatureType.Name(b.type)))
    if _presence(a) != _presence(b):
        out.append(("presence", _presence(a), _presence(b)))
    if _shape(a) != _shape(b):
        out.append(("shape", _shape(a), _shape(b)))
    va, vb = _string_values(inferred_schema, a), _string_values(curated_schema, b)
    if va != vb and va is not None and vb is not None:
        added, removed = sorted(set(va) - set(vb)), sorted(set(vb) - set(va))
        out.append(("domain", f"+{added}" if added else "", f"-{removed}" if removed else ""))
    elif (va is None) != (vb is None):
        out.append(("domain", "values" if va is not None else "unset", "values" if vb is not None else "unset"))
    if _range(a) != _range(b):
        out.append(("range", _range(a), _range(b)))
    return out


def schema_diff(inferred: schema_pb2.Schema, curated: schema_pb2.Schema) -> pd.DataFrame:
    """One row per difference between the inferred and the curated schema."""
    a = {f.name: f for f in inferred.feature}
    b = {f.name: f for f in curated.feature}
    rows = []
    for name in sorted(set(a) | set(b)):
        if name not in b:
            rows.append((name, "new", schema_pb2.FeatureType.Name(a[name].type), ""))
        elif name not in a:
            rows.append((name, "gone", "", schema_pb2.FeatureType.Name(b[name].type)))
        else:
            rows.extend((name, *c) for c in _changes(inferred, curated, a[name], b[name]))
    return pd.DataFrame(rows, columns=["feature", "change", "inferred", "curated"])


def format_diff(diff: pd.DataFrame) -> str:
    if diff.empty:
        return "the inferred and the curated schema agree"
    lines = [f"{len(diff)} differences (inferred -> curated):"]
    lines += [f"  {r.feature}: {r.change}: {r.inferred or '-'} | {r.curated or '-'}" for r in diff.itertuples()]
    return "\n".join(lines)


def promote(inferred: schema_pb2.Schema, curated: schema_pb2.Schema, features: Optional[Iterable[str]] = None,
            drop_gone: bool = False) -> schema_pb2.Schema:
    """The curated schema with the inferred definitions of ``features`` (default: every
    new or changed feature) copied in; environments of the curated features are kept."""
    diff = schema_diff(inferred, curated)
    wanted = set(features) if features is not None else set(diff.feature[diff.change != "gone"])
    inferred_by_name = {f.name: f for f in inferred.feature}
    unknown = sorted(wanted - set(inferred_by_name))
    if unknown:
        raise ValueError(f"features {unknown} are not in the inferred schema (it has {sorted(inferred_by_name)})")
    gone = set(diff.feature[diff.change == "gone"]) if drop_gone else set()
    out = schema_pb2.Schema()
    out.CopyFrom(curated)
    del out.feature[:]
    domains = {d.name: d for d in out.string_domain}
    for f in curated.feature:
        if f.name in gone:
            continue
        if f.name in wanted:
            new = schema_pb2.Feature()
            new.CopyFrom(inferred_by_name[f.name])
            new.in_environment[:] = f.in_environment
            new.not_in_environment[:] = f.not_in_environment
            f = new
        out.feature.append(f)
    for name in sorted(wanted - {f.name for f in curated.feature}):
        out.feature.append(inferred_by_name[name])
    for f in out.feature:  # the string domains the promoted features refer to
        if f.name in wanted and f.HasField("domain"):
            for d in inferred.string_domain:
                if d.name == f.domain:
                    if d.name in domains:
                        domains[d.name].CopyFrom(d)
                    else:
                        out.string_domain.append(d)
    return out


def set_environments(schema: schema_pb2.Schema, serving_without: Iterable[str]) -> schema_pb2.Schema:
    """TRAINING and SERVING as default environments; ``serving_without`` not in SERVING."""
    out = schema_pb2.Schema()
    out.CopyFrom(schema)
    for env in ENVIRONMENTS:
        if env not in out.default_environment:
            out.default_environment.append(env)
    names = {f.name: f for f in out.feature}
    missing = sorted(set(serving_without) - set(names))
    if missing:
        raise ValueError(f"serving_without: features {missing} are not in the schema")
    for name in serving_without:
        if "SERVING" not in names[name].not_in_environment:
            names[name].not_in_environment.append("SERVING")
    return out


# ----------------------------------------------------------------------------- command line
def add_parser(sub) -> None:
    """``datalife schema diff|promote`` (registered by ``datalife/cli.py``)."""
    schema = sub.add_parser("schema", help="compare or promote the inferred schema against the curated one")
    ssub = schema.add_subparsers(dest="schema_command", required=True, help="diff or promote")
    diff = ssub.add_parser("diff", help="list how the inferred schema differs from the curated one")
    promote_p = ssub.add_parser("promote", help="copy inferred feature definitions into the curated schema")
    for p in (diff, promote_p):
        p.add_argument("inferred", type=Path, help="schema.pbtxt SchemaGen inferred (or its folder)")
        p.add_argument("curated", type=Path, help="the curated schema.pbtxt under version control (or its folder)")
    promote_p.add_argument("--feature", action="append", help="promote only these features (repeatable)")
    promote_p.add_argument("--drop-gone", action="store_true", help="remove features the data no longer has")
    promote_p.add_argument("--serving-without", action="append", default=[], metavar="FEATURE",
                           help="absent in serving (the label): TRAINING / SERVING environments")


def run_cli(args) -> int:
    inferred = load_schema(args.inferred)
    curated = load_schema(args.curated) if args.schema_command == "diff" or Path(args.curated).exists() \
        else schema_pb2.Schema()
    if args.schema_command == "diff":
        diff = schema_diff(inferred, curated)
        print(format_diff(diff))
        return 1 if len(diff) else 0
    before = schema_diff(inferred, curated)
    out = set_environments(promote(inferred, curated, args.feature, args.drop_gone), args.serving_without)
    path = write_schema(out, args.curated)
    after = schema_diff(inferred, out)
    print(f"wrote {path}: {len(before) - len(after)} of {len(before)} differences promoted"
          + (f"; {len(after)} left:\n{format_diff(after)}" if len(after) else ""))
    return 0
