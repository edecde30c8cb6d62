"""Built Accounting customers to and from spreadsheets (doc 002): /api/clients-import,
/api/v3/clients/clients-print/{bid}."""

import io
import re

from flask import current_app, send_file
from marshmallow import ValidationError
from werkzeug.datastructures import FileStorage

from ..formats import sheets
from ..formats.sheet_worker import SheetBusy, read_table_apart
from ..schemas.customer_sheet import AMOUNT, COLUMNS, HEADERS, NAME, CustomerRowSchema, header_key
from ..state import clock, ledger
from ..state.ledger import number
from ..state.store import Record, Store
from ..web.errors import ApiError, invalid
from . import db
from .customers import add_customers, in_category, present

BUSINESSES = "businesses"
FIELD = "customers"  # the form field that carries the sheet
MAX_LISTED = 100  # bad cells an answer names; the rest are counted (an answer stays under 64 KB)

_row = CustomerRowSchema()


def import_customers(body: dict):
    """All rows or none: one bad cell anywhere and nothing is written; every bad cell is reported."""
    upload: FileStorage = body[FIELD]
    table = _read(upload)
    columns, ignored = _columns(table)
    rows = _load(table, columns)
    store = db()
    today = clock.now().date().isoformat()
    with store.batch():
        created = add_customers(store, [{**_customer_fields(row), "category_id": body["category_id"]} for row in rows])
        store.insert_many(
            ledger.TABLE,
            [
                # QuickBooks' way with an opening balance: an invoice for it, due at once, so
                # payments settle it like any invoice and every report counts it as owed.
                {
                    "customer_id": customer["id"],
                    "kind": "invoice",
                    "amount": number(row["opening_balance"]),
                    "date": today,
                    "due_date": today,
                    "method": None,
                    "description": "Opening balance (imported)",
                }
                for customer, row in zip(created, rows, strict=True)
                if row["opening_balance"]
            ],
        )
    ids = [customer["id"] for customer in created]
    return {
        "message": f"Imported {len(ids)} customer{'s' if len(ids) != 1 else ''} from {upload.filename or 'the sheet'}",
        "count": len(ids),
        "ids": ids,
        "ignored_columns": ignored,
    }


import_customers_text_path = import_customers  # the doc's text says /importcustomers, its sample /api/clients-import


def export_customers(bid: str, category_id: int | str = "", format: str = "xlsx"):
    store = db()
    business = _business(store, bid)
    customers = [c for c in in_category(store, category_id) if c["business_id"] == business["id"]]
    rows = [_row.dump(CustomerRowSchema.row_of(view)) for view in present(store, customers)]
    cells = [[row[column] for column in COLUMNS] for row in rows]
    made = clock.now()
    name = f"customers-{_slug(business['name'])}-{made.date().isoformat()}.{format}"
    if format == "csv":
        data, mimetype = sheets.csv_bytes(COLUMNS, cells), sheets.CSV
    else:
        data, mimetype = sheets.xlsx_bytes("Customers", COLUMNS, cells, money=[AMOUNT], made=made), sheets.XLSX
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name)


def _read(upload: FileStorage) -> sheets.Table:
    """The sheet, read in a process of its own (formats/sheet_worker.py), within the limits set."""
    config = current_app.config
    try:
        return read_table_apart(
            upload.read(),
            max_rows=config["IMPORT_MAX_ROWS"],
            cpu_seconds=config["IMPORT_CPU_SECONDS"],
            memory=config["IMPORT_MEMORY"],
            seconds=config["IMPORT_SECONDS"],
            max_text=config["IMPORT_MAX_TEXT"],
        )
    except sheets.SheetError as e:
        raise invalid({FIELD: [str(e)]}) from e
    except SheetBusy as e:
        raise ApiError(503, f"The sheet could not be read: {e}", headers={"Retry-After": "5"}) from e


def _columns(table: sheets.Table) -> tuple[dict[int, str], list[str]]:
    """Which cell of a row is which column (by header, in any order), and the headers ignored."""
    columns: dict[int, str] = {}
    ignored: list[str] = []
    seen: dict[str, int] = {}
    for index, header in enumerate(table.headers):
        column = HEADERS.get(header_key(header))
        if column is None:
            if header:
                ignored.append(header)
            continue
        if column in seen:
            letters = f"{sheets.column_letter(seen[column])} and {sheets.column_letter(index)}"
            raise invalid({FIELD: [f"has two {column} columns ({letters}) in its header row ({table.header_row})"]})
        seen[column] = index
        columns[index] = column
    if NAME not in seen:
        found = ", ".join(h for h in table.headers if h) or "none"
        raise invalid(
            {
                FIELD: [
                    f"has no {NAME} column in its header row (row {table.header_row}; its headers: {found}). "
                    f"The columns are {', '.join(COLUMNS)}, in any order"
                ]
            }
        )
    if not table.rows:
        raise invalid({FIELD: [f"has a header row (row {table.header_row}) but no customers under it"]})
    return columns, ignored


def _load(table: sheets.Table, columns: dict[int, str]) -> list[dict]:
    """Every row loaded, or a 422 naming each bad cell as "<row>.<column>" (Laravel Excel's keys)."""
    rows, bad_rows, bad_cells = [], 0, 0
    problems: dict[str, list[str]] = {}
    letters = {column: sheets.column_letter(index) for index, column in columns.items()}
    for number_, cells in table.rows:
        row = {columns[i]: cell for i, cell in enumerate(cells) if i in columns and not sheets.is_blank(cell)}
        try:
            rows.append(_row.load(row))
        except ValidationError as e:
            bad_rows += 1
            for column, messages in sorted(e.normalized_messages().items(), key=lambda m: COLUMNS.index(m[0])):
                bad_cells += 1
                if len(problems) < MAX_LISTED:
                    cell = f"{letters[column]}{number_}"
                    problems[f"{number_}.{column}"] = [f"cell {cell} {message}" for message in messages]
    if problems:
        first, messages = next(iter(problems.items()))
        unlisted = f" ({bad_cells:,} cells; the first {MAX_LISTED} are listed)" if bad_cells > len(problems) else ""
        raise ApiError(
            422,
            f"Nothing was imported: {bad_rows:,} of {len(table.rows):,} rows have problems{unlisted}. "
            f"Row {first.replace('.', ', ', 1)}: {messages[0]}.",
            problems,
        )
    return rows


def _customer_fields(row: dict) -> dict:
    return {k: v for k, v in row.items() if k != "opening_balance"}


def _business(store: Store, bid: str) -> Record:
    """The store's business for any bid: the real one comes from creating the business,
    which no documented endpoint does, so a frontend holds a bid this mock cannot know.
    Started with --business-id, only that one is taken, for testing the 404."""
    pinned = current_app.config["BUSINESS_ID"]
    if pinned is not None and bid != pinned:
        raise ApiError(
            404, f"Business {bid} not found; this server takes only the business id {pinned} (--business-id)"
        )
    found = store.find(BUSINESSES, lambda b: b["encrypted_id"] == bid) or store.all(BUSINESSES)
    if not found:
        raise ApiError(404, f"Business {bid} not found; this store has no business")
    return found[0]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-") or "business"
