"""MQTT subscriber of the CO v1 topics (paho-mqtt 2.x).

QoS 1, a persistent session (clean_session = False; the client id is unique
per process by default, fixed across restarts with ``--client-id``), manual
acknowledgement: a message is acknowledged only after its batch committed, so
a crash or a broker restart redelivers it instead of losing it. Optional
shared subscription ``$share/<group>/co/v1/+/…`` lets several workers split
the load. paho reconnects with exponential backoff (reconnect_min_s …
reconnect_max_s); we resubscribe on every connect, and warn (and count
``sessions_lost``) when a reconnect finds the persistent session gone.

No message can hold a lane: when a batch fails, its messages are stored one
by one, and one whose processing still raises is dead-lettered with the
exception text, acknowledged, counted (``IngestStats.failed``) and logged.
Only a database that cannot take even the dead letter holds the lane.

After the commit, the writer also publishes the cloud's acknowledgement of
every event (``co/v1/{id}/ack``, QoS 1; ``coalguard/drivers/co_alarm/ack.py``):
the alarm resends an event until that ack arrives, because the broker's PUBACK
is not a durable receipt. paho's publish only queues, so acks never hold the
writer; an ack lost with a connection is recovered by the alarm's resend.
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
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from coalguard.cloud.co.settings import CoSettings
from coalguard.cloud.co.store import MessageStore, Received
from coalguard.drivers.co_alarm.ack import EventAck
from coalguard.edge.clock import Clock
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


@dataclass(frozen=True, slots=True)
class _Delivery:
    """A received message and the connection it came on (its mid means nothing on another)."""

    received: Received
    mid: int
    qos: int
    connection: int


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
        clock: Clock,
        urgent: bool = False,
        observe_batch: Callable[[str, list[float]], None] = lambda lane, waited: None,
    ) -> None:
        self.observe_batch = observe_batch  # batch sizes and waits for /metrics
        self.clock = clock  # stamps each message as it arrives
        self.urgent = urgent
        self.name = name
        self.filters = filters
        self.batch_max = batch_max
        self.settings = settings
        self.addr = addr
        self.store = store
        self.on_notifications = on_notifications
        self._q: queue.Queue[_Delivery] = queue.Queue()
        self._stop = threading.Event()
        self._writer: threading.Thread | None = None
        self.connected = threading.Event()
        self.connects = 0
        # Bumped on every connect and disconnect: a PUBACK is sent only on the
        # connection its message came on. After a broker restart the same mid names
        # another message (restored from persistence), which a stale ack would drop.
        self._connection = 0
        self._ack_lock = threading.Lock()
        self.sessions_lost = 0
        self.last_disconnect: str | None = None
        self.client = make_client(
            self.addr,
            f"{settings.mqtt_client_id()}-{name}",
            clean_session=False,
            ca_file=str(settings.ca_file) if settings.ca_file else None,
            manual_ack=True,
        )
        self.client.reconnect_delay_set(
            min_delay=max(1, round(settings.reconnect_min_s)),
            max_delay=max(1, round(settings.reconnect_max_s)),
        )
        # Event acks go out in bursts (one per event of a batch): do not queue them 20 at a time.
        self.client.max_inflight_messages_set(1000)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message

    # -- paho callbacks (network thread) -------------------------------------

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:  # type: ignore[no-untyped-def]
        if reason_code.is_failure:
            log.error("broker refused the connection: %s", reason_code)
            return
        self.connects += 1
        with self._ack_lock:
            self._connection += 1
        if flags.session_present:
            log.info("connected to %s:%s (session present)", self.addr.host, self.addr.port)
        elif self.connects > 1:
            # The broker forgot our persistent session: QoS 1 messages it queued for
            # us are gone, and so was our subscription until now (issue 10).
            self.sessions_lost += 1
            self.store.stats.sessions_lost += 1
            log.warning(
                "%s lane reconnected to %s:%s with session present: False; the broker lost "
                "the persistent session and any alarm queued in it (persistence not "
                "configured as in deploy/mosquitto/?)",
                self.name, self.addr.host, self.addr.port,
            )  # fmt: skip
        else:
            log.info(
                "connected to %s:%s with a new session (first start of this client id, "
                "or the broker lost the session)",
                self.addr.host, self.addr.port,
            )  # fmt: skip
        client.subscribe(subscriptions(self.settings.shared_group, self.filters))
        self.connected.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:  # type: ignore[no-untyped-def]
        self.connected.clear()
        with self._ack_lock:
            self._connection += 1
        self.last_disconnect = str(reason_code)
        if not self._stop.is_set():
            log.warning("disconnected from broker (%s); reconnecting with backoff", reason_code)

    def _on_message(self, client, userdata, msg: mqtt.MQTTMessage) -> None:  # type: ignore[no-untyped-def]
        received = Received(msg.topic, bytes(msg.payload), self.clock.now())
        self._q.put(_Delivery(received, msg.mid, msg.qos, self._connection))

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
            try:
                self._commit(batch)
            except Exception as exc:
                # No retry of the whole batch: one poison message would hold it forever.
                log.warning(
                    "storing a batch of %s failed (%s: %s); storing its messages one by one",
                    len(batch), type(exc).__name__, exc,
                )  # fmt: skip
                for item in batch:
                    if not self._commit_alone(item):
                        return  # stopping while the database is down: not acked, redelivered

    def _commit(self, batch: list[_Delivery]) -> None:
        """Store, then acknowledge (durable before ack), then wake the notifier."""
        acks: list[EventAck] = []
        notes = self.store.apply([d.received for d in batch], self.urgent, acks)
        self._ack(batch)
        self._publish_acks(acks)
        now = self.clock.now()
        self.observe_batch(
            self.name, [(now - d.received.received_at).total_seconds() for d in batch]
        )
        if notes:
            try:
                self.on_notifications()
            except Exception:  # stored and acked: the notifier's sweep sends them anyway
                log.exception("waking the notifier failed")

    def _ack(self, batch: list[_Delivery]) -> None:
        with self._ack_lock:
            for d in batch:
                if d.qos > 0 and d.connection == self._connection:
                    self.client.ack(d.mid, d.qos)

    def _publish_acks(self, acks: list[EventAck]) -> None:
        """Tell each alarm its events are stored (queued by paho; sent by its network thread)."""
        for a in acks:
            t, payload = a.encode()
            self.client.publish(t, payload, qos=1)
        self.store.stats.acks += len(acks)

    def _commit_alone(self, item: _Delivery) -> bool:
        """Store one message, or dead-letter it when its processing raises.

        A database that is down (transient errors, and the dead letter cannot be
        written either) holds the message with backoff; anything else is the
        message's own fault: dead letter, ack, count, log. False when stopped.
        """
        r = item.received
        backoff, tries = 0.2, 0
        while True:
            try:
                self._commit([item])
                return True
            except Exception as exc:
                tries += 1
                if _transient(exc) and tries < TRANSIENT_TRIES:
                    if self._stop.wait(backoff):
                        return False
                    backoff *= 2
                    continue
                try:
                    ack = self.store.quarantine(r, exc, self.urgent)
                except Exception:
                    log.exception("database unavailable; holding a message on %s", r.topic)
                    if self._stop.wait(backoff):
                        return False
                    backoff, tries = min(backoff * 2, 10.0), 0
                    continue
                log.error(
                    "dead-lettered a message on %s whose processing failed: %s: %s",
                    r.topic, type(exc).__name__, exc, exc_info=exc,
                )  # fmt: skip
                self._ack([item])
                self._publish_acks([ack] if ack else [])
                return True


# Attempts of a message that fails with a database error that may pass.
TRANSIENT_TRIES = 3


def _transient(exc: BaseException) -> bool:
    """A database error that may go away on its own (connection lost, locked, deadlock)."""
    return isinstance(exc, OperationalError | InterfaceError | PoolTimeout) or bool(
        getattr(exc, "connection_invalidated", False)
    )


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
        clock: Clock,
        on_notifications: Callable[[], None] = lambda: None,
        observe_batch: Callable[[str, list[float]], None] = lambda lane, waited: None,
    ) -> None:
        """``observe_batch(lane, waited)``: told each committed batch, as the seconds each of
        its messages waited from arrival to commit (its size is their count)."""
        if not settings.broker_url:
            raise InputError("no broker URL: set --broker or COALGUARD_CO_BROKER_URL")
        self.settings = settings
        self.addr = parse_broker_url(settings.broker_url)
        self.alerts = _Lane(
            "alerts", ALERT_FILTERS, settings, self.addr, store, on_notifications, 100, clock,
            urgent=True, observe_batch=observe_batch,
        )  # fmt: skip
        self.states = _Lane(
            "states", STATE_FILTERS, settings, self.addr, store, on_notifications,
            settings.batch_max, clock, observe_batch=observe_batch,
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
