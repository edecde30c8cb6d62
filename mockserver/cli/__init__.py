"""mockserver serve | proxy | reset | snapshot | repair | contract | seed | fault: one module per subcommand, each
owning its options (`add_parser`) and its work (`run`); this one only dispatches."""

import argparse
import sys

from ..control.remote import ControlError
from ..serving.preflight import StartupError
from ..state.files import StoreInUse
from ..state.storage.snapshot import StoreDamaged
from . import contract, fault, proxy, repair, reset, seed, serve, snapshot
from .options import version_of

SUBCOMMANDS = (serve, proxy, reset, snapshot, repair, contract, seed, fault)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else argv
    argv, passthrough = (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else (argv, [])
    args, unknown = parser.parse_known_args(argv)
    command = parser.commands[args.command]  # type: ignore[attr-defined]
    if unknown:  # said by the command's own parser, whose usage lists the options it takes
        command.error(f"unrecognized arguments: {' '.join(unknown)}")
    args.passthrough = passthrough
    check = getattr(args, "check", None)
    problem = check(args) if check else None
    if problem:
        parser.error(problem)
    try:
        return args.run(args)
    except StoreInUse as e:
        hint = "" if args.command == "serve" else "; or pass --url to ask the server that holds it"
        print(f"mockserver: {e}{hint}", file=sys.stderr)
        return 1
    except (ControlError, StartupError, StoreDamaged) as e:
        print(f"mockserver: {e}", file=sys.stderr)
        return 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mockserver", description="A stateful mock of the Built Accounting and Summit APIs."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version_of()}")
    commands = parser.add_subparsers(dest="command", required=True)
    parser.commands = commands.choices  # type: ignore[attr-defined]
    for module in SUBCOMMANDS:
        sub = module.add_parser(commands)
        if hasattr(module, "check"):
            sub.set_defaults(check=module.check)
    return parser
