"""The time the server stamps records with. One place, so it can be frozen later."""

from datetime import UTC, datetime


def now() -> datetime:
    # Millisecond precision: the finest any of the APIs' timestamps show (Summit's).
    moment = datetime.now(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def laravel(moment: datetime) -> str:
    # Laravel stores whole seconds, so its timestamps always end in .000000Z.
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def summit(moment: datetime) -> str:
    """As JavaScript's toISOString writes it, which Summit's samples show: 2023-10-27T13:00:00.000Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def iso(moment: datetime) -> str:
    """RFC 3339 with a Z, as the control plane and the outbox write times."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
