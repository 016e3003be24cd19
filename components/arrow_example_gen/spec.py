"""The Arrow ExampleGen's options, declared once.

:class:`ReadOptions` is what a user writes under ``components.example_gen`` (the
pipeline's ``ExampleGenConfig`` extends it); :class:`ArrowExampleGenConfig` adds what the
pipeline fills in (the format and the curated schema) and travels to the executor as
JSON. Splits are not here: they are TFX's own ``input_config`` / ``output_config``
protos, so the span and version machinery of TFX's driver applies unchanged.
"""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field, field_validator, model_validator

from datalife.common.strict import StrictModel

__all__ = ["ReadOptions", "ArrowExampleGenConfig", "ColumnKind", "TimeSplitConfig", "TimeSplitPart",
           "to_exec_property", "from_exec_property"]

ColumnKind = Literal["int", "float", "bytes"]


class ReadOptions(StrictModel):
    """How CSV / JSON-lines files are parsed, typed and checked."""

    delimiter: str = ","  # CSV field separator, one character ("\t" for TSV)
    quote_char: Optional[str] = '"'  # null: no quoting at all
    escape_char: Optional[str] = None  # e.g. "\\"; files with one are read whole (not split)
    double_quote: bool = True  # "" inside a quoted field is one quote (RFC 4180)
    null_values: list[str] = Field(default_factory=lambda: [""])  # cells read as missing
    column_types: dict[str, ColumnKind] = Field(default_factory=dict)  # beats the schema and inference
    nested: Literal["refuse", "flatten"] = "refuse"  # JSON lines: objects -> a.b columns, arrays -> value lists
    flatten_separator: str = "."
    on_invalid: Literal["quarantine", "fail"] = "quarantine"
    chunk_bytes: int = Field(8 << 20, ge=1 << 10)  # a file is read in chunks of about this size
    gzip_level: int = Field(1, ge=0, le=9)  # of the written TFRecord shards (TFX's writer uses 6)

    @field_validator("delimiter", "quote_char", "escape_char")
    @classmethod
    def _one_char(cls, v, info):
        if v is not None and len(v) != 1:
            raise ValueError(f"{info.field_name} must be one character, got {v!r}")
        if v is not None and v in "\r\n":
            raise ValueError(f"{info.field_name} cannot be a line break")
        return v

    @model_validator(mode="after")
    def _distinct(self):
        chars = [c for c in (self.delimiter, self.quote_char, self.escape_char) if c is not None]
        if len(set(chars)) != len(chars):
            raise ValueError(f"delimiter, quote_char and escape_char must differ, got {chars}")
        return self

    def read_options(self) -> "ReadOptions":
        return ReadOptions.model_validate(self.model_dump(include=set(ReadOptions.model_fields)))


class TimeSplitPart(StrictModel):
    name: str
    until: Optional[str] = None  # a date YYYY-MM-DD, inclusive (through the end of that day); none: the rest


class TimeSplitConfig(StrictModel):
    """Splits by time at ingestion: rows up to each ``until`` date go to that split, in
    order (``[{name: train, until: 2012-12-31}, {name: eval, until: 2013-12-31}, {name:
    test}]``). The time is a ``column`` (ISO date / datetime text, or int seconds since
    the epoch) or date ``parts`` (``{year: year, month: month, day: day, hour: hour}``:
    unit -> column). Rows without a usable time are quarantined (``no_split``)."""

    column: Optional[str] = None
    parts: dict[Literal["year", "month", "day", "hour", "minute"], str] = Field(default_factory=dict)
    splits: list[TimeSplitPart]

    @model_validator(mode="after")
    def _check(self):
        import datetime as dt

        if (self.column is None) == (not self.parts):
            raise ValueError("time_split: give the timestamp 'column' or the date 'parts', one of them")
        if self.parts and "year" not in self.parts:
            raise ValueError("time_split.parts needs at least 'year'")
        names = [p.name for p in self.splits]
        if len(names) < 2 or len(set(names)) != len(names):
            raise ValueError(f"time_split.splits needs two or more distinct split names, got {names}")
        dates = []
        for i, p in enumerate(self.splits):
            if p.until is None:
                if i != len(self.splits) - 1:
                    raise ValueError(f"time_split: split {p.name!r} has no 'until'; only the last may leave it out")
                continue
            try:
                dates.append(dt.date.fromisoformat(p.until))
            except ValueError:
                raise ValueError(f"time_split: split {p.name!r}: until {p.until!r} is not a date YYYY-MM-DD") from None
        if dates != sorted(set(dates)):
            raise ValueError(f"time_split: the 'until' dates must increase, got {[str(d) for d in dates]}")
        return self

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.splits]

    def rule(self):
        """The :class:`~datalife.components.arrow_example_gen.splits.TimeSplit` rule."""
        import datetime as dt

        from datalife.components.arrow_example_gen.splits import TimeSplit

        bounds = tuple((p.name, None if p.until is None else
                        (dt.date.fromisoformat(p.until) + dt.timedelta(days=1)).isoformat()) for p in self.splits)
        return TimeSplit(bounds, self.column, tuple(self.parts.items()))


class ArrowExampleGenConfig(ReadOptions):
    """The executor's parameter: the read options plus the format and curated schema."""

    format: Literal["csv", "jsonl"] = "csv"
    schema_file: Optional[str] = None  # a curated schema.pbtxt: its INT / FLOAT / BYTES types are used
    schema_sha256: Optional[str] = None  # of schema_file, so that an edited schema is not served from cache
    # the spans chosen when the pipeline was built (spans.select_spans): {span, version, sha256, files};
    # their content hashes are in this parameter, so a re-written span is never served from the cache
    spans: list[dict] = Field(default_factory=list)
    time_split: Optional[TimeSplitConfig] = None  # splits by time instead of hash buckets

    @model_validator(mode="after")
    def _schema_hash(self):
        if self.schema_file and self.schema_sha256 is None:
            import hashlib

            with open(self.schema_file, "rb") as f:
                self.schema_sha256 = hashlib.sha256(f.read()).hexdigest()
        return self


# ML Metadata 1.16 on PostgreSQL fails to store a string property holding a backslash
# ("syntax error at or near ..." from its E'...' escaping), and this config's JSON holds
# one whenever quote_char is '"'. The exec property therefore carries the JSON with
# backslashes percent-encoded ("%5C", and "%" itself as "%25") after a "pct:" marker,
# readable otherwise; plain JSON is read as it is.
def to_exec_property(cfg: "ArrowExampleGenConfig") -> str:
    text = cfg.model_dump_json()
    return "pct:" + text.replace("%", "%25").replace("\\", "%5C") if "\\" in text else text


def from_exec_property(text: str) -> "ArrowExampleGenConfig":
    text = text or "{}"
    if text.startswith("pct:"):
        text = text[4:].replace("%5C", "\\").replace("%25", "%")
    return ArrowExampleGenConfig.model_validate_json(text)
