"""File loaders: Markdown, plain text, reStructuredText, HTML, PDF and DOCX.

Each turns a file's bytes into a :class:`LoadedDocument`: readable text, a title,
and sections carrying their heading path (and page, for PDF). Loaders are looked
up by file suffix in one dict. Every failure is a :class:`DocumentError` whose
message is the reason the file is skipped.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from connectors.docs.encoding import decode_bytes
from connectors.docs.models import LoadedDocument, Section
from connectors.errors import DocumentError

__all__ = ["LOADERS", "load_bytes", "load_document", "supported_suffixes"]

Block = tuple[tuple[str, ...], int | None, str]
"""(heading path, page, paragraph text): what format parsers produce."""


def _assemble(title: str, blocks: Iterable[Block]) -> LoadedDocument:
    """Join paragraphs into the full text, grouping consecutive ones into sections."""
    parts: list[str] = []
    sections: list[Section] = []
    offset = 0
    current: tuple[tuple[str, ...], int | None] | None = None
    section_start = 0
    section_parts: list[str] = []

    def close() -> None:
        if current is not None and section_parts:
            sections.append(Section(
                text="\n\n".join(section_parts), heading_path=current[0], page=current[1],
                start=section_start,
            ))

    for heading_path, page, text in blocks:
        text = text.strip()
        if not text:
            continue
        start = offset + (2 if parts else 0)
        if (heading_path, page) != current:
            close()
            current, section_parts, section_start = (heading_path, page), [], start
        parts.append(text)
        section_parts.append(text)
        offset = start + len(text)
    close()
    return LoadedDocument(title=title.strip(), text="\n\n".join(parts), sections=tuple(sections))


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


# --- Markdown -----------------------------------------------------------------------------

_ATX = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


def load_markdown(text: str, stem: str) -> LoadedDocument:
    title = ""
    front = re.match(r"^---\n(.*?)\n---\n", text, re.S)
    if front:
        found = re.search(r"^title:\s*[\"']?(.+?)[\"']?\s*$", front.group(1), re.M)
        title = found.group(1) if found else ""
        text = text[front.end():]
    lines = text.splitlines()
    headings: list[tuple[int, str]] = []
    blocks: list[Block] = []
    buffer: list[str] = []
    in_fence = False

    def path() -> tuple[str, ...]:
        return tuple(h for _, h in headings)

    def flush() -> None:
        for paragraph in _paragraphs("\n".join(buffer)):
            blocks.append((path(), None, paragraph))
        buffer.clear()

    def enter(level: int, heading: str) -> None:
        nonlocal title
        flush()
        while headings and headings[-1][0] >= level:
            headings.pop()
        headings.append((level, heading))
        if level == 1 and not title:
            title = heading
        blocks.append((path(), None, heading))

    i = 0
    while i < len(lines):
        line = lines[i]
        if _FENCE.match(line):
            in_fence = not in_fence
            buffer.append(line)
        elif not in_fence and (m := _ATX.match(line)):
            enter(len(m.group(1)), m.group(2))
        elif (not in_fence and line.strip() and i + 1 < len(lines)
              and re.fullmatch(r"=+|-+", lines[i + 1].strip()) and len(lines[i + 1].strip()) >= 3
              and not (buffer and buffer[-1].strip())):
            enter(1 if lines[i + 1].strip()[0] == "=" else 2, line.strip())
            i += 1
        else:
            buffer.append(line)
        i += 1
    flush()
    return _assemble(title or stem, blocks)


# --- reStructuredText --------------------------------------------------------------------

_ADORNMENT = re.compile(r"^([=\-~^\"'`#*+:.<>_])\1{2,}\s*$")


def load_rst(text: str, stem: str) -> LoadedDocument:
    lines = text.splitlines()
    styles: list[str] = []  # adornment styles in order of first use = heading levels
    headings: list[tuple[int, str]] = []
    blocks: list[Block] = []
    buffer: list[str] = []
    title = ""

    def flush() -> None:
        for paragraph in _paragraphs("\n".join(buffer)):
            blocks.append((tuple(h for _, h in headings), None, paragraph))
        buffer.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        over = _ADORNMENT.match(line)
        if (over and i + 2 < len(lines) and lines[i + 1].strip()
                and lines[i + 2].strip() == line.strip()):
            style, heading, i = "o" + line.strip()[0], lines[i + 1].strip(), i + 3
        elif (line.strip() and i + 1 < len(lines) and _ADORNMENT.match(lines[i + 1])
              and len(lines[i + 1].strip()) >= len(line.strip())):
            style, heading, i = "u" + lines[i + 1].strip()[0], line.strip(), i + 2
        else:
            buffer.append(line)
            i += 1
            continue
        flush()
        if style not in styles:
            styles.append(style)
        level = styles.index(style)
        while headings and headings[-1][0] >= level:
            headings.pop()
        headings.append((level, heading))
        title = title or heading
        blocks.append((tuple(h for _, h in headings), None, heading))
    flush()
    return _assemble(title or stem, blocks)


# --- plain text ---------------------------------------------------------------------------


def load_plain(text: str, stem: str) -> LoadedDocument:
    paragraphs = _paragraphs(text)
    first = paragraphs[0].splitlines()[0].strip() if paragraphs else ""
    title = first if 0 < len(first) <= 80 else stem
    return _assemble(title, (((), None, p) for p in paragraphs))


# --- HTML ---------------------------------------------------------------------------------

_BLOCK_TAGS = ["p", "div", "li", "pre", "blockquote", "table", "tr", "section", "article",
               "ul", "ol", "dl", "dt", "dd", "figcaption", "header", "footer", "main", "aside"]
_DROP_TAGS = ["script", "style", "noscript", "template", "svg", "iframe", "nav", "form"]
_MARK = "\ue000"  # a private-use character: never whitespace, never in real text


def load_html(text: str, stem: str) -> LoadedDocument:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "html.parser")
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    if soup.head:
        soup.head.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for cell in soup.find_all(["td", "th"]):
        cell.insert_after(" | ")
    for heading in soup.find_all(re.compile(r"^h[1-6]$")):
        words = " ".join(heading.get_text(" ").split())
        heading.replace_with(f"\n\n{_MARK}{heading.name[1]}{_MARK}{words}\n\n")
    for tag in soup.find_all(_BLOCK_TAGS):
        tag.insert_before("\n\n")
        tag.insert_after("\n\n")
    headings: list[tuple[int, str]] = []
    blocks: list[Block] = []
    for paragraph in _paragraphs(soup.get_text()):
        if paragraph.startswith(_MARK):
            _, level, words = paragraph.split(_MARK, 2)
            while headings and headings[-1][0] >= int(level):
                headings.pop()
            headings.append((int(level), words))
            title = title or words
            paragraph = words
        blocks.append((tuple(h for _, h in headings), None, " ".join(paragraph.split())))
    return _assemble(title or stem, blocks)


# --- PDF ----------------------------------------------------------------------------------


def load_pdf(data: bytes, stem: str) -> LoadedDocument:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except Exception:
                opened = 0
            if not opened:
                raise DocumentError("encrypted PDF (needs a password); decrypt it to index it")
        pages = [page.extract_text() or "" for page in reader.pages]
        outline = _pdf_outline(reader)
        meta_title = (reader.metadata.title if reader.metadata else None) or ""
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            OSError, RecursionError, AssertionError) as exc:
        raise DocumentError(f"not a readable PDF ({type(exc).__name__}: {exc})") from exc
    blocks: list[Block] = []
    for number, page_text in enumerate(pages, start=1):
        path = next((p for start, p in reversed(outline) if start <= number), ())
        for paragraph in _pdf_paragraphs(page_text):
            blocks.append((path, number, paragraph))
    first = next((b[2].splitlines()[0] for b in blocks), "")
    return _assemble(meta_title or (first if len(first) <= 80 else "") or stem, blocks)


def _pdf_paragraphs(text: str) -> list[str]:
    """pypdf gives one line per text line; blank lines or short lines end paragraphs."""
    paragraphs = _paragraphs(text)
    if len(paragraphs) > 1:
        return [" ".join(p.split()) for p in paragraphs]
    out: list[str] = []
    current: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        current.append(line)
        if len(line) < 60 or line.endswith((".", "。", ":", "!", "?")):
            out.append(" ".join(current))
            current = []
    if current:
        out.append(" ".join(current))
    return out


def _pdf_outline(reader: object) -> list[tuple[int, tuple[str, ...]]]:
    """(first page, heading path) for each bookmark, in page order."""
    found: list[tuple[int, tuple[str, ...]]] = []

    def walk(items: list[object], parents: tuple[str, ...]) -> None:
        last: tuple[str, ...] = parents
        for item in items:
            if isinstance(item, list):
                walk(item, last)
                continue
            title = str(getattr(item, "title", "") or "").strip()
            try:
                page = reader.get_destination_page_number(item) + 1  # type: ignore[attr-defined]
            except Exception:
                continue
            last = (*parents, title)
            found.append((page, last))

    try:
        walk(list(reader.outline), ())  # type: ignore[attr-defined]
    except Exception:
        return []
    return sorted(found, key=lambda entry: entry[0])


# --- DOCX ---------------------------------------------------------------------------------


def load_docx(data: bytes, stem: str) -> LoadedDocument:
    import zipfile

    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise DocumentError(f"not a readable DOCX ({type(exc).__name__}: {exc})") from exc
    title = document.core_properties.title or ""
    headings: list[tuple[int, str]] = []
    blocks: list[Block] = []
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            for row in item.rows:
                cells = " | ".join(c.text.strip() for c in row.cells if c.text.strip())
                blocks.append((tuple(h for _, h in headings), None, cells))
            continue
        assert isinstance(item, Paragraph)
        text = item.text.strip()
        style = (item.style.name if item.style is not None else "") or ""
        level = 0 if style == "Title" else int(m.group(1)) if (m := re.match(r"Heading (\d)", style)) else None
        if level is not None and text:
            title = title or text
            while headings and headings[-1][0] >= level:
                headings.pop()
            headings.append((level, text))
        blocks.append((tuple(h for _, h in headings), None, text))
    return _assemble(title or stem, blocks)


# --- dispatch -----------------------------------------------------------------------------

Loader = Callable[[bytes, str], LoadedDocument]


def _text_loader(parse: Callable[[str, str], LoadedDocument]) -> Loader:
    return lambda data, stem: parse(decode_bytes(data), stem)


LOADERS: dict[str, Loader] = {
    ".md": _text_loader(load_markdown),
    ".markdown": _text_loader(load_markdown),
    ".txt": _text_loader(load_plain),
    ".text": _text_loader(load_plain),
    ".rst": _text_loader(load_rst),
    ".html": _text_loader(load_html),
    ".htm": _text_loader(load_html),
    ".pdf": load_pdf,
    ".docx": load_docx,
}


def supported_suffixes() -> list[str]:
    return sorted(LOADERS)


def load_bytes(data: bytes, suffix: str, stem: str = "document") -> LoadedDocument:
    """Load a document from its bytes; the suffix picks the loader."""
    try:
        loader = LOADERS[suffix.lower()]
    except KeyError:
        raise DocumentError(
            f"unsupported file type '{suffix}'; supported: {', '.join(supported_suffixes())}"
        ) from None
    document = loader(data, stem)
    if not document.text.strip():
        raise DocumentError("no text in the file (empty, or a scanned PDF without a text layer)")
    return document


def load_document(path: Path) -> LoadedDocument:
    """Read and load one file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"cannot read the file: {exc.strerror or exc}") from exc
    return load_bytes(data, path.suffix, path.stem)
