"""cosmic-ray's test command (bench/mutation.py): serve the mutated tree in the current
folder, and hold it to the contract installed from the unmutated checkout. Exit 0: the
mutant survived; anything else: it was killed (by the contract, or by failing to start)."""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

# the unmutated tree the contract runs from: a copy made at the start of the run, so that
# nothing changed in the checkout meanwhile enters the measure
CHECKOUT = Path(os.environ.get("MUTATION_CHECKOUT", Path(__file__).resolve().parent.parent))
TOKEN = "mutant"
PHASES = os.environ.get("MUTATION_PHASES", "model")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    tree = Path.cwd()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as scratch:
        serve = [sys.executable, "-m", "mockserver", "serve", "--db", f"{scratch}/db.json", "--port", str(port)]
        env = {**os.environ, "PYTHONPATH": str(tree)}
        server = subprocess.Popen([*serve, "--token", TOKEN, "--quiet"], cwd=tree, env=env, stdout=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while True:  # readiness, not a fixed sleep
                if server.poll() is not None:
                    print("the mutated server did not start", flush=True)
                    return 2
                try:
                    urllib.request.urlopen(base + "/", timeout=5).read()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        print("the mutated server did not answer in 60 s", flush=True)
                        return 3
                    time.sleep(0.1)
            contract = [sys.executable, "-m", "mockserver", "contract", "--base-url", base, "--token", TOKEN]
            checked = {**os.environ, "PYTHONPATH": str(CHECKOUT)}
            run = subprocess.run(
                # killed or not is all this asks: the first failure answers it
                [*contract, "--phases", PHASES, "--max-failures", "1"],
                cwd=scratch,
                env=checked,
                capture_output=True,
                text=True,
            )
            print(run.stdout[-4000:], run.stderr[-2000:], sep="\n", flush=True)
            return run.returncode
        finally:
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()


if __name__ == "__main__":
    sys.exit(main())
