"""mockserver: a stateful mock and contract-test server for the Built Accounting and Summit APIs."""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    # Imported on first use (PEP 562): the CLI, and the `serve` process that only supervises
    # granian's worker, then start without flask and the spec.
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
