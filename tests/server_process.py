"""`mockserver serve` started as a user starts it, in a child process."""

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.patience import patience

AUTH = {"Authorization": "Bearer process-token"}


def run_cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    """`mockserver ARGS` to its end, with what it printed."""
    return subprocess.run(
        [sys.executable, "-m", "mockserver", *args], capture_output=True, text=True, timeout=patience(180), cwd=cwd
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    def __init__(self, *args: str, port: int | None = None, command: str = "serve"):
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        # A file, not a pipe: a server that logs a lot must never block on a full pipe.
        self.output = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mockserver", command, "--port", str(self.port), *args],
            stdout=self.output,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self._wait_ready()

    def _wait_ready(self) -> None:
        timeout = patience(30)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited {self.proc.returncode}: {self.stop()}")
            try:
                urllib.request.urlopen(self.base + "/", timeout=patience(1))
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise TimeoutError(f"server on {self.base} not ready in {timeout}s")

    def __enter__(self) -> "ServerProcess":
        return self

    def __exit__(self, *exc) -> None:
        self.log = self.stop()

    def call(self, method: str, path: str, body=None, headers=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.base + path, data=data, method=method, headers={**AUTH, **(headers or {})}
        )
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=patience(10)) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def kill(self) -> None:
        """SIGKILL to the server and its worker, as a crash; back once every process of the
        group is gone. A process killed inside an fsync dies only when the fsync returns, and
        holds the store's lock until then: a restart before that would find it in use."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(patience(5))
        deadline = time.monotonic() + patience(10)
        while _alive_in_group(self.proc.pid):
            if time.monotonic() > deadline:
                raise TimeoutError(f"processes of group {self.proc.pid} outlived SIGKILL by {patience(10):.0f} s")
            time.sleep(0.01)

    def stop(self) -> str:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(patience(15))
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        if self.output.closed:
            return ""
        self.output.seek(0)
        text = self.output.read()
        self.output.close()
        return text


def _alive_in_group(group: int) -> bool:
    """Whether a process of the group still runs a thread. Its main thread alone is not
    enough to look at: killed, it shows as a zombie while a thread stuck in an fsync still
    holds the process's files, the store's lock among them."""
    for process in Path("/proc").glob("[0-9]*"):
        try:
            its_group = int((process / "stat").read_text().rpartition(")")[2].split()[2])
            if its_group == group and any(_state(task) != "Z" for task in (process / "task").iterdir()):
                return True
        except (OSError, ValueError):
            continue  # gone while we looked
    return False


def _state(task: Path) -> str:
    return (task / "stat").read_text().rpartition(")")[2].split()[0]
