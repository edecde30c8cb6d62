"""Built Accounting customer categories (doc 002)."""

from ..schemas.category import CategoryInputSchema, CategorySchema
from ..state import clock, ledger
from ..state.store import Store
from . import db

TABLE = "categories"

_category = CategorySchema()
_categories = CategorySchema(many=True)
_input = CategoryInputSchema()


def list_categories():
    store = db()
    counts = store.derived(ledger.Books, ledger.Books.counts)
    return _categories.dump([{**cat, "customer_count": counts.get(cat["id"], 0)} for cat in store.all(TABLE)])


# The doc's text names /api/v3/clients/categories, its sample /api/v3/clients/clients/categories.
list_categories_text_path = list_categories


def create_category(body: dict):
    fields = _input.load(body)
    stamp = clock.laravel(clock.now())
    record = db().insert(
        TABLE, {"business_id": 1, **fields, "created_at": stamp, "updated_at": stamp, "archived": False}
    )
    return _category.dump({**record, "customer_count": 0}), 201


def category_names(store: Store) -> dict[int, str]:
    return {cat["id"]: cat["name"] for cat in store.all(TABLE)}
