"""Rules of meaning for the Income by Customers report (docs 000 and 001): its figures are
the period's. A period's invoices and payments are those of its first half and its second
half together, which a report that ignores either end of the period cannot satisfy."""

from datetime import timedelta
from decimal import Decimal

from .follow import answered, broken, day, follow, rule

REPORTS = {
    "reports.income_by_customers": ("from", "to"),
    "reports.income_by_customers_legacy": ("startdate", "enddate"),
}
ADDITIVE = ("invoice_count", "total_paid")  # counted or summed over the period's own entries


def _figures(lines) -> dict:
    """customer id -> its additive figures, from a report's lines."""
    if not isinstance(lines, list):
        return {}
    return {
        line.get("id"): tuple(Decimal(str(line.get(k) or 0)) for k in ADDITIVE)
        for line in lines
        if isinstance(line, dict) and all(isinstance(line.get(k) or 0, int | float) for k in ADDITIVE)
    }


@rule
def report_is_of_the_period(ctx, response, case):
    """A line's dateFrom and dateTo, where shown, are the period asked; and its
    invoice_count and total_paid are those of the period's two halves added up."""
    operation = case.operation.definition.raw.get("operationId")
    lines = answered(case, response, *REPORTS)
    if not isinstance(lines, list) or operation not in REPORTS:
        return
    first, last = REPORTS[operation]
    asked = (str(case.path_parameters.get(first)), str(case.path_parameters.get(last)))
    for line in lines:
        if isinstance(line, dict) and "dateFrom" in line and (line.get("dateFrom"), line.get("dateTo")) != asked:
            raise broken(case, "each line is of the period asked", asked, (line.get("dateFrom"), line.get("dateTo")))
    start, end = day(asked[0]), day(asked[1])
    if start is None or end is None or end <= start:
        return
    middle = start + (end - start) // 2
    halves = [
        follow(case, response, operation, {first: start.isoformat(), last: middle.isoformat()}),
        follow(case, response, operation, {first: (middle + timedelta(days=1)).isoformat(), last: end.isoformat()}),
    ]
    if any(half.status != 200 for half in halves):
        return
    whole, one, two = _figures(lines), _figures(halves[0].body), _figures(halves[1].body)
    for customer, figures in whole.items():
        if customer in one and customer in two:
            added = tuple(a + b for a, b in zip(one[customer], two[customer], strict=True))
            if any(abs(a - b) > Decimal("0.01") for a, b in zip(added, figures, strict=True)):
                raise broken(
                    case,
                    f"customer {customer}'s {' and '.join(ADDITIVE)} for the period are those of its halves added up",
                    dict(zip(ADDITIVE, map(str, added), strict=True)),
                    dict(zip(ADDITIVE, map(str, figures), strict=True)),
                    *halves,
                )
