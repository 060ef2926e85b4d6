"""MQTT subscriber of the CO v1 topics (paho-mqtt 2.x).

QoS 1, a persistent session (clean_session = False, fixed client id), manual
acknowledgement: a message is acknowledged only after its batch committed, so
a crash or a broker restart redelivers it instead of losing it. Optional
shared subscription ``$share/<group>/co/v1/+/…`` lets several workers split
the load. paho reconnects with exponential backoff (reconnect_min_s …
reconnect_max_s); we resubscribe on every connect.
"""

from __future__ import annotations

import logging
import queue
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from coalguard.cloud.co.settings import CoSettings
from coalguard.cloud.co.store import MessageStore, Received
from coalguard.cloud.co.tables import CoDeadLetter
from coalguard.edge.model import utcnow
from coalguard.errors import InputError

log = logging.getLogger("coalguard.cloud.co.ingest")

FILTERS = ("co/v1/+/state", "co/v1/+/event", "co/v1/+/availability")
# Alarms must not queue behind heartbeats: events and availability get their
# own session and writer (the "alerts" lane); states the other.
ALERT_FILTERS = ("co/v1/+/event", "co/v1/+/availability")
STATE_FILTERS = ("co/v1/+/state",)


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    tls: bool
    username: str | None
    password: str | None


def parse_broker_url(url: str) -> BrokerAddress:
    """``mqtt://user:pass@host:1883`` or ``mqtts://host:8883`` → parts (bad URL: InputError)."""
    u = urlsplit(url)
    if u.scheme not in ("mqtt", "mqtts", "tcp", "ssl") or not u.hostname:
        raise InputError(f"broker URL {url!r}: use mqtt://host[:port] or mqtts://host[:port]")
    tls = u.scheme in ("mqtts", "ssl")
    try:
        port = u.port or (8883 if tls else 1883)
    except ValueError:
        raise InputError(f"broker URL {url!r}: bad port") from None
    return BrokerAddress(u.hostname, port, tls, u.username, u.password)


def make_client(
    addr: BrokerAddress,
    client_id: str,
    *,
    clean_session: bool,
    ca_file: str | None = None,
    manual_ack: bool = False,
) -> mqtt.Client:
    """A paho 2.x client (MQTT 3.1.1) with credentials and verified TLS when asked."""
    c = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=client_id,
        clean_session=clean_session,
        protocol=mqtt.MQTTv311,
        manual_ack=manual_ack,
    )
    if addr.username:
        c.username_pw_set(addr.username, addr.password)
    if addr.tls:
        # Server certificate always verified; never falls back to plain text.
        c.tls_set(ca_certs=ca_file, cert_reqs=ssl.CERT_REQUIRED)
    return c


def subscriptions(
    shared_group: str | None, filters: tuple[str, ...] = FILTERS
) -> list[tuple[str, int]]:
    prefix = f"$share/{shared_group}/" if shared_group else ""
    return [(prefix + f, 1) for f in filters]


class _Lane:
    """One MQTT session and one writer thread for some of the topics.

    Receives on paho's network thread; stores and acknowledges on the writer.
    """

    def __init__(
        self,
        name: str,
        filters: tuple[str, ...],
        settings: CoSettings,
        addr: BrokerAddress,
        store: MessageStore,
        on_notifications: Callable[[], None],
        batch_max: int,
        urgent: bool = False,
    ) -> None:
        self.urgent = urgent
        self.name = name
        self.filters = filters
        self.batch_max = batch_max
        self.settings = settings
        self.addr = addr
        self.store = store
        self.on_notifications = on_notifications
        self._q: queue.Queue[tuple[Received, int, int]] = queue.Queue()
        self._stop = threading.Event()
        self._writer: threading.Thread | None = None
        self.connected = threading.Event()
        self.connects = 0
        self.last_disconnect: str | None = None
        self.client = make_client(
            self.addr,
            f"{settings.client_id}-{name}",
            clean_session=False,
            ca_file=str(settings.ca_file) if settings.ca_file else None,
            manual_ack=True,
        )
        self.client.reconnect_delay_set(
            min_delay=max(1, round(settings.reconnect_min_s)),
            max_delay=max(1, round(settings.reconnect_max_s)),
        )
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message

    # -- paho callbacks (network thread) -------------------------------------

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:  # type: ignore[no-untyped-def]
        if reason_code.is_failure:
            log.error("broker refused the connection: %s", reason_code)
            return
        self.connects += 1
        log.info(
            "connected to %s:%s (session present: %s)",
            self.addr.host,
            self.addr.port,
            flags.session_present,
        )
        client.subscribe(subscriptions(self.settings.shared_group, self.filters))
        self.connected.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:  # type: ignore[no-untyped-def]
        self.connected.clear()
        self.last_disconnect = str(reason_code)
        if not self._stop.is_set():
            log.warning("disconnected from broker (%s); reconnecting with backoff", reason_code)

    def _on_message(self, client, userdata, msg: mqtt.MQTTMessage) -> None:  # type: ignore[no-untyped-def]
        self._q.put((Received(msg.topic, bytes(msg.payload), utcnow()), msg.mid, msg.qos))

    # -- lifecycle ------------------------------------------------------------

    def start(self) -> None:
        self._writer = threading.Thread(
            target=self._write_loop, name=f"co-ingest-{self.name}", daemon=True
        )
        self._writer.start()
        self.client.connect_async(
            self.addr.host, self.addr.port, keepalive=self.settings.keepalive_s
        )
        self.client.loop_start()

    def stop(self) -> None:
        """Stop receiving, store what was received, then disconnect."""
        self._stop.set()
        if self._writer:
            self._writer.join(timeout=30)
        self.client.disconnect()
        self.client.loop_stop()

    @property
    def backlog(self) -> int:
        return self._q.qsize()

    # -- writer thread ------------------------------------------------------------

    def _write_loop(self) -> None:
        backoff = 0.2
        while True:
            try:
                first = self._q.get(timeout=0.2)
            except queue.Empty:
                if self._stop.is_set():
                    return
                continue
            batch = [first]
            while len(batch) < self.batch_max:
                try:
                    batch.append(self._q.get_nowait())
                except queue.Empty:
                    break
            while True:
                try:
                    self._apply(batch)
                    backoff = 0.2
                    break
                except Exception:
                    log.exception("storing a batch of %s failed; retrying", len(batch))
                    time.sleep(backoff)  # database down: hold the batch, ack nothing
                    backoff = min(backoff * 2, 10)
                    if len(batch) > 1:
                        self._one_by_one(batch)
                        break

    def _apply(self, batch: list[tuple[Received, int, int]]) -> None:
        notes = self.store.apply([r for r, _, _ in batch], self.urgent)
        for _, mid, qos in batch:
            if qos > 0:
                self.client.ack(mid, qos)
        if notes:
            self.on_notifications()

    def _one_by_one(self, batch: list[tuple[Received, int, int]]) -> None:
        """Isolate a message that breaks its batch: it goes to dead-letter, the rest are stored."""
        for item in batch:
            while True:
                try:
                    self._apply([item])
                    break
                except Exception as exc:
                    r, mid, qos = item
                    try:
                        with self.store.sessions.begin() as s:
                            s.add(
                                CoDeadLetter(
                                    received_at=r.received_at,
                                    topic=r.topic[:1000],
                                    device_id=None,
                                    payload=r.payload,
                                    reason=f"internal error while storing: {type(exc).__name__}",
                                )
                            )
                        self.store.stats.dead_letters += 1
                        if qos > 0:
                            self.client.ack(mid, qos)
                        break
                    except Exception:
                        log.exception("database unavailable; holding message")
                        time.sleep(1)


class _AllConnected:
    def __init__(self, lanes: list[_Lane]) -> None:
        self.lanes = lanes

    def is_set(self) -> bool:
        return all(lane.connected.is_set() for lane in self.lanes)

    def wait(self, timeout: float | None = None) -> bool:
        deadline = time.monotonic() + (timeout if timeout is not None else 1e9)
        for lane in self.lanes:
            if not lane.connected.wait(max(0.0, deadline - time.monotonic())):
                return False
        return True


class MqttIngest:
    """Two lanes (alerts: events + availability; states: heartbeats) on one broker."""

    def __init__(
        self,
        settings: CoSettings,
        store: MessageStore,
        on_notifications: Callable[[], None] = lambda: None,
    ) -> None:
        if not settings.broker_url:
            raise InputError("no broker URL: set --broker or COALGUARD_CO_BROKER_URL")
        self.settings = settings
        self.addr = parse_broker_url(settings.broker_url)
        self.alerts = _Lane(
            "alerts", ALERT_FILTERS, settings, self.addr, store, on_notifications, 100, urgent=True
        )
        self.states = _Lane(
            "states", STATE_FILTERS, settings, self.addr, store, on_notifications,
            settings.batch_max,
        )  # fmt: skip
        self.lanes = [self.alerts, self.states]
        self.connected = _AllConnected(self.lanes)
        self.client = self.alerts.client

    @property
    def connects(self) -> int:
        """Connections made by the lane that connected least (>= 2: every lane reconnected)."""
        return min(lane.connects for lane in self.lanes)

    @property
    def backlog(self) -> int:
        return sum(lane.backlog for lane in self.lanes)

    def start(self) -> None:
        for lane in self.lanes:
            lane.start()

    def stop(self) -> None:
        for lane in self.lanes:
            lane.stop()
