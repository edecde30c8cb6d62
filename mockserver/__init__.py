"""mockserver: a stateful mock and contract-test server for the Built Accounting and Summit APIs."""

from .app import create_app

__all__ = ["create_app"]
