"""The model's phase of a contract run: the target observed, the model made of what it
shows, the probe's requests sent and judged (probe.py), and every failure printed whole:
the request, as curl, and each field the model predicted otherwise."""

import http.client
import json
import shlex
import urllib.parse
from collections import deque
from collections.abc import Generator, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait

from . import probe
from .judge import Judge
from .model import Answer


class Sender:
    """Sends over one kept-alive connection: a new connection per request (urllib's way)
    was a fifth of the phase's time. A connection the target closed while idle is opened
    again and the request sent once more, as HTTP clients do; nothing was answered on it."""

    def __init__(self, base_url: str):
        self.target = urllib.parse.urlsplit(base_url.rstrip("/"))
        self.kind = http.client.HTTPSConnection if self.target.scheme == "https" else http.client.HTTPConnection
        self.held: http.client.HTTPConnection | None = None

    def __call__(self, method: str, path: str, headers: dict[str, str], body: bytes | None) -> Answer:
        reused = self.held is not None
        connection = self.held or self.kind(self.target.netloc, timeout=60)
        self.held = None
        try:
            connection.request(method, self.target.path + path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            connection.close()
            if not reused:
                raise
            return self(method, path, headers, body)
        except BaseException:
            connection.close()
            raise
        if response.will_close:
            connection.close()
        else:
            self.held = connection
        try:
            parsed = json.loads(content)
        except ValueError:
            parsed = None
        return Answer(response.status, dict(response.headers), content, parsed)

    def close(self) -> None:
        if self.held is not None:
            self.held.close()
            self.held = None

    def __enter__(self) -> "Sender":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


Sent = tuple[str, str, dict[str, str], bytes | None]  # method, path, headers, body


class Ahead:
    """Requests that change nothing, sent in order on a connection of their own, a few ahead
    of the judge: the target answers the next ones while the model predicts this one, on the
    other core. Sent one at a time and each waited for, the phase spent a third of its time
    waiting on the target."""

    WINDOW = 16

    def __init__(self, base_url: str):
        self.send = Sender(base_url)
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="contract-ahead")

    def __call__(self, requests: Iterable[Sent]) -> Generator[Answer, None, None]:
        """The answers, in the requests' order. Closed early, the requests not yet sent are
        dropped and the one being sent is waited for, so a write the caller sends next on
        another connection comes after it, as it would have one by one."""
        pending: deque[Future[Answer]] = deque()
        try:
            for request in requests:
                pending.append(self.pool.submit(self.send, *request))
                if len(pending) > self.WINDOW:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
            wait(pending)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.send.close()

    def __enter__(self) -> "Ahead":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def model_phase(base_url: str, headers: dict[str, str], max_failures: int | None = None) -> tuple[Judge | None, int]:
    """The judge for the rest of the run, and how many probe requests failed (it stops at
    `max_failures`)."""
    with Sender(base_url) as send, Ahead(base_url) as ahead:
        try:
            judge = Judge(
                lambda path, sent: send("GET", path, sent, None),
                headers,
                fetch_ahead=lambda paths, sent: ahead(("GET", path, sent, None) for path in paths),
            )
        except OSError as e:
            print(f"mockserver contract: the model could not observe {base_url} ({e}); its phase did not run")
            return None, 0
        failed = _probe(judge, send, ahead, base_url, headers, max_failures)
    return judge, failed


def _probe(
    judge: Judge, send: Sender, ahead: Ahead, base_url: str, headers: dict[str, str], max_failures: int | None
) -> int:
    counts = ", ".join(f"{len(rows)} {name}" for name, rows in judge.model.observed.tables.items())
    print(f"mockserver contract: model observed {counts}", flush=True)
    for listed in judge.model.observed.not_listed:
        print(f"mockserver contract: {listed} gave no list: what it holds is compared as changes only")
    failed = probe.run(judge, send, headers, max_failures, ahead)
    if not judge.control_plane():
        print(
            "mockserver contract: the target serves no /__mock/ control plane: ledger histories and the contents "
            "of sent statements were not checked (the API itself cannot add a ledger entry or show a statement)"
        )
    for request, verdict in failed:
        body = request.body if not isinstance(request.body, bytes) else "<file>"
        curl = f"curl -X {request.method} {shlex.quote(base_url.rstrip('/') + request.path)}"
        if body is not None:
            curl += f" -d {shlex.quote(json.dumps(body))}"
        print(f"\nFAILED {verdict.operation}: answered otherwise than the docs' model\n    {curl}")
        for difference in verdict.differences[:20]:
            print(f"    {difference}")
    print(f"mockserver contract: model phase: {len(failed)} of the probe's requests answered otherwise", flush=True)
    if max_failures is not None and len(failed) >= max_failures:
        print(f"mockserver contract: stopped at --max-failures {max_failures}: the rest of the probe was not sent")
    return len(failed)
