"""A TCP proxy on loopback that a test can cut: forward, refuse or black-hole (no pytest here).

- forward: connections are relayed to the target, byte for byte.
- refuse: nothing listens (connection refused) and open connections are cut.
- blackhole: connections are accepted but nothing ever comes back, on new and open ones alike
  (bytes sent are swallowed), as with a dropped route or a frozen server.
"""

import contextlib
import select
import socket
import threading


class TcpProxy:
    """Relay 127.0.0.1:<port> to `target`; switch modes while it runs."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.mode = "forward"
        self.port = 0
        self._listener: socket.socket | None = None
        self._pairs: list[tuple[socket.socket, socket.socket | None]] = []
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._listen()
        threading.Thread(target=self._pump, daemon=True, name="tcp-proxy").start()

    # --- modes ------------------------------------------------------------------------------
    def forward(self) -> None:
        """Relay again (new connections only; cut ones stay cut)."""
        with self._lock:
            self._cut_all()
            self.mode = "forward"
            if self._listener is None:
                self._listen()

    def refuse(self) -> None:
        """Refuse new connections and cut the open ones."""
        with self._lock:
            self.mode = "refuse"
            if self._listener is not None:
                self._listener.close()
                self._listener = None
            self._cut_all()

    def blackhole(self) -> None:
        """Accept, but never answer (also on connections already open)."""
        with self._lock:
            self.mode = "blackhole"
            if self._listener is None:
                self._listen()

    def close(self) -> None:
        self._stopped.set()
        self.refuse()

    # --- plumbing ---------------------------------------------------------------------------
    def _listen(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener

    def _cut_all(self) -> None:
        for client, upstream in self._pairs:
            for sock in (client, upstream):
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.close()
        self._pairs = []

    def _accept(self) -> None:
        client, _ = self._listener.accept()
        upstream = None
        if self.mode == "forward":
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                return
        self._pairs.append((client, upstream))

    def _pump(self) -> None:
        while not self._stopped.is_set():
            with self._lock:
                watched = [s for pair in self._pairs for s in pair if s is not None]
                listener = self._listener
            if listener is not None:
                watched.append(listener)
            try:
                readable, _, _ = select.select(watched, [], [], 0.05)
            except (OSError, ValueError):  # a socket was closed meanwhile
                continue
            with self._lock:
                for sock in readable:
                    self._relay(sock)

    def _relay(self, sock: socket.socket) -> None:
        if sock is self._listener:
            self._accept()
            return
        for pair in list(self._pairs):
            if sock not in pair:
                continue
            try:
                data = sock.recv(65536)
            except OSError:
                data = b""
            if self.mode == "blackhole" and data:
                return  # swallowed: nothing reaches the other side
            other = pair[1] if sock is pair[0] else pair[0]
            if not data or other is None:
                if not data:
                    for end in pair:
                        if end is not None:
                            end.close()
                    self._pairs.remove(pair)
                return
            with contextlib.suppress(OSError):
                other.sendall(data)
            return
