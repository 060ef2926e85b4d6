"""Many paho clients driven by one thread (paho's external-loop socket callbacks).

One thread per alarm does not scale to 10,000 alarms on two cores; one
selector over all sockets does. Each alarm still has its own MQTT connection,
credentials and last will, exactly like the real device.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import time

import paho.mqtt.client as mqtt

_RW = selectors.EVENT_READ | selectors.EVENT_WRITE


class Mux:
    def __init__(self) -> None:
        self.sel = selectors.DefaultSelector()
        self.clients: list[mqtt.Client] = []
        self._last_misc = 0.0

    def add(self, c: mqtt.Client) -> None:
        c.on_socket_open = self._open
        c.on_socket_close = self._close
        c.on_socket_register_write = self._want_write
        c.on_socket_unregister_write = self._no_write
        self.clients.append(c)

    def _open(self, client, userdata, sock) -> None:  # type: ignore[no-untyped-def]
        self.sel.register(sock, selectors.EVENT_READ, client)

    def _close(self, client, userdata, sock) -> None:  # type: ignore[no-untyped-def]
        with contextlib.suppress(KeyError, ValueError):
            self.sel.unregister(sock)

    def _want_write(self, client, userdata, sock) -> None:  # type: ignore[no-untyped-def]
        with contextlib.suppress(KeyError, ValueError):
            self.sel.modify(sock, _RW, client)

    def _no_write(self, client, userdata, sock) -> None:  # type: ignore[no-untyped-def]
        with contextlib.suppress(KeyError, ValueError):
            self.sel.modify(sock, selectors.EVENT_READ, client)

    def poll(self, timeout: float) -> None:
        """Serve ready sockets for ``timeout`` seconds (one pass when 0); keepalives once a
        second. Serving the whole time, not only the first ready batch, lets a
        connection's PUBACKs free its in-flight window and its next messages go out
        within the same call (a shared connection carries hundreds of alarms)."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = max(0.0, deadline - time.monotonic())
            if self.sel.get_map():
                events = self.sel.select(remaining)
            else:
                time.sleep(remaining)
                events = []
            for key, mask in events:
                c: mqtt.Client = key.data
                if c.socket() is not key.fileobj:
                    continue  # closed while serving an earlier event
                if mask & selectors.EVENT_READ:
                    c.loop_read()
                if mask & selectors.EVENT_WRITE and c.socket() is key.fileobj:
                    c.loop_write()
            now = time.monotonic()
            if now - self._last_misc >= 1.0:
                self._last_misc = now
                for c in self.clients:
                    if c.socket() is not None:
                        c.loop_misc()
            if now >= deadline:
                return

    @staticmethod
    def cut(c: mqtt.Client) -> None:
        """Drop the connection without DISCONNECT (power loss): the broker sends the will."""
        sock = c.socket()
        if sock is None:
            return
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        c.loop_read()  # paho sees EOF, closes the socket and calls on_disconnect

    def close(self) -> None:
        self.sel.close()
