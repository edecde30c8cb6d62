"""mockserver seed: demo data at scale, the same for the same seed."""

import argparse
import sys
from datetime import date

from .. import defaults
from ..state import ledger
from ..state.store import Store
from . import options


def add_parser(commands) -> argparse.ArgumentParser:
    seed = commands.add_parser(
        "seed", help="demo data at scale: the fixtures plus generated customers, ledger history and income"
    )
    options.db_option(seed)
    seed.add_argument("--customers", type=options.count, default=1000, metavar="N", help="customers to add (1000)")
    seed.add_argument(
        "--income", type=options.count, default=5000, metavar="N", help="Summit income entries to add (5000)"
    )
    seed.add_argument("--seed", type=int, default=42, help="random seed: the same seed, the same data (42)")
    seed.add_argument(
        "--until",
        type=date.fromisoformat,
        default=defaults.SEED_UNTIL,
        metavar="DATE",
        help=f"last day of the generated history, which spans three years (default {defaults.SEED_UNTIL})",
    )
    seed.add_argument("--quiet", action="store_true", help="no progress bar")
    seed.set_defaults(run=run)
    return seed


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ..state.seeding import seed

    store = Store(args.db, kept=ledger.KEPT)
    try:
        with tqdm(
            total=args.customers + args.income,
            unit=" records",
            desc="mockserver seed",
            disable=args.quiet,
            file=sys.stderr,
        ) as bar:
            made = seed(store, args.customers, args.income, args.seed, args.until, bar.update)
    finally:
        store.close()
    print(
        f"mockserver: {args.db} is the fixtures plus {made.customers:,} customers with {made.ledger:,} ledger "
        f"entries and {made.income:,} income entries (seed {args.seed}, until {args.until})",
        flush=True,
    )
    return 0
