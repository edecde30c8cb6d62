"""mockserver snapshot save|restore|list|delete: named copies of the store."""

import argparse
import sys
from pathlib import Path

from ..control.remote import control
from ..state import ledger
from ..state.store import Store
from . import options


def add_parser(commands) -> argparse.ArgumentParser:
    snapshot = commands.add_parser("snapshot", help="save, restore, list or delete named copies of the store")
    snapshot.add_argument("action", choices=["save", "restore", "list", "delete"])
    snapshot.add_argument("name", nargs="?", help="the snapshot's name (not for list)")
    options.target_options(snapshot)
    snapshot.set_defaults(run=run)
    return snapshot


def check(args: argparse.Namespace) -> str | None:
    if (args.name is None) != (args.action == "list"):
        return f"snapshot {args.action} {'takes no name' if args.action == 'list' else 'needs a NAME'}"
    return None


def run(args: argparse.Namespace) -> int:
    if args.url:
        path = "/__mock/snapshots" + (f"/{args.name}" if args.name else "")
        method, path = {
            "save": ("PUT", path),
            "restore": ("POST", path + "/restore"),
            "list": ("GET", path),
            "delete": ("DELETE", path),
        }[args.action]
        result = control(args.url, args.token, method, path)
    else:
        from ..state.snapshots import SnapshotError  # it needs flask, which `serve` leaves to its worker

        try:
            result = _snapshot_offline(args.db, args.action, args.name)
        except SnapshotError as e:
            print(f"mockserver: {e}", file=sys.stderr)
            return 1
    if args.action == "list":
        for snapshot in result:
            print(f"{snapshot['name']}  {snapshot['created_at']}  {options.counts(snapshot['records'])}")
    else:
        done = {"save": "saved", "restore": "restored", "delete": "deleted"}[args.action]
        print(f"mockserver: snapshot {args.name} {done}", flush=True)
    return 0


def _snapshot_offline(db: Path, action: str, name: str | None):
    from ..state.snapshots import SnapshotError, Snapshots

    store = Store(db, kept=ledger.KEPT)
    try:
        snapshots = Snapshots(store)
        if action == "list":
            return snapshots.summaries()
        assert name is not None
        if action == "save":
            return snapshots.save(name)[0].summary()
        found = snapshots.restore(name) if action == "restore" else snapshots.delete(name)
        if not found:
            raise SnapshotError(f"no snapshot {name!r} in {snapshots.folder}")
        return None
    finally:
        store.close()
