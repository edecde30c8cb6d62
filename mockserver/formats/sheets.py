"""Spreadsheets in and out: a table read from an uploaded .xlsx, and .xlsx or CSV written.

An upload is untrusted, so a file is checked before openpyxl opens it, and what openpyxl
would do on its own is bounded:
- the zip is measured first: openpyxl has no limit, and a 200 KB file that unpacks to
  200 MB of XML costs that much memory even in read-only mode (measured with openpyxl 3.1);
- XML entities are refused by defusedxml, which openpyxl uses when it is installed;
- the sheet's declared <dimension> is ignored: read-only mode stops at its last row, so a
  stale one would drop customers silently;
- rows are read only MAX_COLUMNS wide (openpyxl builds a row as wide as its last cell, and
  a cell in column XFD costs 25 bytes of XML and 16,384 list slots), and only as far
  as the row limit: a cell at row 1,048,576 is reached through a million blank rows.
"""

import csv
import io
import shutil
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..defaults import IMPORT_MAX_TEXT
from .sheet_parts import PrescanError, prescan

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"
# openpyxl is imported by the functions that use it: imported here, it was a fifth of a
# server worker's start (0.2 s), for an import or export that may never come.
if TYPE_CHECKING:
    from openpyxl.cell import WriteOnlyCell

MAX_COLUMNS = 64  # an import sheet has five; a wider one is read as its first 64 columns
MAX_UNZIPPED = 50 * 1024 * 1024  # a 10,000-customer sheet unpacks to about 2 MB
MAX_RATIO = 100  # sheets of real data compress 5-20x; bombs thousands of times
_RATIO_FROM = 1024 * 1024  # small parts (styles, a few repeated rows) may compress well
_BLANK_ROWS = 1000  # blank rows tolerated between and around the data
_ZIP = b"PK\x03\x04"
_EMPTY_ZIP = b"PK\x05\x06"
_OLE = bytes.fromhex("D0CF11E0A1B11AE1")  # Office's compound file: .xls, or an encrypted .xlsx
_ENCRYPTED = "EncryptionInfo".encode("utf-16-le")  # the stream an encrypted workbook holds


class SheetError(ValueError):
    """The upload cannot be read as a sheet; the message says why, to the person who sent it."""


@dataclass(frozen=True)
class Table:
    header_row: int  # the spreadsheet's row number of the header
    headers: tuple[str, ...]  # stripped; "" for an empty header cell
    rows: list[tuple[int, tuple[Any, ...]]]  # (row number, cells) of each non-blank row under the header


def read_table(data: bytes, max_rows: int, max_text: int = IMPORT_MAX_TEXT) -> Table:
    """The first worksheet's header (its first non-blank row) and the rows under it; `max_text`:
    the bytes of shared texts its cells may point at (sheet_parts.py)."""
    _check_container(data)
    _prescan(data, max_rows, max_text)
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except MemoryError:  # the reader's limit, not the sheet's shape (sheet_worker.py)
        raise
    except Exception as e:  # openpyxl raises a zoo (KeyError, ValueError, BadZipFile, ...)
        raise SheetError(_unreadable(e)) from e
    try:
        if not workbook.worksheets:
            raise SheetError("has no worksheet: the customers must be on a worksheet, with a header row")
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()
        return _table(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), max_rows)
    except (SheetError, MemoryError):
        raise
    except Exception as e:  # a malformed part found only when it is read
        raise SheetError(_unreadable(e)) from e
    finally:
        workbook.close()


def _check_container(data: bytes) -> None:
    if not data:
        raise SheetError("is empty: choose the .xlsx file to upload")
    if data.startswith(_OLE):
        if _ENCRYPTED in data:
            raise SheetError(
                "is password-protected: open it in Excel, remove the password "
                "(File > Info > Protect Workbook > Encrypt with Password), save, and upload it again"
            )
        raise SheetError(
            "is an Excel 97-2003 workbook (.xls): save it as an Excel Workbook (.xlsx) and upload it again"
        )
    if not data.startswith((_ZIP, _EMPTY_ZIP)):
        raise SheetError("is not an .xlsx workbook (an .xlsx file is a zip archive; this is not one)")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except zipfile.BadZipFile as e:
        raise SheetError(f"is not a readable .xlsx workbook: the zip archive is corrupt or cut short ({e})") from e
    except NotImplementedError as e:  # a part that asks for a newer zip than any Excel writes
        raise SheetError(f"is not a readable .xlsx workbook: the zip archive is damaged ({e})") from e
    if "[Content_Types].xml" not in {part.filename for part in parts}:
        raise SheetError("is a zip archive but not an .xlsx workbook (it has no [Content_Types].xml)")
    unpacked = sum(part.file_size for part in parts)
    if unpacked > MAX_UNZIPPED:
        raise SheetError(
            f"unpacks to {unpacked:,} bytes, over the limit of {MAX_UNZIPPED:,}: refused as a decompression bomb"
        )
    for part in parts:
        if part.file_size > _RATIO_FROM and part.file_size > MAX_RATIO * max(part.compress_size, 1):
            raise SheetError(
                f"holds {part.filename}, compressed {part.file_size // max(part.compress_size, 1):,} to 1 "
                f"(the limit is {MAX_RATIO} to 1): refused as a decompression bomb"
            )


def _prescan(data: bytes, max_rows: int, max_text: int) -> None:
    """What openpyxl would parse, counted first in the raw XML (sheet_parts.py)."""
    most_rows = max_rows + 2 * _BLANK_ROWS + 1  # what _table would still read past
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            prescan(archive, most_rows, max_rows, max_text)
    except MemoryError:  # the reader's limit, not the sheet's shape (sheet_worker.py)
        raise
    except PrescanError as e:
        raise SheetError(str(e)) from e
    except Exception as e:  # a part the zip cannot give back: corrupt, cut short, odd method
        raise SheetError(_unreadable(e)) from e


def _table(rows: Iterable[tuple[Any, ...]], max_rows: int) -> Table:
    header_row, headers = 0, tuple[str, ...]()
    found: list[tuple[int, tuple[Any, ...]]] = []
    for number, cells in enumerate(rows, start=1):
        if not header_row:
            if number > _BLANK_ROWS:
                break
            if not all(is_blank(cell) for cell in cells):
                header_row, headers = number, tuple("" if is_blank(c) else str(c).strip() for c in cells)
                while not headers[-1]:
                    headers = headers[:-1]
            continue
        cells = cells[: len(headers)]  # a value under no header belongs to no column
        blank = all(is_blank(cell) for cell in cells)
        if number > header_row + max_rows + _BLANK_ROWS:
            raise SheetError(f"has rows past row {number - 1:,}; an import reads at most {max_rows:,} customers")
        if blank:
            continue
        if len(found) == max_rows:
            raise SheetError(f"has more than {max_rows:,} customer rows, the most one import takes")
        found.append((number, cells))
    if not header_row:
        raise SheetError(
            f"has no header row: its first worksheet is empty (in its first {_BLANK_ROWS:,} rows at least)"
        )
    return Table(header_row, headers, found)


def is_blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _unreadable(e: Exception) -> str:
    cause: BaseException | None = e
    while cause is not None:  # openpyxl wraps what it met in a ValueError of its own
        if type(cause).__module__.startswith("defusedxml"):
            return "holds XML with entity declarations, which are refused (they can expand without bound)"
        cause = cause.__cause__ or cause.__context__
    return f"is not a readable .xlsx workbook ({type(e).__name__}: {e})"


def column_letter(index: int) -> str:
    """0 -> A: how a spreadsheet names a column."""
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


# -- writing


def xlsx_bytes(
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    money: Sequence[str] = (),
    made: datetime | None = None,
) -> bytes:
    """A one-sheet workbook; columns named in `money` get a number format with cents. Made
    at `made` (the mock's clock; else now): its properties and every part of the zip bear
    that time, so the same rows made at the same time are the same bytes."""
    import openpyxl
    from openpyxl.utils import get_column_letter
    from openpyxl.writer.excel import ExcelWriter

    workbook = openpyxl.Workbook(write_only=True)  # streams rows: an export of many costs little memory
    sheet = workbook.create_sheet(title[:31])  # Excel's limit on a sheet's name
    for index, header in enumerate(headers):
        sheet.column_dimensions[get_column_letter(index + 1)].width = 18 if header in money else 28
    cell = _cell_maker(sheet)
    sheet.append([cell(header, bold=True) for header in headers])
    money_columns = {headers.index(name) for name in money}
    for row in rows:
        sheet.append([cell(value, money=i in money_columns) for i, value in enumerate(row)])
    made = (made or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None, microsecond=0)
    workbook.properties.created = workbook.properties.modified = made
    buffer = io.BytesIO()
    # openpyxl's save() stamps the file's properties and each zip part with the wall clock (a
    # sheet with its temp file's time): an export made twice in a second differed
    with _Stamped(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        archive.stamp = (max(made.year, 1980), *made.timetuple()[1:6])  # zip's dates start in 1980
        ExcelWriter(workbook, archive).save()
    return buffer.getvalue()


class _Stamped(zipfile.ZipFile):
    """A zip whose parts all bear one time."""

    stamp: tuple[int, int, int, int, int, int]

    def writestr(self, zinfo_or_arcname: Any, data: Any, compress_type: Any = None, compresslevel: Any = None) -> None:
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zinfo_or_arcname = self._info(zinfo_or_arcname)
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename: Any, arcname: Any = None, compress_type: Any = None, compresslevel: Any = None) -> None:
        with open(filename, "rb") as source, self.open(self._info(arcname or filename), "w") as part:
            shutil.copyfileobj(source, part, 1024 * 1024)

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, self.stamp)
        info.compress_type = self.compression
        info.external_attr = 0o600 << 16
        return info


def _cell_maker(sheet: Any) -> Callable[..., "WriteOnlyCell"]:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    def cell(value: Any, bold: bool = False, money: bool = False) -> WriteOnlyCell:
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)  # control characters cannot be in an .xlsx
        made = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            made.data_type = "s"  # text, even "=1+1": a customer's name must not become a formula
        if bold:
            made.font = Font(bold=True)
        if money:
            made.number_format = "#,##0.00"
        return made

    return cell


def csv_bytes(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with a byte-order mark, the one form of CSV Excel opens with non-ASCII names
    intact; lines end in CRLF as RFC 4180 has them."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows([_csv_cell(value) for value in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


# A text cell starting with one of these is a formula to Excel and LibreOffice, which run
# it when the file is opened (CSV injection). OWASP's advice: prefix such a cell with a
# single quote, which shows the text as written. Numbers are numbers and stay as they are.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value
