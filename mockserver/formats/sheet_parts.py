"""The pre-scan of an uploaded .xlsx: what openpyxl would parse, counted in the raw XML first.

Bytes, not objects: a 50 MB part is scanned in about a second, so an absurd sheet is
refused before openpyxl spends minutes and gigabytes on it (one row of 2.8 million cells
took 83 s and 1.7 GB, a huge shared-strings table 67 s, a sheet without a <dimension> a
full parse before the row limit was reached). Tags may carry a namespace prefix (<x:c>),
as the Open XML SDK writes.

Parts are found as Excel and openpyxl find them, not by their usual names: through
`[Content_Types].xml` (an Override's content type) and the relationships (`_rels/.rels`
to the workbook, the workbook's own .rels to its worksheets and shared strings). A
worksheet renamed `xl/x/data.bin` gets the same limits as `xl/worksheets/sheet1.xml`
(issue 30, row 14: a renamed part bypassed the scan, 22.7 s and +1.3 GB for 1 MB).

A shared string is written once and may be pointed at by every cell: a 32 KB file
repeating one long text expanded to gigabytes of cell text (row 13: 50-55 s of CPU). So
each shared string's length is measured, and the cells that point at them add up their
lengths; past IMPORT_MAX_TEXT the sheet is refused before openpyxl runs.
"""

import posixpath
import re
import zipfile
from collections.abc import Iterable

from ..defaults import IMPORT_MAX_TEXT


class PrescanError(ValueError):
    """The sheet is refused before it is parsed; the message says why."""


MAX_CELLS_A_ROW = 1024  # an import reads 5 columns; an export of another system may have dozens
MAX_CELLS = 1_000_000  # 10,000 rows of 64 columns took openpyxl 2.4 s here (--import-max-rows raises it)
STRINGS_A_ROW = 16  # shared strings allowed per row the import may read
MAX_INDEX_PART = 1024 * 1024  # [Content_Types].xml or a .rels: a few KB in any real workbook
_CHUNK = 1024 * 1024
_CARRY = 1100  # the longest tag read whole (an attribute list is read up to 1,024 bytes)
_SHEET_TAGS = re.compile(rb"<(?:\w+:)?(row|c|v)([\s>/][^<>]{0,1024})")
_SHARED_S = re.compile(rb"""\bt\s*=\s*["']s["']""")
_STRING_TAG = re.compile(rb"<(?:\w+:)?(si)[\s>/]")
_ELEMENT = re.compile(rb"<(?:\w+:)?(Override|Relationship)\b([^<>]*)>")
_ATTRIBUTE = re.compile(rb"""(\w+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_WORKSHEET = (b".worksheet+xml", b"/worksheet")  # a content type's end, a relationship type's end
_SHARED_STRINGS = (b".sharedStrings+xml", b"/sharedStrings")
_WORKBOOK = (b".main+xml", b"/officeDocument")


def prescan(archive: zipfile.ZipFile, most_rows: int, max_rows: int, max_text: int = IMPORT_MAX_TEXT) -> None:
    """PrescanError when a worksheet or the shared strings would cost more than an import
    of `max_rows` customers (read up to `most_rows` rows) can use, or its cells point at
    more than `max_text` bytes of shared texts."""
    worksheets, shared = parts(archive)
    most_strings = most_rows * STRINGS_A_ROW
    lengths: list[int] = []
    for name in shared:
        found = _string_lengths(archive, name, most_strings)
        if len(found) > most_strings:
            raise PrescanError(
                f"holds more than {most_strings:,} distinct texts, more than {max_rows:,} customers could use: "
                "refused before reading it"
            )
        lengths = _longest(lengths, found)
    for name in worksheets:
        _scan_sheet(archive, name, most_rows, max_rows, lengths, max_text)


def _longest(a: list[int], b: list[int]) -> list[int]:
    """Each index's longer string of two shared-strings parts (openpyxl reads one: a bound)."""
    return [max(x, y) for x, y in zip(a, b, strict=False)] + a[len(b) :] + b[len(a) :]


def parts(archive: zipfile.ZipFile) -> tuple[list[str], list[str]]:
    """The worksheets and shared-strings parts, by zip name: those the content types and
    the relationships name, and those under their usual names."""
    names = {info.filename.lower(): info.filename for info in archive.infolist()}
    worksheets = {n for low, n in names.items() if low.startswith("xl/worksheets/") and low.endswith(".xml")}
    shared = {n for low, n in names.items() if low == "xl/sharedstrings.xml"}
    workbooks = {names[low] for low in ("xl/workbook.xml",) if low in names}
    for attributes in _elements(archive, names.get("[content_types].xml"), "/"):
        kind, target = attributes.get(b"ContentType", b""), _part(attributes.get(b"PartName", b""), "/", names)
        _sort(kind, target, worksheets, shared, workbooks)
    for attributes in _elements(archive, names.get("_rels/.rels"), "/"):
        _sort(attributes.get(b"Type", b""), _target(attributes, "/", names), set(), set(), workbooks)
    for workbook in sorted(workbooks):
        folder, base = posixpath.split(workbook)
        rels = names.get(posixpath.join(folder, "_rels", base + ".rels").lower())
        for attributes in _elements(archive, rels, "/" + folder):
            _sort(attributes.get(b"Type", b""), _target(attributes, "/" + folder, names), worksheets, shared, set())
    return sorted(worksheets), sorted(shared)


def _sort(kind: bytes, name: str | None, worksheets: set[str], shared: set[str], workbooks: set[str]) -> None:
    if name is None:
        return
    if kind.endswith(_WORKSHEET):
        worksheets.add(name)
    elif kind.endswith(_SHARED_STRINGS):
        shared.add(name)
    elif kind.endswith(_WORKBOOK):
        workbooks.add(name)


def _elements(archive: zipfile.ZipFile, name: str | None, folder: str) -> Iterable[dict[bytes, bytes]]:
    """The attributes of each <Override> or <Relationship> of a small index part."""
    if name is None:
        return
    if archive.getinfo(name).file_size > MAX_INDEX_PART:
        raise PrescanError(f"holds {name}, over {MAX_INDEX_PART:,} bytes: refused before reading it")
    for element in _ELEMENT.finditer(archive.read(name)):
        yield {m[1]: m[2] if m[2] is not None else m[3] for m in _ATTRIBUTE.finditer(element[2])}


def _target(attributes: dict[bytes, bytes], folder: str, names: dict[str, str]) -> str | None:
    if attributes.get(b"TargetMode", b"").lower() == b"external":
        return None
    return _part(attributes.get(b"Target", b""), folder, names)


def _part(reference: bytes, folder: str, names: dict[str, str]) -> str | None:
    """The zip name of a part named relative to `folder` (or absolute), if the zip has it."""
    text = reference.decode("utf-8", "replace").replace("\\", "/")
    path = posixpath.normpath(text if text.startswith("/") else posixpath.join(folder, text))
    return names.get(path.lstrip("/").lower())


def _string_lengths(archive: zipfile.ZipFile, name: str, most: int) -> list[int]:
    """Each shared string's length in bytes of XML (its markup included: a bound), counting
    stopped once past `most`."""
    starts: list[int] = []
    for offset, _ in _matches(archive, name, _STRING_TAG):
        starts.append(offset)
        if len(starts) > most:
            break
    end = archive.getinfo(name).file_size
    return [b - a for a, b in zip(starts, [*starts[1:], end], strict=True)]


def _scan_sheet(
    archive: zipfile.ZipFile, name: str, most_rows: int, max_rows: int, lengths: list[int], max_text: int
) -> None:
    rows, cells, total, text, shared_cell = 0, 0, 0, 0, False
    most_cells = max(MAX_CELLS, most_rows * 8)
    for _, match in _matches(archive, name, _SHEET_TAGS):
        tag = match[1]
        if tag == b"v":
            if shared_cell and (index := match[2][1:].strip()).isdigit() and int(index) < len(lengths):
                text += lengths[int(index)]
                if text > max_text:
                    raise PrescanError(
                        f"has cells whose shared texts add up to more than {max_text:,} bytes (one long "
                        f"text repeated?), more than an import of {max_rows:,} customers reads: refused before "
                        "reading it"
                    )
            shared_cell = False
        elif tag == b"row":
            rows, cells = rows + 1, 0
            if rows > most_rows:
                raise PrescanError(f"has more than {most_rows:,} rows; an import reads at most {max_rows:,} customers")
        else:
            cells, total = cells + 1, total + 1
            shared_cell = _SHARED_S.search(match[2]) is not None
            if total > most_cells:
                raise PrescanError(
                    f"has more than {most_cells:,} cells, more than an import of {max_rows:,} customers reads: "
                    "refused before reading it"
                )
            if cells > MAX_CELLS_A_ROW:
                raise PrescanError(
                    f"has a row (row {rows:,} of the sheet) of more than {MAX_CELLS_A_ROW:,} cells; an import reads "
                    "64 columns at most (its own are five): refused before reading it"
                )


def _matches(archive: zipfile.ZipFile, name: str, tag: re.Pattern) -> Iterable[tuple[int, re.Match]]:
    """Each `tag` in a zip part with its offset, read a chunk at a time (a tag cut by a
    chunk's end is carried into the next)."""
    carry, base = b"", 0  # base: the part's offset of carry's first byte
    with archive.open(name) as part:
        while chunk := part.read(_CHUNK):
            text = carry + chunk
            cut = text.rfind(b"<")
            cut = cut if cut >= 0 and len(text) - cut < _CARRY else len(text)
            for match in tag.finditer(text, 0, cut):
                yield base + match.start(), match
            carry, base = text[cut:], base + cut
    for match in tag.finditer(carry + b" "):
        yield base + match.start(), match
