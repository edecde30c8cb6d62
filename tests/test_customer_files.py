"""Customers to and from spreadsheets: the import (all or nothing, every hostile file
refused) and the export (xlsx or CSV), with real files made by openpyxl."""

import csv
import io
import multiprocessing
import os
import re
import signal
import time
import zipfile
from datetime import datetime

import hypothesis.strategies as st
import msoffcrypto.format.ooxml
import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings

from mockserver.formats import sheet_worker, sheets
from mockserver.formats.sheet_parts import parts
from mockserver.schemas.customer_sheet import COLUMNS
from mockserver.state.sandbox import shared
from tests.conftest import ROOT, ApiClient, fixture_rows, make_app
from tests.docs_samples import example

IMPORT = "/api/clients-import"
PATHS = [IMPORT, "/api/importcustomers"]
BID = fixture_rows("businesses")[0]["encrypted_id"]
EXPORT = f"/api/v3/clients/clients-print/{BID}"
SAMPLE = ROOT / "fixtures" / "customers_list.xlsx"


def sheet(*rows, headers=COLUMNS) -> bytes:
    workbook = openpyxl.Workbook()
    if headers is not None:
        workbook.active.append(list(headers))
    for row in rows:
        workbook.active.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, data: bytes, category_id=1, path=IMPORT, filename="customers.xlsx"):
    form = {"customers": (io.BytesIO(data), filename), "category_id": str(category_id)}
    return client.post(path, data=form, content_type="multipart/form-data")


def customer(client, ident):
    answer = client.get(f"/api/v3/clients/{ident}")
    assert answer.status_code == 200
    return answer.json


def written(store):
    """Everything an import could have written."""
    return store.all("customers"), store.all("ledger"), store.all("_sequences")


def new_category(client, name="Imported"):
    return client.post("/api/v3/clients/category", json={"name": name}).json["id"]


# -- import


def test_the_specs_import_example_is_what_the_sample_sheet_gives(client):
    answer = upload(client, SAMPLE.read_bytes(), filename="customers_list.xlsx")
    assert answer.json == example("/api/clients-import", "post", "200", "sampleSheet")


@pytest.mark.parametrize("path", PATHS)
def test_sample_sheet_imports_every_customer(client, path):
    category = new_category(client)
    answer = upload(client, SAMPLE.read_bytes(), category, path=path, filename="customers_list.xlsx")
    assert answer.status_code == 200, answer.json
    assert answer.json["count"] == 5 and answer.json["ignored_columns"] == []
    assert answer.json["message"] == "Imported 5 customers from customers_list.xlsx"
    made = [customer(client, ident) for ident in answer.json["ids"]]
    assert [
        (c["business_name"], c["business_phone"], c["business_email"], c["business_address"], c["balance"])
        for c in made
    ] == [
        ("Kwame Asante Ventures", "0244123456", "accounts@asanteventures.com.gh", "14 Ring Road, Accra", "12,500.00"),
        ("Ama Serwaa Enterprise", "+233 20 555 0192", "ama.serwaa@example.com", "Adum, Kumasi", "3,420.75"),
        ("Café Nkɔmɔ", "0302 761 445", "hello@cafenkomo.example", "Osu, Accra", "0.00"),
        ("Yaw Boateng", "0551 234 567", None, None, "980.50"),
        ("Efua Mensah & Sons", None, "efua@mensahandsons.example", "Cape Coast", "0.00"),
    ]
    assert {c["category_id"] for c in made} == {category}
    listed = client.get(f"/api/v3/clients?category_id={category}").json
    assert sorted(c["id"] for c in listed) == answer.json["ids"]


def test_columns_match_by_header_in_any_order_case_and_spacing(client):
    headers = ["  unpaid amount ", "EMAIL address", "NAME", "phone_number", "Notes", "Address", None, "Source"]
    data = sheet(
        ["12.5", "kofi@example.com", " Kofi Annan Ltd ", 233244123456, "VIP", "Accra", None, "old app"], headers=headers
    )
    answer = upload(client, data)
    assert answer.status_code == 200, answer.json
    assert answer.json["ignored_columns"] == ["Notes", "Source"]
    made = customer(client, answer.json["ids"][0])
    assert (made["business_name"], made["business_email"], made["business_phone"], made["unformated_balance"]) == (
        "Kofi Annan Ltd",
        "kofi@example.com",
        "233244123456",  # Excel keeps a phone typed without its leading 0 as a number
        12.5,
    )


def test_header_may_sit_below_blank_rows_and_blank_rows_are_skipped(client):
    workbook = openpyxl.Workbook()
    workbook.active["B3"], workbook.active["B5"], workbook.active["B7"] = "Name", "First", "Second"
    buffer = io.BytesIO()
    workbook.save(buffer)
    answer = upload(client, buffer.getvalue())
    assert answer.status_code == 200, answer.json
    assert [customer(client, i)["business_name"] for i in answer.json["ids"]] == ["First", "Second"]


def test_unpaid_amount_is_an_opening_balance_in_balance_summary_and_report(client, set_now):
    set_now("2026-03-10T09:00:00Z")
    category = new_category(client)
    answer = upload(client, sheet(["Owes", None, None, None, 1500.25], ["Owes nothing", None, None, None, 0]), category)
    owes, clear = answer.json["ids"]
    transactions = client.get(f"/api/v3/clients/{owes}/transactions").json[0]["transactions"]
    assert [(t["kind"], t["amount"], t["date"], t["due_date"], t["description"]) for t in transactions] == [
        ("invoice", 1500.25, "2026-03-10", "2026-03-10", "Opening balance (imported)")
    ]
    assert client.get(f"/api/v3/clients/{clear}/transactions").json[0]["transactions"] == []
    assert client.get(f"/api/v3/clients/summary?category_id={category}").json["total_balance"] == 1500.25
    line = client.get(f"/api/v3/reports/customers/client/{owes}/2026-03-01/2026-03-31").json
    assert (line["balance"], line["invoice_count"], line["owing"], line["amount_due"]) == (1500.25, 1, 1500.25, 1500.25)


@pytest.mark.parametrize(
    ("cell", "balance"),
    [
        (12, 12),
        (12.5, 12.5),
        ("1,250.50", 1250.5),
        ("  7 ", 7),
        ("1.10", 1.1),
        (None, 0),
        (999999999999.99, 999999999999.99),
    ],
)
def test_amount_forms_accepted(client, cell, balance):
    answer = upload(client, sheet(["A", None, None, None, cell]))
    assert answer.status_code == 200, answer.json
    assert customer(client, answer.json["ids"][0])["unformated_balance"] == balance


@pytest.mark.parametrize(
    ("cell", "problem"),
    [
        (-1, "cell E2 must not be negative (got -1): it is what the customer owes"),
        ("12.345", "cell E2 has more than 2 decimal places (got '12.345')"),
        (12.505, "cell E2 has more than 2 decimal places (got 12.505)"),
        ("about 20", "cell E2 must be a number (got 'about 20')"),
        ("NaN", "cell E2 must be a number (got 'NaN')"),
        (True, "cell E2 must be a number (got bool True)"),
        (1e13, "cell E2 is over 999,999,999,999.99 (got 10000000000000)"),
    ],
)
def test_amount_forms_refused(client, cell, problem):
    answer = upload(client, sheet(["A", None, None, None, cell]))
    assert answer.status_code == 422
    assert answer.json["errors"] == {"2.Upaid Amount": [problem]}


@pytest.mark.parametrize("phone", ["0244123456", "+233 24 412 3456", "(030) 276-1445", "030.276.1445", 244123456])
def test_plausible_phones_accepted(client, phone):
    assert upload(client, sheet(["A", phone])).status_code == 200


@pytest.mark.parametrize("phone", ["12345", "call me", "+233 24 412 3456 789 0123", "0244-12-34-56x"])
def test_implausible_phones_refused(client, phone):
    answer = upload(client, sheet(["A", phone]))
    assert answer.status_code == 422
    assert list(answer.json["errors"]) == ["2.Phone Number"]
    assert answer.json["errors"]["2.Phone Number"][0].startswith(f"cell B2 is not a phone number (got {phone!r})")


def test_one_bad_row_imports_nothing_and_every_bad_cell_is_named(client, store):
    before = written(store)
    data = sheet(
        ["Good Ltd", "0244123456", "good@example.com", "Accra", 10],
        [None, None, "nobody@example.com", None, None],
        ["Bad Mail", None, "bad@", None, "-5"],
        ["Good Too", None, None, None, None],
        ["X" * 256, "12", None, None, "1.001"],
    )
    answer = upload(client, data)
    assert answer.status_code == 422
    assert answer.json == {
        "message": "Nothing was imported: 3 of 5 rows have problems. "
        "Row 3, Name: cell A3 is empty: every customer needs a name.",
        "errors": {
            "3.Name": ["cell A3 is empty: every customer needs a name"],
            "4.Email-Address": ["cell C4 is not an e-mail address (got 'bad@')"],
            "4.Upaid Amount": ["cell E4 must not be negative (got '-5'): it is what the customer owes"],
            "6.Name": ["cell A6 is longer than 255 characters"],
            "6.Phone Number": [
                "cell B6 is not a phone number (got '12'): 7 to 15 digits, with an optional leading + and spaces, "
                "dots, dashes or brackets between them"
            ],
            "6.Upaid Amount": ["cell E6 has more than 2 decimal places (got '1.001')"],
        },
    }
    assert written(store) == before


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (
            sheet(["A", "0244123456"], headers=["Customer", "Phone Number"]),
            "has no Name column in its header row (row 1; its headers: Customer, Phone Number)",
        ),
        (sheet(["A", "B"], headers=["Name", "name "]), "has two Name columns (A and B) in its header row (1)"),
        (
            sheet(["A", 1, 2], headers=["Name", "Upaid Amount", "Unpaid Amount"]),
            "has two Upaid Amount columns (B and C)",
        ),
        (sheet(), "has a header row (row 1) but no customers under it"),
        (sheet(headers=None), "has no header row: its first worksheet is empty"),
    ],
    ids=["no-name-column", "two-name-columns", "upaid-and-unpaid", "header-only", "empty-sheet"],
)
def test_sheet_without_usable_columns_is_422_on_customers(client, store, data, problem):
    before = written(store)
    answer = upload(client, data)
    assert answer.status_code == 422
    assert list(answer.json["errors"]) == ["customers"]
    assert problem in answer.json["errors"]["customers"][0]
    assert written(store) == before


def test_docs_json_sample_is_422_explaining_a_file_upload(client, store):
    before = written(store)
    answer = client.post(IMPORT, json={"customers": "customers_list.xlsx", "category_id": "CAT-123"})
    assert answer.status_code == 422
    assert answer.json["errors"]["customers"] == [
        'must be an uploaded file ("customers_list.xlsx"): a JSON body cannot carry one; send the request as '
        "multipart/form-data with the file as a file part (curl -F 'customers=@<file>')"
    ]
    assert answer.json["errors"]["category_id"] == ['"CAT-123" is not of type "integer"']
    assert written(store) == before


@pytest.mark.parametrize(
    ("form", "errors"),
    [
        ({"category_id": "1"}, {"customers": ["is required"]}),
        (
            {"customers": "customers_list.xlsx", "category_id": "1", "file": (io.BytesIO(b"x"), "x.xlsx")},
            {
                "customers": ["must be a file, sent as a file part (curl -F 'customers=@<file>'), not as text"],
                "file": ["is not a field of this request"],
            },
        ),
        ({"customers": (io.BytesIO(b"x"), "x.xlsx")}, {"category_id": ["is required"]}),
        (
            {"customers": (io.BytesIO(b"x"), "x.xlsx"), "category_id": "456"},
            {"category_id": ["no customer category 456; existing ones include 1, 1224, 2683"]},
        ),
    ],
    ids=["no-file", "text-for-file", "no-category", "unknown-category"],
)
def test_form_fields_are_checked_against_the_spec(client, form, errors):
    answer = client.post(IMPORT, data=form, content_type="multipart/form-data", headers={"Prefer": "strict"})
    assert answer.status_code == 422
    assert answer.json["errors"] == errors


def test_other_media_type_is_415(client):
    answer = client.post(IMPORT, data="Name\nA", headers={"Content-Type": "text/csv"})
    assert answer.status_code == 415
    assert answer.json == {"message": "Send the body as multipart/form-data (got text/csv)."}


# -- hostile files: each gets a clear 4xx and writes nothing


def _rewrite(data: bytes, part: str, change) -> bytes:
    """The xlsx with one of its parts changed."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info)
            if info.filename == part:
                content = change(content)
            if content is not None:
                dst.writestr(info.filename, content)
    return out.getvalue()


GOOD = sheet(["Ama", "0244123456", "ama@example.com", "Accra", 5])
SHEET_XML = "xl/worksheets/sheet1.xml"


def _encrypted() -> bytes:
    out = io.BytesIO()
    msoffcrypto.format.ooxml.OOXMLFile(io.BytesIO(GOOD)).encrypt("s3cret", out)
    return out.getvalue()


def _corrupt_inside() -> bytes:
    """A zip whose directory is whole but whose sheet's compressed bytes are damaged."""
    data = bytearray(GOOD)
    with zipfile.ZipFile(io.BytesIO(GOOD)) as archive:
        info = archive.getinfo(SHEET_XML)
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for offset in range(start + 10, start + 40):
        data[offset] ^= 0xFF
    return bytes(data)


def _padded(size: int):
    return lambda xml: xml.replace(b"</worksheet>", b" " * size + b"</worksheet>")


ENTITIES = (
    b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
)

HOSTILE = {
    "not-xlsx": (b"Name,Phone Number\nAma,0244123456\n", "is not an .xlsx workbook (an .xlsx file is a zip archive"),
    "empty-file": (b"", "is empty: choose the .xlsx file to upload"),
    "cut-short": (GOOD[: len(GOOD) // 2], "the zip archive is corrupt or cut short"),
    "corrupt-inside": (_corrupt_inside(), "is not a readable .xlsx workbook"),
    "zip-not-xlsx": (
        _rewrite(GOOD, "[Content_Types].xml", lambda _: None),
        "is a zip archive but not an .xlsx workbook",
    ),
    "password-protected": (_encrypted(), "is password-protected: open it in Excel, remove the password"),
    "xls": (bytes.fromhex("D0CF11E0A1B11AE1") + bytes(4096), "is an Excel 97-2003 workbook (.xls)"),
    "no-worksheet": (
        _rewrite(GOOD, "xl/workbook.xml", lambda xml: re.sub(rb"<sheets>.*</sheets>", b"<sheets/>", xml)),
        "has no worksheet",
    ),
    "bomb-size": (_rewrite(GOOD, SHEET_XML, _padded(60 * 1024 * 1024)), "refused as a decompression bomb"),
    "bomb-ratio": (
        _rewrite(GOOD, SHEET_XML, _padded(5 * 1024 * 1024)),
        "(the limit is 100 to 1): refused as a decompression bomb",
    ),
    "xml-entities": (
        _rewrite(
            GOOD,
            SHEET_XML,
            lambda xml: ENTITIES + re.sub(rb"^<\?xml[^>]*>", b"", xml).replace(b"<v>5</v>", b"<v>&c;</v>"),
        ),
        "holds XML with entity declarations, which are refused",
    ),
}


@pytest.mark.parametrize(("data", "problem"), HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_file_is_422_naming_the_problem_and_writes_nothing(client, store, data, problem):
    before = written(store)
    answer = upload(client, data)
    assert answer.status_code == 422, answer.json
    assert list(answer.json["errors"]) == ["customers"]
    assert problem in answer.json["errors"]["customers"][0]
    assert written(store) == before


# Issue 30, rows 13 and 14: parts found as Excel finds them, and the text shared strings expand to


def test_a_workbook_with_renamed_parts_is_still_imported(client, store):
    from bench import hostile_sheets

    data = hostile_sheets.renamed(GOOD)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "xl/worksheets/sheet1.xml" not in archive.namelist()
        assert parts(archive)[0] == ["xl/data/rows.bin"]
    answer = upload(client, data)
    assert answer.status_code == 200 and answer.json["count"] == 1, answer.json


@pytest.mark.parametrize(
    "make, problem",
    [
        (lambda h: h.wide_row(2_000), "of more than 1,024 cells"),
        (lambda h: h.many_strings(200_000), "holds more than 192,016 distinct texts"),
        (lambda h: h.no_dimension(13_000), "has more than 12,001 rows"),
        (lambda h: h.amplifying(rows=2_000, size=10_000), "shared texts add up to more than 33,554,432 bytes"),
    ],
    ids=["wide-row", "many-strings", "no-dimension", "repeated-long-string"],
)
@pytest.mark.parametrize("renamed", [False, True], ids=["usual-names", "renamed-parts"])
def test_a_sheet_over_a_limit_is_refused_before_parsing_whatever_its_parts_are_named(
    client, store, monkeypatch, make, problem, renamed
):
    from bench import hostile_sheets

    data = make(hostile_sheets)
    data = hostile_sheets.renamed(data) if renamed else data
    import openpyxl  # what sheets.read_table imports when it parses

    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: pytest.fail("openpyxl ran"))
    before = written(store)
    answer = upload(client, data)
    assert answer.status_code == 422, answer.json
    assert problem in answer.json["errors"]["customers"][0]
    assert written(store) == before


def test_shared_strings_are_found_through_the_content_types_alone(client, store):
    """openpyxl finds the shared strings by their content type, not through the workbook's
    relationships: a part named only there is scanned too."""
    from bench import hostile_sheets

    data = hostile_sheets.amplifying(rows=2_000, size=10_000)
    data = _rewrite(
        data, "xl/_rels/workbook.xml.rels", lambda xml: re.sub(rb"<Relationship Id=\"rId2\"[^>]*/>", b"", xml)
    )
    data = hostile_sheets.renamed(data)
    answer = upload(client, data)
    assert answer.status_code == 422 and "shared texts add up" in answer.json["errors"]["customers"][0]


def test_unpacked_size_is_limited_whatever_the_ratio(client, store, monkeypatch):
    """A bomb can keep every part under the ratio limit and still unpack to too much."""
    with zipfile.ZipFile(io.BytesIO(GOOD)) as archive:
        unpacked = sum(part.file_size for part in archive.infolist())
    monkeypatch.setattr(sheets, "MAX_UNZIPPED", unpacked - 1)
    before = written(store)
    answer = upload(client, GOOD)
    assert answer.status_code == 422
    assert answer.json["errors"]["customers"] == [
        f"unpacks to {unpacked:,} bytes, over the limit of {unpacked - 1:,}: refused as a decompression bomb"
    ]
    assert written(store) == before
    monkeypatch.setattr(sheets, "MAX_UNZIPPED", unpacked)
    assert upload(client, GOOD).status_code == 200


def test_defusedxml_guards_openpyxl():
    assert openpyxl.DEFUSEDXML  # without it the entity test above would expand &c;


def test_rows_over_the_limit_are_refused():
    app = make_app(IMPORT_MAX_ROWS=3)
    client = app.test_client()
    headers = {"Authorization": "Bearer t"}

    def form(rows):
        names = sheet(*[[f"C{i}"] for i in range(rows)], headers=["Name"])
        return {"customers": (io.BytesIO(names), "c.xlsx"), "category_id": "1"}

    assert client.post(IMPORT, data=form(3), headers=headers).status_code == 200
    answer = client.post(IMPORT, data=form(4), headers=headers)
    assert answer.status_code == 422
    assert answer.json["errors"]["customers"] == ["has more than 3 customer rows, the most one import takes"]
    assert len(shared(app).store.all("customers")) == len(fixture_rows("customers")) + 3


def test_declared_dimension_and_far_cells_cost_nothing(client, store):
    """A row at 1,048,576 would make openpyxl yield a million padded rows; a cell in column
    XFD a 16,384-cell row. Neither is read."""
    workbook = openpyxl.Workbook()
    workbook.active.append(["Name"])
    workbook.active.append(["Ama"])
    workbook.active.cell(row=2, column=16384, value="far right")
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert upload(client, buffer.getvalue()).status_code == 200
    workbook.active.cell(row=1_048_576, column=1, value="far down")
    buffer = io.BytesIO()
    workbook.save(buffer)
    before = written(store)
    answer = upload(client, buffer.getvalue())
    assert answer.status_code == 422
    assert answer.json["errors"]["customers"] == ["has rows past row 11,001; an import reads at most 10,000 customers"]
    assert written(store) == before


@pytest.mark.parametrize("declared", [b"A1", b"A1:XFD1048576"])
def test_rows_are_read_whatever_dimension_the_sheet_declares(client, declared):
    """Read-only openpyxl stops at the declared <dimension>'s last row: a stale one (some
    writers leave it) must not drop customers silently."""
    data = _rewrite(
        GOOD, SHEET_XML, lambda xml: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="' + declared + b'"', xml)
    )
    assert b'<dimension ref="' + declared + b'"' in zipfile.ZipFile(io.BytesIO(data)).read(SHEET_XML)
    answer = upload(client, data)
    assert answer.status_code == 200, answer.json
    assert answer.json["count"] == 1


def test_body_over_the_size_limit_is_413_naming_the_limit():
    app = make_app(MAX_CONTENT_LENGTH=2000)
    answer = app.test_client().post(
        IMPORT,
        data={"customers": (io.BytesIO(GOOD), "c.xlsx"), "category_id": "1"},
        headers={"Authorization": "Bearer t"},
    )
    assert answer.status_code == 413
    assert re.fullmatch(
        r"The request body is [\d,]+ bytes, which is over this server's limit of 2,000 bytes "
        r"\(mockserver serve --max-body-size\)\.",
        answer.json["message"],
    )
    assert len(shared(app).store.all("customers")) == len(fixture_rows("customers"))


def test_default_size_limit_is_a_few_megabytes(app):
    assert app.config["MAX_CONTENT_LENGTH"] == 5 * 1024 * 1024


# -- export


def exported_rows(answer):
    workbook = openpyxl.load_workbook(io.BytesIO(answer.data), read_only=True)
    try:
        return [list(row) for row in workbook.active.iter_rows(values_only=True)]
    finally:
        workbook.close()


def test_export_is_an_xlsx_download_of_every_customer(client):
    answer = client.get(EXPORT)
    assert answer.status_code == 200
    assert answer.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert re.fullmatch(
        r"attachment; filename=customers-built-demo-business-\d{4}-\d{2}-\d{2}\.xlsx",
        answer.headers["Content-Disposition"],
    )
    rows = exported_rows(answer)
    assert rows[0] == list(COLUMNS)
    listed = client.get("/api/v3/clients").json
    assert rows[1:] == [  # an empty value is an empty cell
        [
            c["business_name"] or None,
            c["business_phone"] or None,
            c["business_email"] or None,
            c["business_address"] or None,
            c["unformated_balance"],
        ]
        for c in listed
    ]
    abas = next(row for row in rows if row[0] == "Abas two")
    assert abas[1] == "0265653314" and abas[4] == 20351822.92  # a phone stays text, an amount is a number


def test_export_filters_by_category_and_answers_csv(client):
    answer = client.get(f"{EXPORT}?category_id=1224&format=csv")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert answer.headers["Content-Disposition"].endswith(".csv")
    assert answer.data.startswith(b"\xef\xbb\xbf")  # the BOM that makes Excel read UTF-8
    rows = list(csv.reader(io.StringIO(answer.data.decode("utf-8-sig"))))
    expected = client.get("/api/v3/clients?category_id=1224").json
    assert rows[0] == list(COLUMNS)
    assert [row[0] for row in rows[1:]] == [c["business_name"] for c in expected] and expected


def test_export_keeps_formula_like_names_as_text(client):
    made = client.post(
        "/api/v3/clients",
        json={
            "business_name": '=HYPERLINK("http://x")',
            "business_address": "a\x01b",
            "business_phone": "",
            "business_email": "",
            "category_id": 2683,
        },
    ).json
    workbook = openpyxl.load_workbook(io.BytesIO(client.get(f"{EXPORT}?category_id=2683").data))
    cells = next(row for row in workbook.active.iter_rows(min_row=2) if row[0].value == made["business_name"])
    assert cells[0].data_type == "s"  # text, not a formula Excel would run
    assert cells[3].value == "a\ufffdb"  # a control character cannot be in an .xlsx


# -- round trip


def test_export_then_import_into_an_empty_category_keeps_every_customer(client, add_entry):
    source = new_category(client, "Source")
    people = [
        {
            "business_name": "Ọlá Adébáyọ̀ & Co",
            "business_phone": "+234 803 555 0101",
            "business_email": "ola@example.ng",
            "business_address": "Lagos",
        },
        {
            "business_name": "Zoë Łukasiewicz",
            "business_phone": "",
            "business_email": "",
            "business_address": "Kraków, ul. Długa 5",
        },
        {
            "business_name": "東京商事",
            "business_phone": "03-1234-5678",
            "business_email": "info@tokyo.example.jp",
            "business_address": "",
        },
        {"business_name": "Plain Ltd", "business_phone": "", "business_email": "", "business_address": ""},
    ]
    ids = [client.post("/api/v3/clients", json={**p, "category_id": source}).json["id"] for p in people]
    add_entry(ids[0], "invoice", 1234.56, "2024-01-05")
    add_entry(ids[0], "payment", 200, "2024-02-01")
    add_entry(ids[2], "invoice", 99.9, "2024-03-01")

    exported = client.get(f"{EXPORT}?category_id={source}")
    target = new_category(client, "Target")
    answer = upload(client, exported.data, target)
    assert answer.status_code == 200, answer.json

    def shown(customers):  # an empty cell reads back as null where the API stored ""
        return sorted(
            (
                c["business_name"],
                c["business_phone"] or None,
                c["business_email"] or None,
                c["business_address"] or None,
                c["unformated_balance"],
            )
            for c in customers
        )

    before = client.get(f"/api/v3/clients?category_id={source}").json
    after = client.get(f"/api/v3/clients?category_id={target}").json
    assert shown(after) == shown(before)
    assert [c["unformated_balance"] for c in sorted(after, key=lambda c: c["business_name"])] != [0] * 4


# -- whatever the file holds: 200, or 422 with nothing written; never a 500

TEXT = st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=40)  # an .xlsx cannot hold the others
CELL = st.one_of(
    st.none(),
    TEXT,
    st.sampled_from(["0244123456", "a@b.co", "1,250.50", "=1+1", "#N/A", " ", "12.345"]),
    st.integers(-(10**15), 10**15),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(2100, 1, 1)),
)
# Rows a previous application would export, so that some sheets import, among rows of anything.
PLAUSIBLE = st.tuples(
    TEXT.filter(str.strip),
    st.sampled_from([None, "0244123456", "+233 24 412 3456", 244123456]),
    st.sampled_from([None, "ama@example.com"]),
    st.none() | TEXT,
    st.none() | st.integers(0, 10**9).map(lambda cents: cents / 100),
).map(list)
ROW = st.one_of(*[PLAUSIBLE] * 4, st.lists(CELL, min_size=5, max_size=5))
CELL_KEY = re.compile(r"\d+\.(" + "|".join(map(re.escape, COLUMNS)) + ")")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(ROW, min_size=1, max_size=6))
def test_any_cells_import_or_get_422_naming_cells(rows):
    app = make_app()
    store, api = shared(app).store, ApiClient(app.test_client())
    before = written(store)
    answer = upload(api, sheet(*rows))
    assert answer.status_code in (200, 422), answer.json
    if answer.status_code == 422:
        assert all(CELL_KEY.fullmatch(key) for key in answer.json["errors"]) or list(answer.json["errors"]) == [
            "customers"
        ]
        assert written(store) == before
    else:
        made = [customer(api, ident) for ident in answer.json["ids"]]
        assert len(made) == sum(1 for row in rows if any(c is not None and str(c).strip() for c in row))
        assert all(0 < len(c["business_name"]) <= 255 and c["unformated_balance"] >= 0 for c in made)


def test_a_zip_entry_asking_for_an_unknown_zip_version_is_422_not_500(client, store):
    # Found by the Hypothesis test below: zipfile raises NotImplementedError, not BadZipFile.
    data = bytearray(GOOD)
    data[data.index(b"PK\x01\x02") + 6] = 170  # "version needed to extract": 17.0
    before = written(store)
    answer = upload(client, bytes(data))
    assert answer.status_code == 422
    assert "zip archive is damaged (zip file version 17.0)" in answer.json["errors"]["customers"][0]
    assert written(store) == before


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damage=st.lists(st.tuples(st.integers(0, len(GOOD) - 1), st.integers(0, 255)), min_size=1, max_size=8))
def test_damaged_workbook_imports_or_gets_422(damage):
    data = bytearray(GOOD)
    for offset, value in damage:
        data[offset] = value
    app = make_app()
    store, api = shared(app).store, ApiClient(app.test_client())
    before = written(store)
    answer = upload(api, bytes(data))
    assert answer.status_code in (200, 422), answer.json
    if answer.status_code == 422:
        assert written(store) == before


@pytest.mark.parametrize("name", ["=1+1", "+1-800-555", "-2+3", "@SUM(A1)", "\tx"])
def test_csv_export_neutralises_a_cell_a_spreadsheet_would_run(client, name):
    """OWASP's advice for CSV injection: a leading quote, so the text shows as written."""
    made = client.post(
        "/api/v3/clients",
        json={
            "business_name": name,
            "business_address": "",
            "business_phone": "",
            "business_email": "",
            "category_id": 2683,
        },
    ).json
    rows = list(csv.reader(io.StringIO(client.get(f"{EXPORT}?category_id=2683&format=csv").data.decode("utf-8-sig"))))
    [row] = [row for row in rows if row[0].lstrip("'") == made["business_name"]]
    assert row[0] == "'" + name


# -- the sheet read in a process of its own (formats/sheet_worker.py): its death is an answer


def _spin(data, max_rows, max_text):
    while True:
        pass


def _hog(data, max_rows, max_text):
    hoard = [bytearray(64 * 2**20) for _ in range(64)]  # 4 GiB, a slice at a time
    return hoard


def _stall(data, max_rows, max_text):
    import time

    time.sleep(60)


def _die(data, max_rows, max_text):
    os.kill(os.getpid(), signal.SIGKILL)


def test_a_sheet_is_read_in_a_child_process(monkeypatch):
    monkeypatch.setattr(sheet_worker, "read_table", lambda *args: (os.getpid(), *args))
    pid, data, max_rows, max_text = sheet_worker.read_table_apart(b"xlsx", 7, max_text=99)
    assert pid != os.getpid() and (data, max_rows, max_text) == (b"xlsx", 7, 99)
    monkeypatch.undo()
    assert sheet_worker.read_table_apart(GOOD, 10).headers == tuple(COLUMNS)


@pytest.mark.parametrize(
    "reader, problem",
    [
        (_spin, "took more than the 1 s of CPU time an import may use"),
        (_hog, "needs more than the 256 MiB of memory an import may use"),
        (_die, "needs more than the 256 MiB of memory"),
    ],
    ids=["cpu", "memory", "killed"],
)
def test_a_reader_over_its_limits_is_a_sheet_error_naming_the_limit(monkeypatch, reader, problem):
    monkeypatch.setattr(sheet_worker, "read_table", reader)
    started = time.perf_counter()
    with pytest.raises(sheets.SheetError, match=re.escape(problem)):
        sheet_worker.read_table_apart(GOOD, 10, cpu_seconds=1, memory=256 * 2**20, seconds=30)
    assert time.perf_counter() - started < 20


@pytest.mark.parametrize(
    "limit, value, reader, problem",
    [
        ("IMPORT_CPU_SECONDS", 1, _spin, "took more than the 1 s of CPU time"),
        ("IMPORT_MEMORY", 256 * 2**20, _hog, "needs more than the 256 MiB of memory"),
    ],
    ids=["cpu", "memory"],
)
def test_an_import_reads_its_sheet_within_the_apps_limits(
    app, client, store, monkeypatch, limit, value, reader, problem
):
    monkeypatch.setattr(sheet_worker, "read_table", reader)
    monkeypatch.setitem(app.config, limit, value)  # serve --import-cpu-time, --import-memory
    before = written(store)
    answer = upload(client, GOOD)
    assert answer.status_code == 422 and problem in answer.json["errors"]["customers"][0]
    assert written(store) == before


def test_a_reader_past_the_wall_clock_is_killed_and_the_answer_is_503(app, client, store, monkeypatch):
    monkeypatch.setattr(sheet_worker, "read_table", _stall)
    started = time.perf_counter()
    with pytest.raises(sheet_worker.SheetBusy, match="took longer than 0.5 s"):
        sheet_worker.read_table_apart(GOOD, 10, seconds=0.5)
    assert time.perf_counter() - started < 10
    assert not multiprocessing.active_children()  # killed, not left behind

    monkeypatch.setitem(app.config, "IMPORT_SECONDS", 0.5)  # serve --import-timeout
    before = written(store)
    answer = upload(client, GOOD)
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
    assert "took longer than 0.5 s" in answer.json["message"]
    assert written(store) == before


def test_an_export_made_again_at_the_same_mock_time_is_the_same_bytes(client, monkeypatch):
    """A consumer's snapshot test of the export holds: its file bears the mock clock's time,
    in its properties and every part of the zip, not the wall clock's."""
    client.put("/__mock/clock", json={"now": "2024-11-04T16:13:37Z"})
    first = client.get(EXPORT).data
    wall = time.time()
    monkeypatch.setattr(time, "time", lambda: wall + 3600)  # an hour on, for whatever reads it
    again = client.get(EXPORT).data
    assert again == first
    archive = zipfile.ZipFile(io.BytesIO(first))
    assert {part.date_time for part in archive.infolist()} == {(2024, 11, 4, 16, 13, 36)}  # zip keeps even seconds
    assert openpyxl.load_workbook(io.BytesIO(first)).properties.modified == datetime(2024, 11, 4, 16, 13, 37)
