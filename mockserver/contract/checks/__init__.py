"""Checks of meaning: rules the docs state in words, held as Schemathesis checks, one module
per resource (as Schemathesis keeps its own in specs/openapi/checks.py). Importing this
package registers them, so `mockserver contract` runs them by default, and a consumer's
own Schemathesis run gets them with one import:

    import mockserver.contract.checks  # noqa: F401  (registers them)

Each passes any backend that does what the docs say, and reads the open points every
reasonable way; each fails with the rule's name, what it expected, what came, and the
requests that showed it.
"""

from . import categories, customers, income, reports, statements  # noqa: F401 (registering them)
from .follow import RULES, BrokenRule

NAMES = [check.__name__ for check in RULES]
__all__ = ["RULES", "NAMES", "BrokenRule"]
