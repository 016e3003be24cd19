"""Personal data masked before labeling: literal inputs, exact outputs, keyed hashes that
still join, counts per type, and the YouTube comments against scrubadub's URL detector."""
from __future__ import annotations

import hashlib
import hmac
from collections import Counter

import pandas as pd
import pytest

from datalife.labeling.quality.pii import PiiSpec, find_pii, mask_frame, mask_text
from conftest import shared_dataset

CASES = [
    ("Mail Joe.Bloggs+yt@Example.co.uk or visit https://www.example.com/path?a=1. Thanks!",
     "Mail <EMAIL> or visit <URL>. Thanks!", {"email": 1, "url": 1}),
    ("Call +44 20 7946 0958 or (415) 555-2671; 2.124.821.694 views, pub=5575096797",
     "Call <PHONE> or <PHONE>; 2.124.821.694 views, pub=5575096797", {"phone": 2}),
    ("Card 4111 1111 1111 1111, not 4111 1111 1111 1112; also 4012-8888-8888-1881 and 378282246310005.",
     "Card <CREDIT_CARD>, not 4111 1111 1111 1112; also <CREDIT_CARD> and <CREDIT_CARD>.", {"credit_card": 3}),
    ("IBAN DE89 3704 0044 0532 0130 00 OK and GB82WEST12345698765432, bad DE89 3704 0044 0532 0130 01",
     "IBAN <IBAN> OK and <IBAN>, bad DE89 3704 0044 0532 0130 01", {"iban": 2}),
    ("Dr. Watson met Mr Sherlock Holmes; my name is Mary and I'm Happy. John Smith says hi.",
     "Dr. <NAME> met Mr <NAME>; my name is <NAME> and I'm Happy. <NAME> says hi.", {"name": 4}),
    ("Shakira rocks, check out my channel www.youtube.com/user/foo! or example.com",
     "Shakira rocks, check out my channel <URL>! or example.com", {"url": 1}),
    ("write to me at home dot com, horrible at acting", "write to me at home dot com, horrible at acting", {}),
    ("", "", {}),
]


@pytest.mark.parametrize("text,masked,counts", CASES)
def test_placeholders(text, masked, counts):
    assert mask_text(text) == (masked, Counter(counts))


def test_misses_are_what_the_docs_say():
    # a name not in the lists, a lower-case name, a national number of another region,
    # a UnionPay card (62...), a lower-case IBAN: not masked
    text = "shakira and john smith, 020 7946 0958, 6212345678901232, de89370400440532013000"
    assert mask_text(text) == (text, Counter())
    # the same UK number is found when the region is the UK
    assert mask_text("ring 020 7946 0958", PiiSpec(region="GB")) == ("ring <PHONE>", Counter(phone=1))


def test_keyed_hash_joins_equal_values_across_spellings():
    key = b"a secret from the environment"
    spec = PiiSpec(mode="hash")
    a, _ = mask_text("call +1 415-555-2671 or JOE@example.com", spec, key)
    b, _ = mask_text("call (415) 555 2671 or joe@example.com", spec, key)
    assert a == b
    digest = hmac.new(key, b"phone\0+14155552671", hashlib.sha256).hexdigest()[:12]
    email = hmac.new(key, b"email\0joe@example.com", hashlib.sha256).hexdigest()[:12]
    assert a == f"call <PHONE:{digest}> or <EMAIL:{email}>"
    other, _ = mask_text("call (415) 555 2671", spec, b"another key")
    assert digest not in other
    for no_key in (None, b""):
        with pytest.raises(ValueError, match="PII mode 'hash' needs a non-empty key"):
            mask_text("call (415) 555 2671", spec, no_key)
    with pytest.raises(ValueError, match=r"types.1\n  Input should be 'email', 'url', 'iban', 'credit_card', "):
        PiiSpec(types=("email", "ssn"))
    assert "key" not in PiiSpec.model_fields  # the key is never part of a config


def test_only_the_chosen_types_and_overlaps():
    text = "see https://x-shop.com/joe@example.com and joe@example.com"
    assert mask_text(text, PiiSpec(types=("email",))) == ("see https://x-shop.com/<EMAIL> and <EMAIL>",
                                                          Counter(email=2))
    assert mask_text(text) == ("see <URL> and <EMAIL>", Counter(url=1, email=1))  # the longer span wins
    spans = find_pii("IBAN GB82 WEST 1234 5698 7654 32")
    assert [(s.kind, s.text, s.value) for s in spans] == [("iban", "GB82 WEST 1234 5698 7654 32",
                                                           "GB82WEST12345698765432")]


def test_mask_frame_counts_per_field_and_type():
    df = pd.DataFrame({"text": ["mail a@b.org", None, "Mr Bean at www.bean.tv and c@d.org"], "n": [1, 2, 3]})
    out, counts = mask_frame(df, ["text"])
    assert out["text"].tolist() == ["mail <EMAIL>", None, "Mr <NAME> at <URL> and <EMAIL>"]
    assert out["n"].tolist() == [1, 2, 3] and df["text"][0] == "mail a@b.org"  # the input is not changed
    got = counts.set_index("type")
    assert got.loc["email", "replacements"] == 2 and got.loc["email", "rows"] == 2
    assert (got.loc["name", "replacements"], got.loc["url", "replacements"], got.loc["phone", "replacements"]) \
        == (1, 1, 0)
    with pytest.raises(ValueError, match=r"text fields \['body'\] are not columns of the data \(text, n\)"):
        mask_frame(df, ["body"])


def test_youtube_comments_urls_agree_with_scrubadub():
    from scrubadub.detectors import UrlDetector

    df = pd.concat([pd.read_csv(p) for p in sorted(shared_dataset("youtube_spam").glob("*.csv"))], ignore_index=True)
    out, counts = mask_frame(df, ["CONTENT"])
    detector = UrlDetector()
    expected = sum(1 for t in df["CONTENT"] for _ in detector.iter_filth(t))
    got = counts.set_index("type")["replacements"]
    assert got["url"] == expected == 258
    # measured: no e-mail, card or IBAN; one phone (+447935454150); 23 names
    assert (got["email"], got["credit_card"], got["iban"], got["phone"], got["name"]) == (0, 0, 0, 1, 23)
    assert not out["CONTENT"].str.contains(r"https?://", regex=True).any()
