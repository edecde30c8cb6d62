"""The time the server stamps records with. One place, so it can be frozen later."""

from datetime import UTC, datetime


def now() -> datetime:
    # Laravel stores whole seconds, so its timestamps always end in .000000Z.
    return datetime.now(UTC).replace(microsecond=0)


def laravel(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def iso(moment: datetime) -> str:
    """RFC 3339 with a Z, as the control plane and the outbox write times."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
