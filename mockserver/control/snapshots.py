"""/__mock/snapshots: named copies of the store to go back to (mockserver/state/snapshots.py)."""

from flask import Response

from ..state.sandbox import current
from ..state.snapshots import Snapshot, SnapshotError, SnapshotInvalid, Snapshots
from ..web.errors import ApiError, not_found


def list_snapshots():
    return _call(lambda s: s.summaries())


def get_snapshot(name: str):
    summary = _call(lambda s: s.summary(name))
    if summary is None:
        raise not_found("Snapshot", name)
    return summary


def save_snapshot(name: str):
    snapshot, created = _call(lambda s: s.save(name))
    return snapshot.summary(), 201 if created else 200


def restore_snapshot(name: str):
    return _found(name, _call(lambda s: s.restore(name))).summary()


def delete_snapshot(name: str):
    if not _call(lambda s: s.delete(name)):
        raise not_found("Snapshot", name)
    return Response(status=204)


def _snapshots() -> Snapshots:
    return current().snapshots


def _call(action):
    try:
        return action(_snapshots())
    except SnapshotInvalid as e:  # a restore refused, the store untouched
        raise ApiError(422, str(e)) from e
    except SnapshotError as e:
        raise ApiError(409, str(e)) from e


def _found(name: str, snapshot: Snapshot | None) -> Snapshot:
    if snapshot is None:
        raise not_found("Snapshot", name)
    return snapshot
