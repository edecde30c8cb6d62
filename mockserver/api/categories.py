"""Built Accounting customer categories (doc 002)."""

from collections import Counter

from .. import clock
from ..schemas.category import CategoryInputSchema, CategorySchema
from ..store import Store
from . import db

TABLE = "categories"
CUSTOMERS = "customers"

_category = CategorySchema()
_categories = CategorySchema(many=True)
_input = CategoryInputSchema()


def list_categories():
    store = db()
    counts = Counter(c["category_id"] for c in store.all(CUSTOMERS))
    return _categories.dump([{**cat, "customer_count": counts[cat["id"]]} for cat in store.all(TABLE)])


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
