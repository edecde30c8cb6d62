"""What the subcommands' options share: their types (each a clear message for a bad value),
the store and the running server they act on."""

import argparse
import os
import re
from pathlib import Path

from .. import defaults

_UNITS = {"": 1, "B": 1, "K": 1000, "KB": 1000, "KIB": 1024, "M": 1000**2, "MB": 1000**2, "MIB": 1024**2}
_UNITS |= {"G": 1000**3, "GB": 1000**3, "GIB": 1024**3}


def db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, default=defaults.DB, help=f"TinyDB file (default {defaults.DB})")


def target_options(parser: argparse.ArgumentParser) -> None:
    """Work on a store file directly, or (--url) through a running server's control plane."""
    db_option(parser)
    parser.add_argument(
        "--url",
        default=os.environ.get("MOCKSERVER_URL"),
        help="a running server, e.g. http://localhost:8000 (default $MOCKSERVER_URL; none: work on --db)",
    )
    parser.add_argument(
        "--token",
        default=os.environ.get("MOCKSERVER_TOKEN", "mockserver-cli"),
        help="bearer token for --url (default $MOCKSERVER_TOKEN)",
    )


def version_of() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mockserver")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "(not installed)"


def port(text: str) -> int:
    if not text.strip().isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port: write a number from 1 to 65535")
    return int(text)


def count(text: str) -> int:
    if not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a count: write a whole number, 0 or more")
    return int(text)


def positive(text: str) -> int:
    if not text.strip().isdigit() or int(text) == 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive count: write a whole number, 1 or more")
    return int(text)


def seconds(text: str) -> float:
    """30, 2.5: a time in seconds, more than none."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a time: write seconds, more than 0 (30, or 2.5)")
    return value


def latency(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?(?:ms)?\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a latency: write milliseconds, 100, or a range, 50-200")
    least, most = int(match.group(1)), int(match.group(2) or match.group(1))
    if least > most or most > 60_000:
        raise argparse.ArgumentTypeError(f"{text!r}: the range must run upwards and stay within 60000 ms")
    return least, most


def duration(text: str) -> float:
    """90s, 30m, 12h, 7d, or plain seconds."""
    match = re.fullmatch(r"\s*(\d+)\s*([smhd]?)\s*", text.lower())
    if not match or int(match.group(1)) == 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time: write 90s, 30m, 12h or 7d")
    return float(int(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)])


def size(text: str) -> int:
    """5MB, 512KiB, 1000000: a size in bytes."""
    match = re.fullmatch(r"\s*(\d+)\s*([A-Za-z]*)\s*", text)
    unit = match.group(2).upper() if match else ""
    if not match or unit not in _UNITS:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a size: write bytes, or a number with KB, MB, GB, KiB, MiB or GiB"
        )
    return int(match.group(1)) * _UNITS[unit]


def positive_size(text: str) -> int:
    """A size, as `size` reads it, of more than nothing."""
    value = size(text)
    if value == 0:
        raise argparse.ArgumentTypeError(f"{text!r} is no size at all: write more than 0")
    return value


def counts(records: dict[str, int]) -> str:
    return ", ".join(f"{count} {table}" for table, count in records.items())
