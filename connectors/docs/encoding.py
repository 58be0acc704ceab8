"""Bytes to text: BOMs, UTF-8, UTF-16 without a BOM, then charset detection.

charset-normalizer reads Shift_JIS as cp932 and EUC-JP correctly, but takes
short Western European text for cp1250; when it names a single-byte Latin code
page and cp1252 decodes cleanly, cp1252 (what Windows writes) wins.
"""

from __future__ import annotations

import codecs

import charset_normalizer

from connectors.errors import DocumentError

__all__ = ["BinaryContent", "decode_bytes"]

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_LATIN = {"cp1250", "cp1251", "cp1253", "cp1254", "cp1257", "latin_1", "iso8859_15",
          "iso8859_2", "iso8859_9", "mac_roman", "cp1252"}
_ALLOWED_CONTROLS = set("\n\r\t\f\v")


class BinaryContent(DocumentError):
    """The bytes are not text in any encoding we recognise."""


def _utf16_without_bom(data: bytes) -> str | None:
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even = sample[0::2].count(0) / (len(sample) / 2)
    odd = sample[1::2].count(0) / (len(sample) / 2)
    for ratio_nul, encoding in ((odd, "utf-16-le"), (even, "utf-16-be")):
        if ratio_nul > 0.3 and (even if encoding == "utf-16-le" else odd) < 0.05:
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                return None
    return None


def _looks_textual(text: str) -> bool:
    if not text:
        return True
    controls = sum(1 for c in text[:20_000] if ord(c) < 32 and c not in _ALLOWED_CONTROLS)
    return controls / min(len(text), 20_000) < 0.01 and "\x00" not in text[:20_000]


def _detect(data: bytes) -> str | None:
    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        return None
    if best.encoding in _LATIN:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            pass
    return str(best)


def decode_bytes(data: bytes) -> str:
    """Decode a text file's bytes; raise :class:`BinaryContent` when they are not text."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    text = _utf16_without_bom(data) if b"\x00" in data[:4096] else None
    if text is None:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = _detect(data)
    if text is None or not _looks_textual(text):
        raise BinaryContent("binary content, not text (is the file extension wrong?)")
    return text
