"""What `serve` checks before it starts a server: that it can have the port and the store.

granian's workers bind with SO_REUSEPORT, so a second server on a busy port would share it
silently and the kernel would hand each connection to either one (two stores answering in
turn). A probe bound without that option fails exactly when something listens there.
Each problem is a `StartupError` whose message is the one line the user sees.
"""

import errno
import os
import socket
import tempfile
from pathlib import Path

from ..state.files import data_files_of


class StartupError(RuntimeError):
    pass


def check_port(host: str, port: int) -> None:
    """Refuses a port that another process listens on, naming it when it can be found."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as e:
        raise StartupError(f"cannot listen on {host}: {e.strerror}") from None
    for family, kind, proto, _, address in infos[:1]:
        with socket.socket(family, kind, proto) as probe:
            # Kept from a previous run's closed connections (TIME_WAIT) is no reason to refuse.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address)
            except OSError as e:
                raise StartupError(_bind_problem(host, port, e)) from None


def _bind_problem(host: str, port: int, error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        holder = port_holder(port)
        return f"port {port} is already in use{f' by {holder}' if holder else ''}; stop it or choose another --port"
    if error.errno == errno.EACCES:
        return f"no permission to listen on port {port}: ports below 1024 need root; choose another --port"
    if error.errno == errno.EADDRNOTAVAIL:
        return f"cannot listen on {host}: it is not an address of this machine; check --host"
    return f"cannot listen on {host}:{port}: {error.strerror}"


def port_holder(port: int) -> str | None:
    """ "pid 123 (mockserver serve ...)" for the process listening on the port, from /proc
    (Linux); None where that cannot be read."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and int(local.rpartition(":")[2], 16) == port:  # 0A: LISTEN
                inodes.add(f"socket:[{inode}]")
    if not inodes:
        return None
    for process in Path("/proc").glob("[0-9]*"):
        try:
            if any(os.readlink(fd) in inodes for fd in (process / "fd").iterdir()):
                command = (process / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
                return f"pid {process.name} ({_short(command)})"
        except OSError:
            continue  # gone, or not ours to read
    return None


def _short(command: str, most: int = 80) -> str:
    return command if len(command) <= most else command[: most - 3] + "..."


def check_store(db: Path, folders: tuple[Path, ...] = ()) -> None:
    """Refuses a store that cannot be written, before a worker finds out mid-start: its
    folder (and `folders`, the sandboxes') must take new files and the file itself writes."""
    for folder in (db.parent, *folders):
        if folder.exists() and not folder.is_dir():
            raise StartupError(f"the store's folder {folder} is a file, not a folder; choose another --db")
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, probe = tempfile.mkstemp(dir=folder, prefix=".mockserver-probe-")
            os.close(fd)
            os.unlink(probe)
        except OSError as e:
            raise StartupError(f"cannot write the store's folder {folder}: {e.strerror}") from None
    for path in data_files_of(db):
        if path.exists():
            try:
                with open(path, "r+b"):
                    pass
            except OSError as e:
                raise StartupError(f"cannot write the store {path}: {e.strerror}") from None
