"""The one record format of a quarantined item (pure).

Every component that sets bad input aside writes one JSON line per item to its
report's ``quarantine.jsonl`` (through ``components.report.write_report``), each
with the same keys, so a person or a script reads every component's quarantine the
same way::

    {"file": "voc/street_06.xml", "record": "street_06.jpg", "field": "image",
     "reason": "missing_image", "message": "...", "source": "street_voc"}

``file``: the input file that holds the item; ``record``: the item within it (an
image, a row, an annotation id; null for a whole file); ``field``: what is wrong
(null when the whole record is); ``reason``: a short category, also counted as
``quarantined_<reason>``; ``message``: a sentence naming all of it. Components may
add keys (``source``, ``split``).
"""
from __future__ import annotations

from typing import Any, Optional

__all__ = ["FIELDS", "quarantine_record", "from_error"]

FIELDS = ("file", "record", "field", "reason", "message")


def quarantine_record(file: Optional[str], reason: str, message: str, record: Optional[str] = None,
                      field: Optional[str] = None, **extra: Any) -> dict:
    """One quarantined item in the standard form (``extra`` keys are kept after the five)."""
    return {"file": None if file is None else str(file), "record": None if record is None else str(record),
            "field": None if field is None else str(field), "reason": reason, "message": message, **extra}


def from_error(exc: BaseException, reason: Optional[str] = None, **extra: Any) -> dict:
    """The record of an error that names its place (``file``, ``record``, ``field`` and
    ``reason`` attributes, as ``labeling.formats.base.AnnotationError`` has)."""
    return quarantine_record(getattr(exc, "file", None), reason or getattr(exc, "reason", None) or "invalid",
                             str(exc), record=getattr(exc, "record", None), field=getattr(exc, "field", None),
                             **extra)
