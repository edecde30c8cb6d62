"""Each exchange the proxy forwards, checked against openapi.yaml (status, media type,
headers, the body's schema: web/routing.py's `answer_problems`, which holds the mock's own
answers in tests) and against the contract's model of the docs' meaning (contract/judge.py),
with the contract's readings table: what a reading allows is no violation.

The model follows the upstream's writes, so it must see the exchanges in the order the
upstream did. Forwarding stays concurrent; judging is one exchange at a time, in the order
the answers completed. A write is let through alone: the reads that completed before it
are judged first, and it is judged before the reads that start after it. A read that was
in flight while a write was could have seen the state before it or after, so it is not
judged (counted in /__proxy/status). Sequential clients, a test suite's, are never cut so.

Calls under /__mock/ (reset, snapshots, the clock, the ledger, faults) go upstream and are
not judged; one that may change state makes the model read the upstream anew. Requests
with other credentials than the model reads with are forwarded, not judged: they may see
another sandbox's state, or another user's.
"""

import gzip
import re
import sys
import threading
import time
import zlib
from collections import Counter, deque
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..contract.judge import Exchange, Judge, Verdict
from ..contract.model import Answer
from ..mocking.journal import MODEL_READ_HEADER
from ..mocking.patterns import path_matcher
from ..web.routing import answer_problems
from .forward import answer_of
from .report import Request, describe_violation, log_line

Fetch = Callable[[str, dict[str, str]], Answer]
Quiet = Callable[[], AbstractContextManager[None]]
JUDGED_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
READS = frozenset({"GET", "HEAD", "OPTIONS"})
MOST_KEPT = 1000  # violations listed at once; the oldest go first
ADMIN_HEADER = "x-mock-admin"


class ProxyJudge(Judge):
    """The contract's judge, reading the upstream's clock and fault rules too where it
    serves this mock's control plane: the model then runs on the same clock, and an
    answer a fault rule may have made up is not held to the model."""

    def __init__(self, fetch: Fetch, headers: dict[str, str], admin: dict[str, str], quiet: Quiet):
        """`quiet()`: a context in which no write is in flight to the upstream."""
        self.admin, self.quiet = admin, quiet
        self.faults: list[tuple[str | None, Callable[[str], bool]]] = []
        with quiet():
            super().__init__(fetch, headers)
            self._sync_control()

    def resync(self) -> None:
        with self.quiet():
            super().resync()
            self._sync_control()

    def _sync_control(self) -> None:
        headers = {**self.headers, **self.admin}
        clock = self.fetch("/__mock/clock", headers)
        if clock.status == 200 and isinstance(clock.json, dict) and clock.json.get("virtual"):
            body = f'{{"now": "{clock.json.get("now")}", "frozen": {str(bool(clock.json.get("frozen"))).lower()}}}'
            self.model.ask("PUT", "/__mock/clock", {"Content-Type": "application/json"}, body.encode())
        faults = self.fetch("/__mock/faults", headers)
        rules = faults.json.get("rules") if faults.status == 200 and isinstance(faults.json, dict) else None
        self.faults = [
            (rule.get("method"), path_matcher(rule["path"]))
            for rule in rules or []
            if isinstance(rule, dict) and isinstance(rule.get("path"), str)
            if rule.get("error_rate") or rule.get("drop_rate")
        ]

    def faulted(self, method: str, path: str) -> bool:
        return any((m is None or m == method) and matches(path) for m, matches in self.faults)


@dataclass
class Ticket:
    """One exchange, from the request to its verdict."""

    method: str
    target: str  # the path with its query, as sent
    headers: list[tuple[str, str]]
    body: bytes | None
    judged: bool = False  # held to the model (else only forwarded)
    writes: bool = False  # let through alone
    resync: bool = False  # a write not judged: the model reads the upstream anew before the next judged one
    why_not: str | None = None  # why it is not judged
    generation: int = 0  # writes begun before it
    overlapped: bool = False  # begun while a write was in flight
    in_flight: bool = False  # a write, counted in flight
    stale: bool = False  # completed before the model read the upstream anew: already in the model
    done: bool = False
    violations: list[dict] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name), None)


class Checker:
    def __init__(self, fetch: Fetch, upstream_url: str, token: str | None):
        # the model's own reads, marked so that this mock, as the upstream, keeps them out of its journal
        self.fetch: Fetch = lambda path, headers: fetch(path, {**headers, MODEL_READ_HEADER: "1"})
        self.upstream_url = upstream_url
        self.credentials = f"Bearer {token}" if token else None
        self.judge: ProxyJudge | None = None
        self.admin: dict[str, str] = {}
        self.turn = threading.Lock()  # held by whoever judges
        self.lock = threading.Lock()  # what follows, down to `pending`
        self.calm = threading.Condition(self.lock)  # told when writes in flight or a reading of the upstream end
        self.generation = 0  # writes begun so far
        self.writes_in_flight = 0
        self.reading_upstream = False  # the model reads the upstream: writes wait
        # A write the model could not follow (the control plane's, another token's) was made:
        # it reads the upstream anew before it judges the next exchange.
        self.behind = False
        self.pending: deque[tuple[Ticket, Answer | None]] = deque()  # completed, in order, to be judged
        self.violations: deque[dict] = deque(maxlen=MOST_KEPT)
        self.counts: Counter[str] = Counter()
        self.not_judged: Counter[str] = Counter()
        self.next_id = 1

    # -- before the request goes upstream

    def begin(self, method: str, target: str, headers: list[tuple[str, str]], body: bytes | None) -> Ticket:
        ticket = Ticket(method, target, headers, body)
        path = urlsplit(target).path
        admin = ticket.header(ADMIN_HEADER)
        if admin is not None:
            self.admin.update({"X-Mock-Admin": admin})
        control = path == "/__mock" or path.startswith("/__mock/")
        ticket.writes = method not in READS
        if control:
            ticket.why_not = "the control plane (/__mock/)"
        elif method not in JUDGED_METHODS:
            ticket.why_not = f"{method} is not judged"
        else:
            self._judge_with(ticket)
        ticket.judged = ticket.why_not is None
        ticket.resync = ticket.writes and not ticket.judged  # it may have changed what the model holds
        if ticket.judged and self.behind:
            with self.turn:  # what completed before it judged first, on the model as it was
                self._drain()
                self._catch_up()
        with self.calm:
            if ticket.writes:
                while self.reading_upstream:
                    self.calm.wait()
                self.writes_in_flight += 1
                self.generation += 1
                ticket.in_flight = True
            ticket.generation, ticket.overlapped = self.generation, self.writes_in_flight > int(ticket.writes)
        return ticket

    @contextmanager
    def quiet(self) -> Iterator[None]:
        """No write in flight, and none begun, while the model reads the upstream: what it reads
        is the state after every write that completed. Those not judged yet are in it already."""
        with self.calm:
            self.reading_upstream = True
            while self.writes_in_flight:
                self.calm.wait()
            for ticket, _ in self.pending:
                ticket.stale = True
        try:
            yield
        finally:
            with self.calm:
                self.reading_upstream = False
                self.calm.notify_all()

    def _judge_with(self, ticket: Ticket) -> None:
        path = urlsplit(ticket.target).path
        credentials = ticket.header("authorization")
        if not path.startswith("/api/"):  # every path openapi.yaml documents is under /api/
            ticket.why_not = "not a path of openapi.yaml"  # the mock's own pages: /, /docs
            return
        if self.judge is None and (self.credentials or credentials):
            with self.turn:
                if self.judge is None:
                    self._start_judge(credentials)
        if self.judge is None:
            ticket.why_not = "no model yet: it reads the upstream with the first credentials it sees"
        elif credentials != self.judge.headers.get("Authorization"):
            ticket.why_not = "other credentials than the model reads with"
        elif re.search(r"dynamic\s*=\s*\"?true", ticket.header("prefer") or "", re.I):
            ticket.why_not = "made up at random (Prefer: dynamic=true)"
        elif self.judge.faulted(ticket.method, path):
            ticket.why_not = "a fault rule of the upstream applies"

    def _start_judge(self, credentials: str | None) -> None:
        credentials = self.credentials or credentials
        headers = {"Authorization": credentials} if credentials else {}
        try:
            self.judge = ProxyJudge(self.fetch, headers, self.admin, self.quiet)
        except OSError as e:  # the upstream is down: tried again on the next request
            print(f"mockserver proxy: the model could not read {self.upstream_url}: {e}", file=sys.stderr, flush=True)
            return
        counts = ", ".join(f"{len(rows)} {name}" for name, rows in self.judge.model.observed.tables.items())
        print(f"mockserver proxy: the model read the upstream: {counts}", file=sys.stderr, flush=True)

    # -- once the answer is whole (`answer`), or could not be read whole (None)

    def finish(self, ticket: Ticket, answer: Answer | None) -> list[dict]:
        """The exchange's violations, once it is judged (in the order the answers completed)."""
        with self.calm:
            if ticket.in_flight:
                ticket.in_flight = False
                self.writes_in_flight -= 1
                self.calm.notify_all()
            if ticket.judged and not ticket.writes and (ticket.generation != self.generation or ticket.overlapped):
                ticket.judged, ticket.why_not = False, "in flight while a write was"
            if ticket.judged or ticket.resync:
                self.pending.append((ticket, answer))
            else:
                self.not_judged[ticket.why_not or "not judged"] += 1
                ticket.done = True
        while not ticket.done:  # judged by this thread, or by whichever drains the queue before it
            if self.turn.acquire(timeout=0.05):
                try:
                    self._drain()
                finally:
                    self.turn.release()
        return ticket.violations

    def _drain(self) -> None:
        """Judges the exchanges that completed, in order (the caller holds `turn`)."""
        while True:
            with self.lock:
                if not self.pending:
                    return
                ticket, answer = self.pending.popleft()
            self._judge_one(ticket, answer)

    def _judge_one(self, ticket: Ticket, answer: Answer | None) -> None:
        try:
            if ticket.stale:
                self.not_judged["the model read the upstream anew after it"] += 1
                return
            if answer is not None and answer.ok and ticket.resync:
                self.behind = True
            if ticket.judged and self.behind:  # (only when writes were side by side)
                self._catch_up()
                self.not_judged["the model read the upstream anew after it"] += 1
            elif not ticket.judged or self.judge is None:
                self.not_judged[ticket.why_not or "no model"] += 1
            elif answer is None:
                self.not_judged["answer too large to check, or cut"] += 1
                self.behind = self.behind or ticket.writes
            else:
                self._check(ticket, self.judge, decoded(answer))
        except Exception as e:  # a defect of the checking must never stop the forwarding
            self.not_judged["the check failed"] += 1
            print(f"mockserver proxy: could not check {ticket.method} {ticket.target}: {e!r}", file=sys.stderr)
            self.behind = True
        finally:
            ticket.done = True

    def _catch_up(self) -> None:
        """The model made anew from the upstream, once, however many writes it could not
        follow came before (the caller holds `turn`)."""
        if self.behind and self.judge is not None:
            self.behind = False
            self.judge.resync()

    def _check(self, ticket: Ticket, judge: ProxyJudge, answer: Answer) -> None:
        exchange = Exchange(ticket.method, ticket.target, for_model(ticket.headers), ticket.body, answer)
        verdict = judge.judge(exchange, follow_up=False)
        self.counts["judged"] += 1
        found = []
        if verdict.failed:
            shown = [{"where": d.where, "expected": d.expected, "actual": d.actual} for d in verdict.differences]
            found.append(("model", shown))
        problems = self._spec_problems(judge, verdict, answer)
        if problems:
            found.append(("openapi.yaml", [{"problem": p} for p in problems]))
        for rule, details in found:
            self._report(ticket, verdict, answer, rule, details)

    def _spec_problems(self, judge: ProxyJudge, verdict: Verdict, answer: Answer) -> list[str]:
        op = next((o for o in judge.spec.operations if o.operation_id == verdict.operation), None)
        if op is None or answer.status == 405:
            return []
        problems = answer_problems(
            op, "openapi.yaml", answer.status, media_of(answer), answer.json, lambda: answer.content
        )
        problems += header_problems(judge, op, answer)
        predicted = verdict.predicted
        if not problems or predicted is None:
            return problems
        if answer_problems(
            op, "openapi.yaml", predicted.status, media_of(predicted), predicted.json, lambda: predicted.content
        ):
            return []  # the mock itself answers off the spec here: a forced status, a harness's answer
        status_differs = any(d.where == "status" for d in verdict.differences)
        if predicted.status != answer.status and not status_differs:  # a reading allowed this status
            return [p for p in problems if "does not document" not in p]
        return problems

    def _report(self, ticket: Ticket, verdict: Verdict, answer: Answer, rule: str, details: list[dict]) -> None:
        with self.lock:
            ident, self.next_id = self.next_id, self.next_id + 1
        request = Request(ticket.method, ticket.target, ticket.headers, ticket.body)
        shown = describe_violation(ident, self.upstream_url, request, verdict, answer, rule, details)
        shown["time"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self.violations.append(shown)
        ticket.violations.append(shown)
        self.counts["violations"] += 1
        print(log_line(shown), file=sys.stderr, flush=True)

    # -- /__proxy/

    def status(self) -> dict[str, Any]:
        judge = self.judge
        return {
            "upstream": self.upstream_url,
            "judged": self.counts["judged"],
            "violations": self.counts["violations"],
            "violations_listed": len(self.violations),
            "not_judged": dict(self.not_judged),
            "readings_taken": dict(judge.readings_taken) if judge else {},
        }

    def clear(self) -> int:
        with self.lock:
            count = len(self.violations)
            self.violations.clear()
        return count


def for_model(headers: list[tuple[str, str]]) -> dict[str, str]:
    """The request's headers as the model is asked with them: a delay it asks for (Prefer:
    delay=N) was the upstream's to wait, and the model would wait it again in-process."""
    shown = {}
    for name, value in headers:
        if name.lower() == "prefer":
            value = ", ".join(p for p in value.split(",") if not re.fullmatch(r"\s*delay\s*=\s*\d+\s*", p, re.I))
            if not value:
                continue
        shown[name] = value
    return shown


def media_of(answer: Answer) -> str:
    kind = next((v for k, v in answer.headers.items() if k.lower() == "content-type"), "")
    return kind.split(";", 1)[0].strip().lower()


def header_problems(judge: ProxyJudge, op: Any, answer: Answer) -> list[str]:
    """The headers the spec documents for this status, where sent, of their schema's type."""
    documented = judge.spec.operation_definition(op).get("responses", {}).get(str(answer.status), {})
    headers = judge.spec.resolve(documented).get("headers", {})
    problems = []
    for name, definition in headers.items():
        value = next((v for k, v in answer.headers.items() if k.lower() == name.lower()), None)
        kind = judge.spec.resolve(definition.get("schema", {})).get("type")
        if value is not None and kind == "integer" and not value.strip().isdigit():
            problems.append(f"{op.operation_id} answered {answer.status} with {name}: {value!r}, not a whole number")
    return problems


def decoded(answer: Answer) -> Answer:
    """The answer as the model makes it: a gzip or deflate encoding undone."""
    encoding = next((v for k, v in answer.headers.items() if k.lower() == "content-encoding"), "").lower()
    if encoding not in ("gzip", "deflate"):
        return answer
    try:
        content = gzip.decompress(answer.content) if encoding == "gzip" else zlib.decompress(answer.content)
    except (OSError, zlib.error, EOFError):
        return answer
    headers = [(k, v) for k, v in answer.headers.items() if k.lower() not in ("content-encoding", "content-length")]
    return answer_of(answer.status, headers, content)
