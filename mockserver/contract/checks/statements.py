"""Rules of meaning for statement e-mails (docs 000 and 001): one is sent only to a
customer that exists."""

from .follow import answered, broken, follow, rule

SENDS = ("statements.send_statement", "statements.send_statement_legacy")


@rule
def statement_goes_to_an_existing_customer(ctx, response, case):
    """A statement "sent" for a customer GET /api/v3/clients/{id} does not know should have
    been a 404."""
    if answered(case, response, *SENDS) is None:
        return
    fetched = follow(case, response, "customers.get_customer", {"id": case.path_parameters.get("id")})
    if fetched.status == 404:
        raise broken(case, "a statement is sent only to an existing customer", 404, response.status_code, fetched)
