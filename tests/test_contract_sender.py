"""The model's phase sends its requests over one kept-alive connection, and a connection the
target dropped while idle costs nothing: the request goes again on a new one."""

import socket
import threading

from mockserver.contract.phase import Ahead, Sender

BODY = b'{"ok": true}'
ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY)


def serve(answers_per_connection: int):
    """A server that answers this many requests on a connection, then closes it unannounced
    (as one whose keep-alive timeout ran out); what it saw: connections and requests."""
    listener = socket.create_server(("127.0.0.1", 0))
    seen = {"connections": 0, "requests": []}

    def loop():
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            seen["connections"] += 1
            with connection:
                for _ in range(answers_per_connection):
                    data = b""
                    while b"\r\n\r\n" not in data:
                        chunk = connection.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                    if not data:
                        break
                    seen["requests"].append(data.split(b"\r\n")[0].decode())
                    connection.sendall(ANSWER)

    threading.Thread(target=loop, daemon=True).start()
    return listener, seen


def test_requests_share_one_connection():
    listener, seen = serve(answers_per_connection=100)
    with listener, Sender(f"http://127.0.0.1:{listener.getsockname()[1]}/prefix") as send:
        answers = [send("GET", f"/api/x/{n}", {}, None) for n in range(5)]
    assert [a.json for a in answers] == [{"ok": True}] * 5
    assert seen["connections"] == 1
    assert seen["requests"] == [f"GET /prefix/api/x/{n} HTTP/1.1" for n in range(5)]


def test_a_connection_closed_while_idle_is_opened_again_and_nothing_is_lost():
    listener, seen = serve(answers_per_connection=1)
    with listener, Sender(f"http://127.0.0.1:{listener.getsockname()[1]}") as send:
        answers = [send("GET", f"/{n}", {}, None) for n in range(3)]
    assert all(a.status == 200 for a in answers)
    assert seen["requests"] == ["GET /0 HTTP/1.1", "GET /1 HTTP/1.1", "GET /2 HTTP/1.1"]  # each once
    assert seen["connections"] == 3


def serve_each_connection(delay: float = 0.0):
    """A server that answers every connection at once, each in a thread of its own, after
    `delay`, with the request's path as the body; what it saw and answered, in order."""
    import json
    import time

    listener = socket.create_server(("127.0.0.1", 0))
    seen = {"requests": [], "answered": []}

    def answer(connection):
        with connection:
            data = b""
            while True:
                while b"\r\n\r\n" not in data:
                    chunk = connection.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                head, _, data = data.partition(b"\r\n\r\n")
                path = head.split(b" ")[1].decode()
                seen["requests"].append(path)
                time.sleep(delay)
                body = json.dumps(path).encode()
                # recorded before the bytes go, so a client that has read them finds it here
                seen["answered"].append(path)
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))

    def loop():
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=answer, args=(connection,), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()
    return listener, seen


def test_reads_sent_ahead_come_back_in_the_order_sent():
    listener, seen = serve_each_connection()
    with listener, Ahead(f"http://127.0.0.1:{listener.getsockname()[1]}") as ahead:
        answers = list(ahead(("GET", f"/{n}", {}, None) for n in range(3 * Ahead.WINDOW)))
    assert [a.json for a in answers] == [f"/{n}" for n in range(3 * Ahead.WINDOW)]
    assert seen["requests"] == [f"/{n}" for n in range(3 * Ahead.WINDOW)]


def test_reads_closed_early_send_no_more_and_leave_none_in_flight():
    """What the judge stops reading (a view that differed) is not sent on: the one in flight
    is answered before close returns, so a write sent next never overtakes it."""
    import contextlib
    import time

    listener, seen = serve_each_connection(delay=0.02)
    with listener, Ahead(f"http://127.0.0.1:{listener.getsockname()[1]}") as ahead:
        with contextlib.closing(ahead(("GET", f"/{n}", {}, None) for n in range(10 * Ahead.WINDOW))) as answers:
            assert next(answers).json == "/0"
        assert seen["answered"] == seen["requests"]  # nothing left half-way
        sent = len(seen["requests"])
        time.sleep(0.2)
        assert len(seen["requests"]) == sent < 10 * Ahead.WINDOW
