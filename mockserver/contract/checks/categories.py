"""Rules of meaning for customer categories (doc 002): a category's customer_count is the
number of customers listed under it, and a created category is listed."""

from .follow import answered, broken, follow, rule

MOST_FOLLOWED = 3  # categories whose customers are listed, per answer: bounded cost on a big store


@rule
def category_count_matches_its_customers(ctx, response, case):
    """customer_count counts the customers GET /api/v3/clients?category_id=N lists."""
    categories = answered(case, response, "categories.list_categories", "categories.list_categories_text_path")
    if not isinstance(categories, list):
        return
    counted = [c for c in categories if isinstance(c, dict) and isinstance(c.get("customer_count"), int)]
    for category in sorted(counted, key=lambda c: c["customer_count"])[:MOST_FOLLOWED]:
        listed = follow(case, response, "customers.list_customers", query={"category_id": category.get("id")})
        if listed.status == 200 and isinstance(listed.body, list) and len(listed.body) != category["customer_count"]:
            raise broken(
                case,
                f"category {category.get('id')}'s customer_count counts its customers",
                len(listed.body),
                category["customer_count"],
                listed,
            )


@rule
def created_category_is_listed(ctx, response, case):
    """A created category is in the categories list, with its name."""
    made = answered(case, response, "categories.create_category")
    if not isinstance(made, dict) or "id" not in made:
        return
    listed = follow(case, response, "categories.list_categories")
    if listed.status == 200 and isinstance(listed.body, list):
        mine = [c for c in listed.body if isinstance(c, dict) and c.get("id") == made["id"]]
        if not mine or mine[0].get("name") != made.get("name"):
            raise broken(case, f"category {made['id']}, just created, is listed", made, mine, listed)
