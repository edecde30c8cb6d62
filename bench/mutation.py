"""Machine-made defects: how many the contract catches, of mutants nobody chose.

    make mutation            # or: .venv/bin/python bench/mutation.py [--sample 150] [--seed 1]

cosmic-ray mutates the serve-side code (the handlers, the store, the ledger, the indexes,
the schemas) of a copy of this checkout; a sample of its mutants, drawn with a fixed seed,
is each served from that copy and held to `mockserver contract` installed from this
checkout (bench/mutant_check.py), so the contract's model is never the mutated code. It
prints how many were killed and survived, and writes every survivor, with its diff, to
bench/mutation-survivors.md, where each is marked equivalent or a gap once read.
"""

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cosmic_ray.work_db import WorkDB, use_db
from cosmic_ray.work_item import TestOutcome, WorkerOutcome, WorkResult

ROOT = Path(__file__).resolve().parent.parent
MUTATED = [
    "mockserver/api",
    "mockserver/state/store.py",
    "mockserver/state/ledger.py",
    "mockserver/state/indexes.py",
    "mockserver/schemas",
]
SURVIVORS = ROOT / "bench" / "mutation-survivors.md"


def config(timeout: float) -> str:
    paths = ", ".join(f'"{p}"' for p in MUTATED)
    return f"""[cosmic-ray]
module-path = [{paths}]
timeout = {timeout}
excluded-modules = []
test-command = "{sys.executable} {ROOT / "bench" / "mutant_check.py"}"

[cosmic-ray.distributor]
name = "local"
"""


def copy_tree(into: Path) -> None:
    for name in ("mockserver", "fixtures"):
        shutil.copytree(ROOT / name, into / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("openapi.yaml", "control-plane.yaml", "schemathesis.toml"):
        shutil.copy(ROOT / name, into / name)


def sample(session: Path, count: int, seed: int) -> int:
    """Leaves `count` mutants pending, drawn with `seed`; the rest are marked skipped."""
    with use_db(str(session), WorkDB.Mode.open) as db:
        # job ids are random: the draw is made over what each mutant is, so a seed gives the same mutants
        items = sorted(db.pending_work_items, key=lambda item: _what(item))
        kept = {item.job_id for item in random.Random(seed).sample(items, min(count, len(items)))}
        db.set_multiple_results(
            [item.job_id for item in items if item.job_id not in kept], WorkResult(worker_outcome=WorkerOutcome.SKIPPED)
        )
        return len(items)


def _what(item) -> tuple:
    spec = item.mutations[0]
    return (str(spec.module_path), spec.operator_name, spec.occurrence, tuple(spec.start_pos))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, default=150)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=180.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mockserver-mutation-") as folder:
        tree, clean = Path(folder) / "mutated", Path(folder) / "clean"
        copy_tree(tree)
        copy_tree(clean)
        os.environ["MUTATION_CHECKOUT"] = str(clean)
        (tree / "cosmic-ray.toml").write_text(config(args.timeout))
        session = tree / "session.sqlite"
        cosmic = [sys.executable, "-m", "cosmic_ray.cli"]
        subprocess.run([*cosmic, "init", "cosmic-ray.toml", str(session)], cwd=tree, check=True)
        total = sample(session, args.sample, args.seed)
        drawn = min(args.sample, total)
        print(f"cosmic-ray made {total:,} mutants of {', '.join(MUTATED)}; {drawn} drawn (seed {args.seed})")
        start = time.monotonic()
        subprocess.run([*cosmic, "exec", "cosmic-ray.toml", str(session)], cwd=tree, check=True)
        took = time.monotonic() - start
        return report(session, took)


def report(session: Path, took: float) -> int:
    killed, survived, incompetent = [], [], []
    with use_db(str(session), WorkDB.Mode.open) as db:
        for item, result in db.completed_work_items:
            if result.worker_outcome == WorkerOutcome.SKIPPED:
                continue
            outcome = result.test_outcome
            if outcome == TestOutcome.SURVIVED:
                survived.append((item, result))
            elif outcome == TestOutcome.INCOMPETENT:
                incompetent.append((item, result))
            else:
                killed.append((item, result))
    tried = len(killed) + len(survived)
    print(f"mutants run: {tried + len(incompetent)} in {took:.0f} s")
    print(f"  killed by the contract (or by not starting): {len(killed)}")
    print(f"  survived: {len(survived)}; incompetent (the mutation itself broke): {len(incompetent)}")
    print(f"  score: {len(killed) / tried:.0%} of the competent mutants killed" if tried else "  nothing ran")
    lines = ["# Mutants the contract did not kill", "", f"{len(survived)} of {tried} (bench/mutation.py).", ""]
    for item, result in survived:
        spec = item.mutations[0]
        lines += [f"## {spec.module_path}:{spec.start_pos[0]} {spec.operator_name}", "", "why: (to read)", ""]
        lines += ["```diff", (result.diff or "").strip(), "```", ""]
    SURVIVORS.write_text("\n".join(lines), encoding="utf-8")
    print(f"  survivors, with their diffs: {SURVIVORS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
