"""Personal data masked in text before it reaches labelers: detected spans replaced by a
typed placeholder (``<EMAIL>``) or a keyed hash (``<EMAIL:3f9a1c0b2d4e>``: HMAC-SHA256
of the normalized value under a configured key, so equal values still join), with
counts per type. Model-free: nothing is downloaded or loaded at run time.

What each type catches (and misses):

- ``email``: ``local@domain.tld`` (own pattern; scrubadub 2.0.1's e-mail detector also
  takes "word at domain.tld", which on the YouTube spam comments flags only false
  positives such as "horrible at acting");
- ``url``: scrubadub's URL pattern (``http://``, ``https://`` or ``www.`` addresses;
  trailing sentence punctuation left out); bare domains ("example.com") are missed;
- ``phone``: ``phonenumbers`` (the library scrubadub wraps) at STRICT_GROUPING
  leniency: valid numbers with international prefix anywhere, national numbers of
  ``region``; digit groups that break the national grouping (view counts such as
  "2.124.821.694") are not taken, nor numbers right after ``= / & ? #`` (URL
  parameters such as ``pub=5575096797``), nor numbers written in words;
- ``credit_card``: digit groups (single spaces or dashes between them) whose digits
  have a card network's prefix and length (scrubadub's card pattern: Visa, Mastercard,
  American Express, Diners Club, Discover, JCB) and pass the Luhn check
  (python-stdnum); other networks' numbers (UnionPay, Maestro) are missed;
- ``iban``: country code, check digits and account (upper case, spaces allowed),
  valid length and mod-97 checksum (python-stdnum);
- ``name``: a capitalized name after an honorific (Mr, Mrs, Ms, Dr, Prof, ...: the
  honorific is kept), a listed first name after "my name is" / "I am" / "I'm" / "this
  is" / "call me", and a listed first name followed by a listed surname (Faker's
  en_US lists: 690 first names, 1,000 surnames). Missed: names not in the lists
  ("Shakira"), single first names without such a cue, lower-case names, most
  non-English names; a listed pair that is not a person ("Amber Brown") is masked.

Where spans overlap, the longer wins (then the order of ``PII_TYPES``).
"""
from __future__ import annotations

import hashlib
import hmac
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Literal, Optional, Sequence

import pandas as pd
from pydantic import Field

from datalife.common.strict import FrozenModel

__all__ = ["PiiSpec", "Span", "find_pii", "mask_text", "mask_texts", "mask_frame", "PII_TYPES", "PLACEHOLDERS"]

PII_TYPES = ("email", "url", "iban", "credit_card", "phone", "name")
PLACEHOLDERS = {t: f"<{t.upper()}>" for t in PII_TYPES}


class PiiSpec(FrozenModel):
    """What is masked and how, declared once (the pii_masker component embeds it as
    ``mask``). The HMAC key of ``mode: hash`` is never part of it: it is passed to the
    masking functions (``key=``), read from a secret (an environment variable)."""

    types: tuple[Literal[PII_TYPES], ...] = PII_TYPES
    mode: Literal["placeholder", "hash"] = "placeholder"
    region: str = Field("US", pattern=r"^[A-Z]{2}$")  # phone numbers without an international prefix
    hash_chars: int = Field(12, ge=4, le=64)  # hex characters of the keyed hash kept in the token


def _check_key(spec: PiiSpec, key: Optional[bytes]) -> None:
    if spec.mode == "hash" and not key:
        raise ValueError("PII mode 'hash' needs a non-empty key (keep it secret: it protects the hashed values)")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    kind: str
    text: str
    value: str  # normalized (what the keyed hash is taken of)


EMAIL = re.compile(r"(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@"
                   r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])")
DIGIT_RUN = re.compile(r"(?<![\w-])\d+(?:[ -]\d+)*(?![\w])")
IBAN_RUN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}[A-Z0-9]*(?: [A-Z0-9]+)*")
HONORIFIC = re.compile(r"\b(?:Mr|Mrs|Ms|Mx|Miss|Dr|Prof|Sir|Dame|Madam|Lady|Lord)\.?\s+"
                       r"([A-Z][a-z]+(?:[- ][A-Z][a-z]+)?)")
INTRO = re.compile(r"\b(?:[Mm]y name is|I am|I'm|I’m|[Tt]his is|[Cc]all me)\s+([A-Z][a-z]+)(?:\s+([A-Z][a-z]+))?")
PAIR = re.compile(r"\b([A-Z][a-z]+)\s+([A-Z][a-z]+)\b")
URL_TRAILING = ".,;:!?"
URL_PARAMETER = "=/&?#"  # a number right after one of these is a URL's parameter, not a phone


@lru_cache(maxsize=1)
def _url_regex():
    from scrubadub.detectors.url import UrlDetector  # importing scrubadub costs ~3 s of CPU once

    return UrlDetector.regex


@lru_cache(maxsize=1)
def _card_regex():
    from scrubadub.detectors.credit_card import CreditCardDetector

    return CreditCardDetector.regex  # issuer prefixes and lengths; it needs whitespace before the number


@lru_cache(maxsize=1)
def _names() -> tuple[frozenset, frozenset]:
    from faker.providers.person.en_US import Provider

    return frozenset(Provider.first_names), frozenset(Provider.last_names)


def _windows(groups: list[tuple[int, int]], ok) -> Iterable[tuple[int, int]]:
    """Longest-first, leftmost-first runs of consecutive groups ``(start, end)`` that
    ``ok(first, last)`` accepts, not overlapping each other."""
    taken = [False] * len(groups)
    for size in range(len(groups), 0, -1):
        for i in range(len(groups) - size + 1):
            j = i + size - 1
            if not any(taken[i:j + 1]) and ok(i, j):
                taken[i:j + 1] = [True] * size
                yield groups[i][0], groups[j][1]


def _group_spans(pattern, text, part=r"[^ -]+"):
    for run in pattern.finditer(text):
        yield [(run.start() + m.start(), run.start() + m.end()) for m in re.finditer(part, run.group())]


def _cards(text: str) -> list[Span]:
    from stdnum import luhn

    out = []
    for groups in _group_spans(DIGIT_RUN, text):
        def ok(i, j):
            digits = re.sub(r"\D", "", text[groups[i][0]:groups[j][1]])
            return (13 <= len(digits) <= 19 and _card_regex().fullmatch(" " + digits, 1) is not None
                    and luhn.is_valid(digits))
        for s, e in _windows(groups, ok):
            out.append(Span(s, e, "credit_card", text[s:e], re.sub(r"\D", "", text[s:e])))
    return out


def _ibans(text: str) -> list[Span]:
    from stdnum import iban

    out = []
    for groups in _group_spans(IBAN_RUN, text, r"[^ ]+"):
        def ok(i, j):
            first = text[groups[i][0]:groups[i][1]]
            return bool(re.match(r"[A-Z]{2}\d{2}", first)) and iban.is_valid(text[groups[i][0]:groups[j][1]])
        for s, e in _windows(groups, ok):
            out.append(Span(s, e, "iban", text[s:e], iban.compact(text[s:e])))
    return out


def _phones(text: str, region: str) -> list[Span]:
    import phonenumbers

    return [Span(m.start, m.end, "phone", m.raw_string,
                 phonenumbers.format_number(m.number, phonenumbers.PhoneNumberFormat.E164))
            for m in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.STRICT_GROUPING)
            if not (m.start and text[m.start - 1] in URL_PARAMETER)]


def _urls(text: str) -> list[Span]:
    out = []
    for m in _url_regex().finditer(text):
        s, e = m.start(), m.end()
        while e > s and text[e - 1] in URL_TRAILING:
            e -= 1
        out.append(Span(s, e, "url", text[s:e], text[s:e]))
    return out


def _persons(text: str) -> list[Span]:
    first, last = _names()
    out = []
    for m in HONORIFIC.finditer(text):
        out.append(Span(m.start(1), m.end(1), "name", m.group(1), m.group(1)))
    for m in INTRO.finditer(text):
        if m.group(1) in first:
            end = m.end(2) if m.group(2) and m.group(2) in last else m.end(1)
            out.append(Span(m.start(1), end, "name", text[m.start(1):end], text[m.start(1):end]))
    for m in PAIR.finditer(text):
        if m.group(1) in first and m.group(2) in last:
            out.append(Span(m.start(), m.end(), "name", m.group(), m.group()))
    return out


def find_pii(text: str, spec: PiiSpec = PiiSpec()) -> list[Span]:
    """Non-overlapping personal-data spans of ``text``, in text order."""
    found = []
    for kind in spec.types:
        if kind == "email":
            found += [Span(m.start(), m.end(), "email", m.group(), m.group().lower()) for m in EMAIL.finditer(text)]
        elif kind == "url":
            found += _urls(text)
        elif kind == "iban":
            found += _ibans(text)
        elif kind == "credit_card":
            found += _cards(text)
        elif kind == "phone":
            found += _phones(text, spec.region)
        elif kind == "name":
            found += _persons(text)
    rank = {k: i for i, k in enumerate(PII_TYPES)}
    kept: list[Span] = []
    for sp in sorted(found, key=lambda s: (-(s.end - s.start), rank[s.kind], s.start)):
        if all(sp.end <= k.start or sp.start >= k.end for k in kept):
            kept.append(sp)
    return sorted(kept, key=lambda s: s.start)


def _token(span: Span, spec: PiiSpec, key: Optional[bytes]) -> str:
    if spec.mode == "placeholder":
        return PLACEHOLDERS[span.kind]
    value = " ".join(span.value.split()).casefold() if span.kind == "name" else span.value
    digest = hmac.new(key, f"{span.kind}\0{value}".encode(), hashlib.sha256).hexdigest()
    return f"<{span.kind.upper()}:{digest[:spec.hash_chars]}>"


def mask_text(text: str, spec: PiiSpec = PiiSpec(), key: Optional[bytes] = None) -> tuple[str, Counter]:
    """``text`` with personal data replaced, and the number of replacements per type
    (``key``: the HMAC key of ``mode: hash``)."""
    _check_key(spec, key)
    spans = find_pii(text, spec)
    parts, pos = [], 0
    for sp in spans:
        parts += [text[pos:sp.start], _token(sp, spec, key)]
        pos = sp.end
    parts.append(text[pos:])
    return "".join(parts), Counter(sp.kind for sp in spans)


def mask_texts(texts: Iterable[str], spec: PiiSpec = PiiSpec(), key: Optional[bytes] = None
               ) -> tuple[list[str], Counter]:
    out, total = [], Counter()
    for t in texts:
        masked, counts = mask_text(t, spec, key)
        out.append(masked)
        total.update(counts)
    return out, total


def mask_frame(df: pd.DataFrame, fields: Sequence[str], spec: PiiSpec = PiiSpec(), key: Optional[bytes] = None
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A copy of ``df`` with ``fields`` masked (missing values left missing), and a
    DataFrame ``field, type, replacements, rows`` (rows: rows with at least one)."""
    _check_key(spec, key)
    missing = [f for f in fields if f not in df.columns]
    if missing:
        raise ValueError(f"text fields {missing} are not columns of the data ({', '.join(map(str, df.columns))})")
    out, rows = df.copy(), []
    for f in fields:
        masked, per_type, touched = [], Counter(), Counter()
        for v in df[f]:
            if not isinstance(v, str):
                masked.append(v)
                continue
            m, counts = mask_text(v, spec, key)
            masked.append(m)
            per_type.update(counts)
            touched.update(counts.keys())
        out[f] = masked
        rows += [{"field": f, "type": t, "replacements": per_type[t], "rows": touched[t]} for t in spec.types]
    return out, pd.DataFrame(rows, columns=["field", "type", "replacements", "rows"])
