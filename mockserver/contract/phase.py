"""The model's phase of a contract run: the target observed, the model made of what it
shows, the probe's requests sent and judged (probe.py), and every failure printed whole:
the request, as curl, and each field the model predicted otherwise."""

import json
import shlex
import urllib.error
import urllib.request

from . import probe
from .judge import Judge
from .model import Answer


def sender(base_url: str):
    base = base_url.rstrip("/")

    def send(method: str, path: str, headers: dict[str, str], body: bytes | None) -> Answer:
        request = urllib.request.Request(base + path, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status, answered, content = response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as refused:
            status, answered, content = refused.code, dict(refused.headers), refused.read()
        try:
            parsed = json.loads(content)
        except ValueError:
            parsed = None
        return Answer(status, answered, content, parsed)

    return send


def model_phase(base_url: str, headers: dict[str, str], max_failures: int | None = None) -> tuple[Judge | None, int]:
    """The judge for the rest of the run, and how many probe requests failed (it stops at
    `max_failures`)."""
    send = sender(base_url)
    try:
        judge = Judge(lambda path, sent: send("GET", path, sent, None), headers)
    except OSError as e:
        print(f"mockserver contract: the model could not observe {base_url} ({e}); its phase did not run")
        return None, 0
    counts = ", ".join(f"{len(rows)} {name}" for name, rows in judge.model.observed.tables.items())
    print(f"mockserver contract: model observed {counts}", flush=True)
    for listed in judge.model.observed.not_listed:
        print(f"mockserver contract: {listed} gave no list: what it holds is compared as changes only")
    failed = probe.run(judge, send, headers, max_failures)
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
    return judge, len(failed)
