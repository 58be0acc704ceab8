"""The document redactor: each built-in's positives and look-alikes, custom regexes, window edges."""

from __future__ import annotations

import pytest

from connectors.config import DocumentsSource, Redaction
from connectors.docs.redact import Redactor, iban_is_valid, redactors

ALL = Redactor([Redaction(pattern="email"), Redaction(pattern="phone"), Redaction(pattern="iban")])


def shown(text: str, redactor: Redactor = ALL) -> str:
    return redactor.redact(text)[0]


@pytest.mark.parametrize(
    "value",
    [
        "ann@example.com", "Ann.Lee+hr@Mail.Example.co.uk", "o'brien@acme.ie", "x_y-z@sub-domain.example.org",
        "jean @ exemple.fr", "ÉLODIE@exemple.fr",
    ],
)
def test_emails_are_redacted(value):
    text = f"Write to {value}, please."
    assert shown(text) == "Write to [redacted], please."


@pytest.mark.parametrize(
    "value",
    [
        "+44 20 7946 0958", "+1 (555) 123-4567", "0049 30 1234567", "(555) 123-4567", "555-123-4567",
        "030 1234567", "+33 1 42 68 53 00", "1-555-123-4567", "+81-3-1234-5678", "555.123.4567",
    ],
)
def test_phone_numbers_are_redacted(value):
    assert shown(f"Call {value} today") == "Call [redacted] today"


@pytest.mark.parametrize(
    "text",
    [
        "On 2024-01-15 we met.", "Meet at 15.01.2024 10:00.", "Version 1.2.3 shipped.", "Revenue was 1 234 567 EUR.",
        "Order 123456789 was shipped.", "In 1999 and 2024.", "Ticket #5551234567 is closed.", "See RFC 9728.",
        "SKU AB-123-4567-X", "10/11/24 was a Sunday.",
    ],
)
def test_look_alikes_are_left_alone(text):
    assert shown(text) == text


@pytest.mark.parametrize(
    "value", ["DE89 3704 0044 0532 0130 00", "GB82WEST12345698765432", "gb82 west 1234 5698 7654 32", "FR1420041010050500013M02606"]
)
def test_valid_ibans_are_redacted(value):
    assert shown(f"Pay to {value} by Friday.") == "Pay to [redacted] by Friday."


def test_an_iban_with_a_bad_checksum_is_not_an_iban():
    assert not iban_is_valid("DE89370400440532013001")
    assert iban_is_valid("DE89370400440532013000")
    text = "Ref DE89 3704 0044 0532 0130 01 is wrong."
    assert shown(text, Redactor([Redaction(pattern="iban")])) == text


def test_custom_regexes_and_replacements():
    r = Redactor([Redaction(regex=r"EMP-\d{5}", replacement="<employee>"), Redaction(pattern="email", replacement="<mail>")])
    text, count = r.redact("EMP-12345 (ann@acme.test) and EMP-99999")
    assert text == "<employee> (<mail>) and <employee>" and count == 3


def test_overlapping_matches_merge_into_one_replacement():
    r = Redactor([Redaction(pattern="phone"), Redaction(pattern="iban", replacement="<iban>")])
    # The IBAN's digit groups read as a phone number too: one span, the IBAN's replacement.
    assert r.redact("IBAN DE89 3704 0044 0532 0130 00.")[0] == "IBAN <iban>."


@pytest.mark.parametrize("start", range(0, 40, 3))
def test_a_window_cut_through_a_value_shows_no_fragment_of_it(start):
    document = "Contact: ann.lee@example.com or +44 20 7946 0958 now."
    window = ALL.redact_window(document, start, start + 12)
    for fragment in ("ann", "lee@", "example", "7946", "0958"):
        assert fragment not in window, (start, window)


def test_windows_join_to_the_redacted_whole():
    document = ("Intro. " * 50) + "Mail ann@example.com, phone +1 555 123 4567. " + ("Tail. " * 50)
    whole = ALL.redact(document)[0]
    pieces = "".join(ALL.redact_window(document, i, i + 17) for i in range(0, len(document), 17))
    assert pieces.replace("[redacted][redacted]", "[redacted]") == whole


def test_no_rules_changes_nothing_and_redactors_keeps_only_sources_with_rules(tmp_path):
    assert Redactor([]).redact("ann@example.com") == ("ann@example.com", 0)
    sources = [DocumentsSource(name="hr", paths=[tmp_path], redact=[{"pattern": "email"}]),
               DocumentsSource(name="wiki", paths=[tmp_path])]
    assert list(redactors(sources)) == ["hr"]


@pytest.mark.parametrize("bad", [{"pattern": "email", "regex": "x"}, {}, {"regex": "("}, {"regex": "a*"}])
def test_a_bad_rule_is_a_config_error(bad):
    with pytest.raises(ValueError):
        Redaction(**bad)
