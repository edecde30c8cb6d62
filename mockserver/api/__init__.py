"""Handlers, one module per resource, named by the operationIds in openapi.yaml.

Each takes the validated parameters (snake_case; `from` is `from_`) and `body`, calls the
store, dumps with a schema and returns the JSON value, or (value, status).
"""

from flask import current_app

from ..store import Store

# Operations in openapi.yaml that are designed but not served yet: they answer 501 naming
# the issue that brings them. A test keeps this list and the handlers in step.
PENDING: dict[str, int] = {
    "customer_files.import_customers": 5,
    "customer_files.import_customers_text_path": 5,
    "customer_files.export_customers": 5,
    "reports.income_by_customers": 3,
    "reports.income_by_customers_legacy": 3,
    "reports.customer_income": 3,
    "reports.filter_customer_income": 3,
    "reports.get_client_legacy": 3,
    "reports.filter_client_transactions_legacy": 3,
    "statements.send_statement": 3,
    "statements.send_statement_legacy": 3,
    "income.list_income": 4,
    "income.create_income": 4,
    "income.get_income": 4,
    "income.update_income": 4,
    "income.delete_income": 4,
}


def db() -> Store:
    return current_app.extensions["mockserver.store"]
