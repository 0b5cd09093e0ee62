"""A small TCP proxy for tests: put it between the app and a database server, then cut it.

``start()`` listens on 127.0.0.1 (the same port every time) and forwards each connection to the
target in two threads; ``stop()`` closes the listening socket and every open connection, so the
server looks gone; ``start()`` again brings it back. With ``hold=True`` the proxy accepts
connections but never forwards or answers: the server looks like a black hole. So that a test
can never hang on it, the proxy gives up on a held connection after ``hold_limit`` seconds and
counts that in ``given_up``: a client that is still waiting then has no timeout of its own.
"""
from __future__ import annotations

import socket
import threading


class TcpProxy:
    """Forward 127.0.0.1:<port> to ``target``; stop and start it to cut and restore the link."""

    def __init__(self, target_host: str, target_port: int, hold_limit: float = 60.0):
        self.target = (target_host, target_port)
        self.hold_limit = hold_limit
        self.port = 0
        self.hold = False
        self.held = 0
        self.given_up = 0
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._stopping = False

    def start(self, hold: bool = False) -> TcpProxy:
        """Listen (again, on the same port) and forward, or hold, new connections."""
        self.hold, self._stopping = hold, False
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._spawn(self._accept_loop, listener)
        return self

    def stop(self) -> None:
        """Stop listening and cut every open connection; wait for the threads to end."""
        with self._lock:
            self._stopping = True
            sockets, self._sockets = list(self._sockets), set()
        if self._listener is not None:
            _close(self._listener)
            self._listener = None
        for sock in sockets:
            _close(sock)
        while self._threads:
            self._threads.pop().join()

    def _spawn(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _track(self, sock: socket.socket) -> bool:
        with self._lock:
            if not self._stopping:
                self._sockets.add(sock)
                return True
        _close(sock)  # accepted just as stop() began
        return False

    def _accept_loop(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:  # the listener was closed by stop()
                return
            if not self._track(client):
                return
            if self.hold:
                self.held += 1
                self._spawn(self._hold, client)
                continue
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                _close(client)
                continue
            if not self._track(upstream):
                return
            self._spawn(self._pump, client, upstream)
            self._spawn(self._pump, upstream, client)

    def _hold(self, client: socket.socket) -> None:
        """Read and ignore whatever the client sends until it hangs up or the limit passes."""
        client.settimeout(self.hold_limit)
        try:
            while client.recv(65536):
                pass
        except TimeoutError:
            self.given_up += 1
        except OSError:  # cut by stop()
            pass
        _close(client)

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        _close(source)
        _close(sink)


def _close(sock: socket.socket) -> None:
    """Shut a socket down both ways (waking any thread blocked on it) and close it."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
