"""Whole-table answers kept encoded a customer at a time (answers.py): what is kept must be
what a dump from scratch gives, after any write, and a write racing the making of an answer
must not leave a stale part behind."""

from collections import defaultdict
from datetime import date

import pytest

from mockserver.api import customers, reports
from mockserver.api.categories import category_names
from mockserver.state import answers
from tests.test_customers import NEW_CUSTOMER

CUSTOMERS = "/api/v3/clients"
REPORT = "/api/v3/reports/customers/2024-01-01/2024-11-30"


def listed_from_scratch(store, category_id=None) -> list[dict]:
    chosen = [c for c in store.all("customers") if category_id is None or c["category_id"] == category_id]
    return customers._customers.dump(customers.present(store, chosen))


def report_from_scratch(store) -> list[dict]:
    entries = defaultdict(list)
    for entry in sorted(store.all("ledger"), key=lambda e: (e["date"], e["id"])):
        entries[entry["customer_id"]].append(entry)
    names, start, end = category_names(store), date(2024, 1, 1), date(2024, 11, 30)
    lines = [reports._view(store, c, entries[c["id"]], start, end, names) for c in store.all("customers")]
    return reports._lines.dump(sorted(lines, key=lambda line: line["id"]))


@pytest.mark.parametrize("piece", [1, 3, answers.PIECE])
def test_the_list_and_report_asked_again_are_what_a_dump_from_scratch_gives(client, store, monkeypatch, piece):
    monkeypatch.setattr(answers, "PIECE", piece)  # the missing parts made this many at a time
    for _ in range(2):  # the second time from the kept parts
        assert client.get(CUSTOMERS).json == listed_from_scratch(store)
        assert client.get(f"{CUSTOMERS}?category_id=1").json == listed_from_scratch(store, 1)
        assert client.get(REPORT).json == report_from_scratch(store)


@pytest.mark.parametrize(
    "write",
    [
        lambda client, ident: client.post(f"{CUSTOMERS}/{ident}", json={**NEW_CUSTOMER, "business_name": "Aardvark"}),
        lambda client, ident: client.post(f"{CUSTOMERS}/{ident}/archive", json={"archived": True}),
        lambda client, ident: client.delete(f"{CUSTOMERS}/{ident}"),
        lambda client, ident: client.post(CUSTOMERS, json=NEW_CUSTOMER),
        lambda client, ident: client.post(
            "/__mock/ledger", json={"customer_id": ident, "kind": "invoice", "amount": 12.5, "date": "2024-05-01"}
        ),
        lambda client, ident: client.post(f"{CUSTOMERS}/category", json={"name": "New"}),
        lambda client, ident: client.post("/__mock/reset"),
    ],
    ids=["update", "archive", "delete", "create", "ledger entry", "category", "reset"],
)
def test_a_write_changes_the_kept_answers(client, store, write):
    client.get(CUSTOMERS), client.get(REPORT)
    ident = store.all("customers")[0]["id"]
    assert write(client, ident).status_code < 300
    assert client.get(CUSTOMERS).json == listed_from_scratch(store)
    assert client.get(REPORT).json == report_from_scratch(store)


def test_a_part_changed_while_the_answer_is_made_is_not_kept(client, store, monkeypatch):
    """The parts are dumped without the lock; a write in between is shown from the next answer."""
    ident = store.all("customers")[0]["id"]
    present = customers.present

    def racing(store_, rows):
        views = present(store_, rows)
        if len(rows) > 1:  # the list's dump, once: a rename lands after the rows were read
            monkeypatch.setattr(customers, "present", present)
            store_.update("customers", ident, {"business_name": "Renamed meanwhile"})
        return views

    monkeypatch.setattr(customers, "present", racing)
    before = client.get(CUSTOMERS).json
    assert "Renamed meanwhile" not in [c["business_name"] for c in before]  # as it was when read
    assert client.get(CUSTOMERS).json == listed_from_scratch(store)


def test_the_longest_unasked_answer_goes_first(client, store):
    months = range(1, answers.Parts.kept + 1)
    client.get(CUSTOMERS)
    for month in months:
        client.get(f"/api/v3/reports/customers/2024-0{month}-01/2024-0{month}-28")
        client.get(CUSTOMERS)  # asked again each time: kept throughout
    kept = store.derived(customers.Shown, lambda view: list(view._answers))
    periods = [("report", date(2024, m, 1), date(2024, m, 28)) for m in months]
    assert kept == [*periods[1:], "list"]
