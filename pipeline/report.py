"""One self-contained HTML page per run (``datalife report RUN_DIR``, also written at
the end of ``datalife run``): the executions and their states, statistics and
anomalies per split, each custom component's own report (pictures inlined), and the
lineage picture. Nothing is loaded from the network: TFDV's Facets view needs
scripts from a CDN, so statistics are rendered as tables from the same
``DatasetFeatureStatisticsList`` proto."""
from __future__ import annotations

import base64
import html
import io
import re
from pathlib import Path

from datalife.pipeline import mlmd

__all__ = ["write_run_report", "lineage_png"]


def _img(png: bytes, alt: str) -> str:
    return f"<img alt='{html.escape(alt)}' src='data:image/png;base64,{base64.b64encode(png).decode()}'>"


def _table(header: list[str], rows: list[list]) -> str:
    def cell(v):
        return f"{v:.4g}" if isinstance(v, float) else html.escape(str(v))

    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in r) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _bars_svg(values: list[float], labels: list[str], title: str, horizontal: bool = False) -> str:
    """A small inline SVG bar chart (no scripts, no network): columns for a histogram,
    rows for top values; each bar has a tooltip with its label and value."""
    if not values or max(values) <= 0:
        return f"<span class='empty'>{html.escape(title)}: no values</span>"
    top = max(values)
    if horizontal:
        w, row = 260, 14
        h = row * len(values) + 16
        bars = "".join(
            f"<rect x='90' y='{14 + i * row}' width='{max(1.0, 160 * v / top):.1f}' height='{row - 3}' fill='#3367d6'>"
            f"<title>{html.escape(lab)}: {v:g}</title></rect><text x='86' y='{24 + i * row}' font-size='10' "
            f"text-anchor='end'>{html.escape(lab[:14])}</text>" for i, (v, lab) in enumerate(zip(values, labels)))
    else:
        w, h = 260, 96
        bw = 240 / len(values)
        bars = "".join(
            f"<rect x='{10 + i * bw:.1f}' y='{90 - 70 * v / top:.1f}' width='{max(1.0, bw - 1):.1f}' "
            f"height='{70 * v / top:.1f}' fill='#3367d6'><title>{html.escape(lab)}: {v:g}</title></rect>"
            for i, (v, lab) in enumerate(zip(values, labels)))
        bars += (f"<text x='10' y='95' font-size='9'>{html.escape(labels[0].split(' ')[0])}</text>"
                 f"<text x='250' y='95' font-size='9' text-anchor='end'>{html.escape(labels[-1].split(' ')[-1])}</text>")
    return (f"<svg class='chart' role='img' xmlns='http://www.w3.org/2000/svg' width='{w}' height='{h}' "
            f"viewBox='0 0 {w} {h}'><title>{html.escape(title)}</title><text x='2' y='10' font-size='10'>"
            f"{html.escape(title)}</text>{bars}</svg>")


def _feature_picture(name: str, f) -> str:
    """A histogram of a numeric feature (TFDV's standard histogram), the top values of a
    categorical one."""
    kind = f.WhichOneof("stats")
    if kind == "num_stats":
        standard = [h for h in f.num_stats.histograms if h.type == h.STANDARD]
        if not standard:
            return ""
        b = standard[0].buckets
        return _bars_svg([x.sample_count for x in b], [f"{x.low_value:.4g} .. {x.high_value:.4g}" for x in b], name)
    if kind == "string_stats":
        top = list(f.string_stats.rank_histogram.buckets)[:10] or []
        if top:
            return _bars_svg([x.sample_count for x in top], [x.label for x in top], name, horizontal=True)
        vals = list(f.string_stats.top_values)[:10]
        return _bars_svg([v.frequency for v in vals], [v.value for v in vals], name, horizontal=True)
    return ""


def _load_stats(path: Path):
    """A TFDV ``DatasetFeatureStatisticsList`` read with its protobuf class (no TensorFlow)."""
    from tensorflow_metadata.proto.v0 import statistics_pb2

    stats = statistics_pb2.DatasetFeatureStatisticsList()
    stats.ParseFromString(path.read_bytes())
    return stats


def _stats_files(uri: str) -> list[tuple[str, Path]]:
    """(split, FeatureStats.pb) of a statistics artifact (Transform's pre/post-transform
    statistics have no split folders: their split is ''), in split order."""
    root = Path(uri)
    found = [(d.name[6:], d / "FeatureStats.pb") for d in sorted(root.glob("Split-*"))]
    if (root / "FeatureStats.pb").is_file():
        found.insert(0, ("", root / "FeatureStats.pb"))
    return [(split, f) for split, f in found if f.is_file()]


def present_missing(common) -> tuple:
    """(present, missing) of a feature's TFDV common statistics, counting an empty value
    list as missing (ExampleGen writes a missing CSV cell as an empty list, which TFDV
    counts as present). Exact for features with at most one value per example (then
    the examples holding a value are ``tot_num_values``); for multi-valued features with
    empty lists the missing count is a lower bound, shown as ">= n"."""
    present, missing = int(common.num_non_missing), int(common.num_missing)
    if common.min_num_values > 0 or present == 0:
        return present, missing
    if common.max_num_values <= 1:
        empty = present - int(common.tot_num_values)
        return present - empty, missing + empty
    return present, f">= {missing}"


def _statistics_html(uri: str) -> str:
    parts = []
    for split, path in _stats_files(uri):
        stats = _load_stats(path)
        for dataset in stats.datasets:
            rows = []
            for f in dataset.features:
                name = f.path.step[0] if f.path.step else f.name
                kind = f.WhichOneof("stats")
                if kind == "num_stats":
                    s = f.num_stats
                    rows.append([name, "numeric", *present_missing(s.common_stats), s.mean, s.std_dev,
                                 s.min, s.max, ""])
                elif kind == "string_stats":
                    s = f.string_stats
                    top = ", ".join(f"{v.value} ({int(v.frequency)})" for v in s.top_values[:5])
                    rows.append([name, "string", *present_missing(s.common_stats), "", "", "", "",
                                 f"{s.unique} unique: {top}"])
            title = f"{split}: " if split else ""
            pictures = "".join(_feature_picture(f.path.step[0] if f.path.step else f.name, f)
                               for f in dataset.features)
            parts.append(f"<h3>{html.escape(title)}{dataset.num_examples} examples</h3>" + _table(
                ["feature", "type", "present", "missing", "mean", "std", "min", "max", "values"], rows)
                + f"<div class='charts'>{pictures}</div>")
    return "".join(parts)


def _anomalies_html(store, artifact_id: int) -> str:
    from datalife.components.validation_gate.anomalies import Anomaly, anomalies_from_proto

    [a] = store.get_artifacts_by_id([artifact_id])
    found: list[Anomaly] = []
    for split_dir in sorted(Path(a.uri).glob("Split-*")):
        path = split_dir / "SchemaDiff.pb"
        if path.is_file():
            found += anomalies_from_proto(split_dir.name[6:], path.read_bytes())
    if not found:
        return "<p class='ok'>No anomalies.</p>"
    return _table(["split", "feature", "kind", "description"], [[x.split, x.feature, x.kind, x.description]
                                                                 for x in found])


def _component_report_html(uri: str) -> str:
    page = Path(uri) / "report.html"
    if not page.is_file():
        return ""
    text = page.read_text()
    body = re.search(r"<body[^>]*>(.*)</body>", text, re.S)
    text = body.group(1) if body else text

    def inline(match):
        path = Path(uri) / match.group(1)
        return _img(path.read_bytes(), match.group(1)) if path.is_file() else ""

    return re.sub(r"<img[^>]*src='([^':]+)'[^>]*>", inline, text)


def lineage_png(store, artifact_id: int) -> bytes:
    """The executions upstream of an artifact, left to right by depth, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    nodes = {n.execution_id: n for n in mlmd.upstream(store, artifact_id)}
    producer = {aid: n.execution_id for n in nodes.values() for _, aid, _, _ in n.outputs}
    parents = {eid: {producer[aid] for _, aid, _, _ in n.inputs if aid in producer} for eid, n in nodes.items()}
    depth: dict[int, int] = {}

    def d(eid):
        if eid not in depth:
            depth[eid] = 1 + max((d(p) for p in parents[eid]), default=-1)
        return depth[eid]

    for eid in nodes:
        d(eid)
    columns: dict[int, list[int]] = {}
    for eid in sorted(nodes):
        columns.setdefault(depth[eid], []).append(eid)
    pos = {eid: (x, -i) for x, col in columns.items() for i, eid in enumerate(col)}
    fig, ax = plt.subplots(figsize=(2.6 * (len(columns) + 1), 1.3 * (max(map(len, columns.values())) + 1)))
    names = {aid: key for n in nodes.values() for key, aid, _, _ in n.outputs}
    for eid, n in nodes.items():
        for key, aid, type_name, _ in n.inputs:
            if aid not in producer:
                continue
            p = producer[aid]
            ax.annotate("", xy=pos[eid], xytext=pos[p],
                        arrowprops={"arrowstyle": "-|>", "color": "#555", "shrinkA": 28, "shrinkB": 28, "lw": 1.2})
            mid = ((pos[eid][0] + pos[p][0]) / 2, (pos[eid][1] + pos[p][1]) / 2)
            ax.text(*mid, f"{names.get(aid, key)}\n({type_name})", ha="center", va="bottom", fontsize=6, color="#333")
    for eid, (x, y) in pos.items():
        ax.text(x, y, f"{nodes[eid].component}\n#{eid} {nodes[eid].state}", ha="center", va="center", fontsize=8,
                bbox={"boxstyle": "round", "fc": "#e8f0fe", "ec": "#3367d6"})
    ax.set_xlim(-0.7, len(columns) - 0.3)
    ax.set_ylim(-max(map(len, columns.values())) + 0.4, 0.6)
    ax.axis("off")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


STYLE = ("body{font-family:sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;margin:.5em 0}"
         "td,th{border:1px solid #ccc;padding:2px 6px;font-size:13px}th{background:#eee}"
         "section{border-top:2px solid #3367d6;margin-top:2em}.ok{color:#137333}img{max-width:100%}"
         ".charts{display:flex;flex-wrap:wrap;gap:8px}.chart{border:1px solid #ddd}.empty{color:#777}")
# a script that must run for the page to count as rendered (the browser test checks it): it
# also counts the pictures and those that did not load or have no size
SCRIPT = ("document.body.dataset.rendered = String(document.querySelectorAll('section').length);"
          "var pics = document.querySelectorAll('img, svg.chart'), bad = 0;"
          "pics.forEach(function (p) { var r = p.getBoundingClientRect();"
          "  if (r.width <= 0 || r.height <= 0 || (p.tagName === 'IMG' && !(p.complete && p.naturalWidth > 0))) bad++; });"
          "document.body.dataset.pictures = String(pics.length); document.body.dataset.brokenPictures = String(bad);"
          "var toc = document.getElementById('toc');"
          "document.querySelectorAll('section h2').forEach(function (h, i) {"
          "  h.id = 's' + i; var li = document.createElement('li');"
          "  li.innerHTML = '<a href=\"#s' + i + '\">' + h.textContent + '</a>'; toc.appendChild(li); });")


_EMPTY = "<p class='empty'>Nothing to show for this run.</p>"


def _accounting_html(executions) -> str:
    """One row per component and scope (split, source): its counts, as its report.json
    checked them (in = out + quarantined ...), and the rules they obey."""
    import json

    rows = []
    for e in executions:
        for uri in e.outputs.get("report", []):
            path = Path(uri) / "report.json"
            if not path.is_file():
                continue
            acc = json.loads(path.read_text()).get("accounting") or {}
            rules = "; ".join(map(str, acc.get("rules", [])))
            for scope, terms in sorted((acc.get("checked") or {}).items()):
                rows.append([e.component, scope, ", ".join(f"{k} {v}" for k, v in sorted(terms.items())), rules])
    return _table(["component", "scope", "counts", "rules"], rows) if rows else ""


def _drift_history_html(store, pipeline) -> str:
    """Drift across spans (two drift checks or more in the store): span x feature, the
    measure that decides (KS p-value for numbers, L-infinity for categories), bold where
    it drifted; and a bar per span of how many features drifted."""
    from datalife.pipeline.drift_history import drift_history

    table = drift_history(store, pipeline)
    if table.empty or table["span"].nunique() < 2:
        return ""
    table = table.drop_duplicates(["span", "feature", "measure"], keep="last")
    decide = table[table.measure.isin(["ks", "linf"])]
    spans = sorted(decide["span"].dropna().unique())
    features = sorted(decide["feature"].unique())
    cell = {(r.span, r.feature): r for r in decide.itertuples()}
    rows = []
    for span in spans:
        base = next((c.baseline_span for (s, _), c in cell.items() if s == span), None)
        row = [f"{span} (vs {base})"]
        for f in features:
            c = cell.get((span, f))
            row.append("" if c is None else (f"DRIFT {c.measure} {c.value:.3g}" if c.drifted else f"{c.measure} {c.value:.3g}"))
        rows.append(row)
    counts = [int(decide[(decide.span == s)].drifted.sum()) for s in spans]
    return ("<section><h2>Drift across spans</h2><p>Each span against the one before it, as the gate checked it "
            "(KS p-value for numeric features, L-infinity distance for categorical ones; DRIFT where it crossed "
            "its threshold). <code>datalife.pipeline.drift_history.drift_history(store)</code> gives every "
            "measure as a DataFrame.</p>" + _table(["span", *features], rows)
            + _bars_svg([float(c) for c in counts], [str(s) for s in spans], "features drifted per span", horizontal=True)
            + "</section>")


def _last_output(executions) -> int:
    with_outputs = [e for e in executions if e.output_ids]
    if not with_outputs:
        raise LookupError("the run has no execution with outputs")
    return next(iter(with_outputs[-1].output_ids.values()))[0]


def write_run_report(target, out: Path | None = None, run_id: str | None = None) -> Path:
    """Write ``report.html`` for a run (``run_id``, default the latest). ``target`` is a
    run folder holding ``metadata.sqlite`` (the report goes there), or a
    :class:`~datalife.pipeline.config.PipelineConfig` whose store may be SQLite, MySQL
    or PostgreSQL (the report goes to its root; only its pipeline's runs count)."""
    from datalife.pipeline.lineage import runs_text

    if isinstance(target, (str, Path)):
        run_dir, pipeline = Path(target), None
        store = mlmd.open_store(run_dir / "metadata.sqlite")
    else:
        run_dir, pipeline = target.root_dir, target.name
        store = mlmd.open_store(mlmd.connection_config(target, readonly=True))
    run = mlmd.run_context(store, run_id) if run_id else mlmd.latest_run(store, pipeline)
    if run is None:
        runs = [r.name for r in mlmd.pipeline_runs(store, pipeline)]
        raise LookupError(f"{run_dir}: the metadata store holds no run" + (f" {run_id!r}; the runs are: "
                                                                          f"{', '.join(runs) or 'none'}" if run_id else ""))
    executions = mlmd.run_executions(store, run)
    sections = [f"<section><h2>Run {html.escape(run.name)}</h2>"
                + _table(["component", "state", "execution"], [[e.component, e.state, e.id] for e in executions])
                + f"<h3>Runs in this store</h3><pre>{html.escape(runs_text(store, pipeline))}</pre></section>",
                f"<section><h2>Accounting</h2>{_accounting_html(executions) or _EMPTY}</section>"]
    for e in executions:
        for key, title in (("statistics", "Statistics"), ("pre_transform_stats", "Statistics before Transform"),
                           ("post_transform_stats", "Statistics after Transform")):
            if key in e.outputs:
                sections.append(f"<section><h2>{title} ({html.escape(e.component)})</h2>"
                                f"{_statistics_html(e.outputs[key][0]) or _EMPTY}</section>")
        if "anomalies" in e.output_ids:
            sections.append(f"<section><h2>Anomalies ({html.escape(e.component)})</h2>"
                            f"{_anomalies_html(store, e.output_ids['anomalies'][0])}</section>")
        if "report" in e.outputs:
            sections.append(f"<section><h2>{html.escape(e.component)} report</h2>"
                            f"{_component_report_html(e.outputs['report'][0])}</section>")
    drift = _drift_history_html(store, pipeline)
    if drift:
        sections.append(drift)
    from datalife.pipeline.read import examples_outputs

    made = examples_outputs(store, run)  # the lineage of the last Examples, else of the last output
    final = made[-1][2] if made else _last_output(executions)
    [art] = store.get_artifacts_by_id([final])
    maker = next((e.component for e in executions if final in [i for v in e.output_ids.values() for i in v]), "?")
    key = next((k for e in executions for k, v in e.output_ids.items() if final in v), "output")
    sections.append(f"<section><h2>Lineage of {html.escape(maker)}.{html.escape(key)}</h2>"
                    f"<p>Artifact #{final} at {html.escape(art.uri)}; arrows go from the component that made an "
                    "artifact to the one that read it, left to right in dependency order.</p>"
                    f"{_img(lineage_png(store, final), 'lineage')}</section>")
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>datalife run report</title>"
            f"<style>{STYLE}</style></head><body><h1>datalife run report</h1><ul id='toc'></ul>"
            f"{''.join(sections)}<script>{SCRIPT}</script></body></html>")
    out = Path(out or run_dir / "report.html")
    out.write_text(page)
    return out
