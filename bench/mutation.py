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
import re
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
# what bench/mutant_check.py prints of a kill: the contract's verdict of failure, or a server
# that did not start; or cosmic-ray's "timeout", a run that never ended (a mutant that hangs
# the server). A crash of the contract prints none of them
KILLED = re.compile(r"does NOT conform to \(exit 1\)|the mutated server did not start|did not answer|^timeout$", re.M)


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
        # the unmutated copy must pass, or every mutant would count as killed
        baseline = subprocess.run([sys.executable, str(ROOT / "bench" / "mutant_check.py")], cwd=tree, text=True,
                                  capture_output=True)  # fmt: skip
        if baseline.returncode != 0:
            print(f"the unmutated tree fails the contract (exit {baseline.returncode}): no mutant can be judged")
            print(baseline.stdout[-3000:])
            return 1
        total = sample(session, args.sample, args.seed)
        drawn = min(args.sample, total)
        print(f"cosmic-ray made {total:,} mutants of {', '.join(MUTATED)}; {drawn} drawn (seed {args.seed})")
        start = time.monotonic()
        subprocess.run([*cosmic, "exec", "cosmic-ray.toml", str(session)], cwd=tree, check=True)
        took = time.monotonic() - start
        return report(session, took)


def report(session: Path, took: float) -> int:
    killed, survived, incompetent, erred = [], [], [], []
    with use_db(str(session), WorkDB.Mode.open) as db:
        for item, result in db.completed_work_items:
            if result.worker_outcome == WorkerOutcome.SKIPPED:
                continue
            outcome = result.test_outcome
            if outcome == TestOutcome.SURVIVED:
                survived.append((item, result))
            elif outcome == TestOutcome.INCOMPETENT:
                incompetent.append((item, result))
            elif KILLED.search(result.output or ""):
                killed.append((item, result))
            else:  # the contract itself erred (a crash, a usage error): that kills nothing
                erred.append((item, result))
    tried = len(killed) + len(survived)
    read = _whys()  # what a reader said of each survivor before, kept for the same mutant
    whys = [read.get(_key(item, result), "(to read)") for item, result in survived]
    equivalent = sum(why.startswith("equivalent") for why in whys)
    print(f"mutants run: {tried + len(incompetent)} in {took:.0f} s")
    print(f"  killed by the contract (or by not starting): {len(killed)}")
    print(f"  survived: {len(survived)}; incompetent (the mutation itself broke): {len(incompetent)}")
    if erred:
        print(f"  the contract itself erred, so not counted: {len(erred)} (first: {_key(*erred[0]).splitlines()[0]})")
        print((erred[0][1].output or "")[-2000:])
    print(f"  score: {len(killed) / tried:.0%} of the competent mutants killed" if tried else "  nothing ran")
    unread = sum(why == "(to read)" for why in whys)
    print(f"  survivors marked equivalent: {equivalent}; not read yet: {unread}")
    if tried > equivalent:
        share = len(killed) / (tried - equivalent)
        print(f"  of the {tried - equivalent} not marked equivalent: {share:.0%} killed ({unread} not read yet)")
    lines = ["# Mutants the contract did not kill", "", f"{len(survived)} of {tried} (bench/mutation.py).", ""]
    for (item, result), why in zip(survived, whys, strict=True):
        spec = item.mutations[0]
        lines += [f"## {spec.module_path}:{spec.start_pos[0]} {spec.operator_name}", "", f"why: {why}", ""]
        lines += ["```diff", (result.diff or "").strip(), "```", ""]
    SURVIVORS.write_text("\n".join(lines), encoding="utf-8")
    print(f"  survivors, with their diffs: {SURVIVORS.relative_to(ROOT)}")
    return 0


def _key(item, result) -> str:
    spec = item.mutations[0]
    return f"## {spec.module_path}:{spec.start_pos[0]} {spec.operator_name}\n{(result.diff or '').strip()}"


def _whys() -> dict[str, str]:
    """The survivors file as last written: each mutant's heading and diff -> its why."""
    if not SURVIVORS.exists():
        return {}
    found = {}
    for section in SURVIVORS.read_text(encoding="utf-8").split("\n## ")[1:]:
        heading, _, rest = section.partition("\n")
        why = rest.split("why: ", 1)[1].split("\n", 1)[0] if "why: " in rest else "(to read)"
        diff = rest.split("```diff\n", 1)[1].split("\n```", 1)[0] if "```diff\n" in rest else ""
        found[f"## {heading}\n{diff.strip()}"] = why
    return found


if __name__ == "__main__":
    sys.exit(main())
