"""mockserver reset: the store back to the fixtures, on disk or through a running server."""

import argparse
import shutil
from pathlib import Path

from ..control.remote import control
from ..state import ledger
from ..state.store import Store
from . import options


def add_parser(commands) -> argparse.ArgumentParser:
    reset = commands.add_parser(
        "reset", help="put the store back to the fixtures (with --url: reset a running server, journal and all)"
    )
    options.target_options(reset)
    reset.set_defaults(run=run)
    return reset


def run(args: argparse.Namespace) -> int:
    if args.url:
        result = control(args.url, args.token, "POST", "/__mock/reset")
        print(f"mockserver: {args.url} reset: {options.counts(result['records'])}", flush=True)
    else:
        reset_file(args.db)
    return 0


def reset_file(db: Path) -> None:
    """The store back to the fixtures, and every token's sandbox gone."""
    store = Store(db, kept=ledger.KEPT)
    if not store.seeded:
        store.reset()
    store.close()
    from ..state.sandbox import sandbox_folder

    shutil.rmtree(sandbox_folder(db), ignore_errors=True)
    print(f"mockserver: {db} reset to the fixtures", flush=True)
