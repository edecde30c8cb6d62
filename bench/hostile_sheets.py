"""Spreadsheets made to hurt an importer, each small on the wire and under the zip checks
(50 MB unpacked, 100:1 per part): written as raw XML, the way an attacker would, since no
spreadsheet program writes them. Used by tests/test_availability.py (small sizes) and
bench/benchmark.py (the sizes that hurt)."""

import io
import zipfile

from mockserver.schemas.customer_sheet import COLUMNS

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Customers" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
    'Target="sharedStrings.xml"/></Relationships>'
)
_MAIN = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
HEADER = COLUMNS  # the import's own columns, so a sheet is read past its header


def workbook(rows_xml: str, strings: list[str], dimension: str | None = "A1") -> bytes:
    """A one-sheet .xlsx of `rows_xml` (the <row>s) and the shared `strings` (the header's
    five first), with a <dimension> only if one is given."""
    shared = [*HEADER, *strings]
    header = "".join(f'<c t="s"><v>{i}</v></c>' for i in range(len(HEADER)))
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    sheet = f"<worksheet {_MAIN}>{dim}<sheetData><row>{header}</row>{rows_xml}</sheetData></worksheet>"
    table = "".join(f"<si><t>{text}</t></si>" for text in shared)
    strings_xml = f'<sst {_MAIN} count="{len(shared)}" uniqueCount="{len(shared)}">{table}</sst>'
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        archive.writestr("xl/sharedStrings.xml", strings_xml)
    return buffer.getvalue()


def amplifying(rows: int = 1000, size: int = 100_000) -> bytes:
    """One long text, pointed at by the phone, e-mail and amount cells of every row: each
    bad cell's message used to quote it whole."""
    long = "".join(chr(65 + (i * 7919) % 26) for i in range(size))  # varied, so it does not compress away
    the_long_one = f'<c t="s"><v>{len(HEADER)}</v></c>'
    name, address = '<c t="inlineStr"><is><t>Ama</t></is></c>', '<c t="inlineStr"><is><t>x</t></is></c>'
    row = f"<row>{name}{the_long_one}{the_long_one}{address}{the_long_one}</row>"
    return workbook(row * rows, [long])


def wide_row(cells: int) -> bytes:
    """A first data row of `cells` cells, each a different number."""
    row = "".join(f"<c><v>{i}</v></c>" for i in range(cells))
    return workbook(f"<row>{row}</row>", [])


def many_strings(count: int) -> bytes:
    """A shared-strings table of `count` different texts, none of them used."""
    return workbook('<row><c t="inlineStr"><is><t>Ama</t></is></c></row>', [f"s{i:x}" for i in range(count)])


def no_dimension(rows: int) -> bytes:
    """`rows` customer rows and no <dimension>: a reader must count them itself."""
    row = '<row><c t="inlineStr"><is><t>Ama {}</t></is></c></row>'
    return workbook("".join(row.format(i) for i in range(rows)), [], dimension=None)


def renamed(data: bytes, sheet: str = "xl/data/rows.bin", strings: str = "xl/strs.dat") -> bytes:
    """The same workbook with its worksheet and shared strings under other part names, found
    through [Content_Types].xml and the workbook's relationships, as Excel finds them: a
    scan that went by the usual names missed them (issue 30, row 14)."""
    moves = {"xl/worksheets/sheet1.xml": sheet, "xl/sharedStrings.xml": strings}
    links = {b"/xl/worksheets/sheet1.xml": f"/{sheet}".encode(), b"/xl/sharedStrings.xml": f"/{strings}".encode()}
    links |= {b'"worksheets/sheet1.xml"': f'"/{sheet}"'.encode(), b'"sharedStrings.xml"': f'"/{strings}"'.encode()}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info)
            if info.filename in ("[Content_Types].xml", "xl/_rels/workbook.xml.rels"):
                for old, new in links.items():
                    content = content.replace(old, new)
            dst.writestr(moves.get(info.filename, info.filename), content)
    return out.getvalue()
