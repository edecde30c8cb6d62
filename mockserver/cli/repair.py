"""mockserver repair: a store whose journal is damaged, back in a state the server starts
from, with nothing dropped unnamed (mockserver/state/storage/repair.py)."""

import argparse
import sys
import time

from ..state.files import claim, release
from ..state.storage.repair import repair
from ..state.storage.snapshot import SnapshotCorrupt
from . import options


def add_parser(commands) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "repair",
        help="keep what a damaged journal holds before the damage, and move the rest aside into a named file",
    )
    options.db_option(parser)
    parser.set_defaults(run=run)
    return parser


def run(args: argparse.Namespace) -> int:
    db = args.db.resolve()
    if not db.exists() and not db.with_name(db.name + ".journal").exists():
        print(f"mockserver: there is no store at {db}", file=sys.stderr)
        return 1
    lock = claim(db)  # StoreInUse while a server holds it
    try:
        try:
            done = repair(db, time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()))
        except SnapshotCorrupt as e:
            print(f"mockserver: {e} (repair mends a store's journal, not its snapshot)", file=sys.stderr)
            return 1
    finally:
        release(lock)
    for damage in done.damage:
        print(f"mockserver: damage found: {damage.journal} line {damage.number} {damage.problem}")
    if not done.damage:
        print(f"mockserver: no damage found in {db}'s journal")
    print(f"  kept: {_changes(done.kept)}{' from before it' if done.damage else ''}, folded into {db}")
    for moved in done.moved:
        print(
            f"  moved aside: {moved.journal.name} from line {moved.line} on ({moved.lines} lines, {moved.bytes} bytes) "
            f"to {moved.to}"
        )
    if done.moved:
        print("  nothing in those lines is in the store now: read them there, and send again what should be")
    return 0


def _changes(count: int) -> str:
    return f"{count} change{'' if count == 1 else 's'}"
