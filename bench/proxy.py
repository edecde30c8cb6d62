"""What `mockserver proxy` adds to each request: the mock served on its own, then the same
calls through a proxy in front of it, one client, one request at a time, kept-alive
connections. Prints the median and p95 of each kind of call, direct and proxied.

    python bench/proxy.py [ROUNDS]
"""

import http.client
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

AUTH = {"Authorization": "Bearer bench"}
CUSTOMER = {"business_name": "Bench", "business_address": "1 Road", "business_phone": "024", "category_id": 1}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(*args: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "mockserver", *args, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # readiness, not a fixed sleep
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read()
            return process, port
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"mockserver {args[0]} did not start")


def timed(port: int, method: str, path: str, body: dict | None, rounds: int) -> list[float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    data = json.dumps(body).encode() if body is not None else None
    headers = {**AUTH, **({"Content-Type": "application/json"} if data else {})}
    times = []
    for n in range(rounds):
        sent = json.dumps({**body, "business_email": f"bench{port}-{n}@example.com"}).encode() if body else None
        started = time.perf_counter()
        connection.request(method, path, body=sent, headers=headers)
        connection.getresponse().read()
        times.append((time.perf_counter() - started) * 1000)
    connection.close()
    return times


def figures(times: list[float]) -> str:
    ordered = sorted(times)
    return f"p50 {statistics.median(ordered):6.2f} ms, p95 {ordered[int(len(ordered) * 0.95)]:6.2f} ms"


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    calls = [
        ("GET a customer", "GET", "/api/v3/clients/1", None),
        ("GET the customer list", "GET", "/api/v3/clients", None),
        ("GET a year's report", "GET", "/api/v3/reports/customers/2024-01-01/2024-12-31", None),
        ("POST a customer", "POST", "/api/v3/clients", CUSTOMER),
    ]
    with tempfile.TemporaryDirectory() as scratch:
        mock, port = start("serve", "--db", f"{scratch}/db.json", "--quiet")
        proxy, proxied = start("proxy", "--upstream", f"http://127.0.0.1:{port}")
        try:
            timed(proxied, "GET", "/api/v3/clients/1", None, 20)  # the model reads the upstream once
            print(f"mockserver proxy overhead: {rounds} sequential calls each, one client, kept-alive connections")
            for name, method, path, body in calls:
                direct = timed(port, method, path, body, rounds)
                through = timed(proxied, method, path, body, rounds)
                extra = statistics.median(through) - statistics.median(direct)
                print(f"  {name:24} direct {figures(direct)};  proxied {figures(through)};  +{extra:.2f} ms at p50")
            status = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{proxied}/__proxy/status").read())
            print(f"  judged {status['judged']}, violations {status['violations']}, not judged {status['not_judged']}")
        finally:
            for process in (proxy, mock):
                process.terminate()
                process.wait(30)


if __name__ == "__main__":
    main()
