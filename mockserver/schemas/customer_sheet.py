"""A customer as a row of the import/export sheet (doc 002: "Column headers of excel sheet").

One schema both ways: it loads a row, keyed by the doc's headers, into a customer's
fields, and dumps a customer into the same row, so an export imports again unchanged.
Cells arrive as Excel typed them: a phone number may be a number, an amount a string.
"""

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from marshmallow import ValidationError, fields, validate

from ..state.ledger import CENT, in_cents, number
from . import RecordSchema

NAME, PHONE, EMAIL, ADDRESS, AMOUNT = "Name", "Phone Number", "Email-Address", "Address", "Upaid Amount"
COLUMNS = (NAME, PHONE, EMAIL, ADDRESS, AMOUNT)  # the doc's spelling, "Upaid" included


def header_key(header: str) -> str:
    """How a header is matched: case, spaces, hyphens and underscores do not count."""
    return re.sub(r"[\s_-]+", "", header).casefold()


# Header as written (by key) -> the doc's column. The doc's "Upaid" typo and its correction
# both name the amount.
HEADERS = {header_key(h): h for h in COLUMNS} | {header_key("Unpaid Amount"): AMOUNT}

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_PHONE_PUNCTUATION = re.compile(r"[\s().\-/]")
MAX_AMOUNT = Decimal("999999999999.99")


def shown(value: Any, most: int = 40) -> str:
    """A cell's value in a message, cut: one cell may hold 32,767 characters, and a sheet
    can point a thousand cells at one such string, so quoting whole values made a 300 MB
    answer of an 18 KB file."""
    text = repr(value)
    return text if len(text) <= most else f"{text[:most]}... ({len(str(value)):,} characters)"


class CellText(fields.Field):
    """Text as a cell holds it: a number becomes its digits (Excel turns 0244123456 into
    244123456), surrounding spaces go. Empty cells never reach the schema."""

    def _deserialize(self, value: Any, attr, data, **kwargs) -> str:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValidationError(f"must be text (got {type(value).__name__} {shown(value)})")
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value).strip()

    def _serialize(self, value: Any, attr, obj, **kwargs) -> str | None:
        return value or None


def _phone(value: str) -> None:
    digits = _PHONE_PUNCTUATION.sub("", value)
    if not re.fullmatch(r"\+?\d{7,15}", digits):
        raise ValidationError(
            f"is not a phone number (got {shown(value)}): 7 to 15 digits, with an optional leading + "
            "and spaces, dots, dashes or brackets between them"
        )


def _email(value: str) -> None:
    if not _EMAIL.match(value):
        raise ValidationError(f"is not an e-mail address (got {shown(value)})")


class CellAmount(fields.Field):
    """Money owed: a number or numeric text (1,250.50 too), at least 0, at most 2 decimals."""

    def _deserialize(self, value: Any, attr, data, **kwargs) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValidationError(f"must be a number (got {type(value).__name__} {shown(value)})")
        text = value.replace(",", "").strip() if isinstance(value, str) else str(value)
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ValidationError(f"must be a number (got {shown(value)})") from None
        if not amount.is_finite():
            raise ValidationError(f"must be a number (got {shown(value)})")
        if amount < 0:
            raise ValidationError(f"must not be negative (got {shown(value)}): it is what the customer owes")
        if amount > MAX_AMOUNT:
            raise ValidationError(f"is over {MAX_AMOUNT:,} (got {shown(value)})")
        if not in_cents(amount):
            raise ValidationError(f"has more than 2 decimal places (got {shown(value)})")
        return amount.quantize(CENT)

    def _serialize(self, value: Any, attr, obj, **kwargs) -> int | float:
        return number(value)


class CustomerRowSchema(RecordSchema):
    """Loads {header: cell} into customer fields; dumps a customer view (one with `totals`)
    into {header: value}. The unpaid amount is the customer's balance."""

    business_name = CellText(
        data_key=NAME,
        required=True,
        validate=validate.Length(max=255, error="is longer than {max} characters"),
        error_messages={"required": "is empty: every customer needs a name"},
    )
    business_phone = CellText(data_key=PHONE, validate=[validate.Length(max=255), _phone], load_default=None)
    business_email = CellText(data_key=EMAIL, validate=[validate.Length(max=255), _email], load_default=None)
    business_address = CellText(
        data_key=ADDRESS, validate=validate.Length(max=255, error="is longer than {max} characters"), load_default=None
    )
    opening_balance = CellAmount(data_key=AMOUNT, load_default=Decimal("0"))

    @staticmethod
    def row_of(view: dict) -> dict:
        """What dump reads from a customer view: its record, and its balance as the amount."""
        return {**view, "opening_balance": view["totals"].balance}
