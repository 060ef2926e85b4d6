"""The escalation chain of ``coalguard demo``'s CO part, through the real SDKs to a recorder.

The poisoning household's alarm walks the shipped escalation policy (time
compressed like the alert rules) through the Tencent SMS and voice channels,
the official SDKs, to the **local provider recorder** (not a carrier: nothing
reaches a phone). The people are seeded in the contact directory with a
sealing key generated into the demo's temporary directory. The demo plays the
grid worker: once the call was placed it opens the acknowledgement link of the
grid worker's SMS (GET) and presses "我已到场" (POST) as a person would, then
counts that no further notification is written for the alert.
"""

from __future__ import annotations

import re
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from coalguard.cli.sim_provider_recorder import DEMO_ALIYUN, DEMO_TENCENT, settings_env
from coalguard.cloud import auth
from coalguard.cloud.co.providers.settings import ProviderSettings
from coalguard.cloud.co.tables import CoAlert, CoNotification
from coalguard.cloud.contacts.directory import ContactIn, add_contact
from coalguard.cloud.privacy import mask_phone
from coalguard.cloud.scope import ancestor
from coalguard.cloud.sealing import Keyring, add_key_to_file, load_keyring
from coalguard.edge.clock import Clock
from coalguard.i18n import t
from coalguard.simulators.sms_recorder import ProviderRecorder, Recorded
from coalguard.simulators.tls import make_local_tls

# Fictional people of the poisoning household's village, township and county.
PEOPLE = (
    ("grid_worker", "village", "李网格", "13900001001"),
    ("village_inspector", "village", "王巡查", "13900001002"),
    ("township_duty", "township", "赵值班", "13900002001"),
    ("county_desk", "county", "县应急值班台", "13900003001"),
)
ROLE_WHO = {"township_duty": "township_on_call"}
CHANNEL_OF = {"tencent_sms": "sms", "tencent_vms": "voice", "aliyun_sms": "sms"}


def demo_phone(index: int) -> str:
    """The fictional phone of the fleet's household ``index`` (1390000xxxx)."""
    return f"1390000{index % 10000:04d}"


def demo_keyring(tmp: Path) -> Keyring:
    """A sealing key generated into the demo's temporary directory (never a shipped one)."""
    keys = tmp / "sealing-keys.toml"
    add_key_to_file(keys, "demo")
    return load_keyring(keys, None, secrets.token_urlsafe(24), generated_ok=False)


@dataclass
class ChainEvent:
    """One thing that happened to the poisoning household's alarm, for the screen."""

    sim_min: float
    text: str
    style: str = ""


@dataclass
class DemoChain:
    """The recorder, the seeded people, and the grid worker who clicks the link."""

    tmp: Path
    clock: Clock
    lang: str
    device_id: str
    village: str
    household: tuple[str, str]  # name, phone
    sim_min: Any = None  # () -> float: the fleet's simulated minute, for the screen
    scale: float = 1.0  # simulated seconds per real second
    events: list[ChainEvent] = field(default_factory=list)
    chain: list[tuple[str, ...]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        ca, crt, key = make_local_tls(self.tmp / "recorder", self.clock.now())
        self.ca = ca
        self.rec = ProviderRecorder(
            crt, key, tencent=DEMO_TENCENT, aliyun=DEMO_ALIYUN, clock=self.clock
        )
        self.keyring = demo_keyring(self.tmp)
        self.ack_link_secret = secrets.token_urlsafe(32)
        self.phones = {"+86" + self.household[1]: ("household", self.household[0])}
        for role, _, name, phone in PEOPLE:
            self.phones["+86" + phone] = (ROLE_WHO.get(role, role), name)
        self.grid_phone = "+86" + PEOPLE[0][3]
        self.called = threading.Event()
        self.acked = threading.Event()
        self.rows_seen = 0
        self.rows_at_ack: int | None = None
        self.requests_at_ack: int | None = None
        self.rec.listeners.append(self._recorded)

    # -- set-up ------------------------------------------------------------

    def start(self) -> ProviderRecorder:
        return self.rec.start()

    def providers(self) -> ProviderSettings:
        """Tencent/Aliyun settings whose SDKs reach and trust the recorder (demo keys)."""
        env = settings_env(self.rec, self.ca, DEMO_TENCENT, DEMO_ALIYUN)
        return ProviderSettings(
            **{k.removeprefix("COALGUARD_PROVIDER_").lower(): v for k, v in env.items()}
        )

    def seed(self, s: Session) -> None:
        """The village's grid worker, the township's duty officer, the county desk."""
        for role, level, name, phone in PEOPLE:
            region = ancestor(self.village, level)
            add_contact(
                s,
                self.keyring,
                ContactIn(role=role, region_code=region, name=name, phone=phone),
                self.clock.now(),
            )

    def board_token(self, s: Session) -> str:
        """A throwaway operator token for the board (signing in at ``/login``)."""
        user = auth.add_user(s, "demo-board", "operator", "", now=self.clock.now())
        s.flush()
        return auth.new_token(s, user, "demo", now=self.clock.now())

    # -- what happens --------------------------------------------------------

    def _say(self, text: str, style: str = "", ago_s: float = 0.0) -> None:
        at = (self.sim_min() if self.sim_min else 0.0) - ago_s * self.scale / 60
        with self.lock:
            self.events.append(ChainEvent(at, text, style))

    def take_events(self) -> list[ChainEvent]:
        with self.lock:
            out, self.events = self.events, []
        return out

    def _recorded(self, r: Recorded) -> None:
        who, name = self.phones.get(r.phone, ("", "?"))
        channel = CHANNEL_OF.get(r.provider, r.provider)
        self.chain.append((channel, who))
        self._say(
            t("demo13.recorded", self.lang).format(
                provider=t(f"recorder.{r.provider}", self.lang),
                who=t(f"escalation.who_{who}", self.lang) if who else "?",
                name=name,
                phone=mask_phone(r.phone.removeprefix("+86")),
            ),
            "bold magenta",
        )
        if r.provider == "tencent_vms" and r.phone == self.grid_phone:
            self.called.set()

    def watch_rows(self, sessions: sessionmaker) -> None:
        """Show the notification rows written for the alarm since the last call."""
        with sessions() as s:
            alert = _alarm(s, self.device_id)
            if alert is None:
                return
            rows = list(
                s.scalars(
                    select(CoNotification)
                    .where(CoNotification.alert_id == alert.id)
                    .where(CoNotification.contact_id.is_not(None))
                    .where(CoNotification.id > self.rows_seen)
                    .order_by(CoNotification.id)
                )
            )
        now = self.clock.now()
        for row in rows:
            self.rows_seen = row.id
            ago = (now - row.created_at).total_seconds()
            if row.step and row.reason != "failover" and row.attempt == 0:
                self._say(t("demo13.no_answer", self.lang), "yellow", ago)
            if row.reason == "failover":
                self._say(t("demo13.no_receipt", self.lang), "yellow", ago)
            self._say(
                t("demo13.row", self.lang).format(
                    id=row.id,
                    who=t(f"escalation.who_{row.who}", self.lang),
                    channel=row.channel,
                    step=row.step,
                    attempt=row.attempt,
                ),
                "dim",
                ago,
            )

    def click_when_called(self, sessions: sessionmaker, base_url: str, timeout: float) -> None:
        """The grid worker: once called, open their SMS's link and say "I am on site"."""
        if not self.called.wait(timeout):
            return
        link = self._grid_link(base_url)
        if link is None:
            self._say(t("demo13.no_link", self.lang), "red")
            return
        page = httpx.get(link, timeout=10)
        mac = re.search(r'name="mac" value="([^"]+)"', page.text)
        done = httpx.post(
            link, data={"action": "arrived", "mac": mac[1] if mac else ""}, timeout=10
        )
        self._say(
            t("demo13.clicked", self.lang).format(
                link=link, get=page.status_code, post=done.status_code
            )
        )
        with sessions() as s:
            alert = _alarm(s, self.device_id)
            assert alert is not None
            self.rows_at_ack = _rows(s, alert.id)
            self.requests_at_ack = len(self.rec.sent())
            by, via = alert.acknowledged_by or "", alert.acknowledged_via or ""
        if via:
            self.chain.append(("acknowledged", via, by))
            self._say(
                t("demo13.acknowledged", self.lang).format(
                    who=by, via=t(f"escalation.via_{via}", self.lang)
                ),
                "bold green",
            )
        self.acked.set()

    def _grid_link(self, base_url: str) -> str | None:
        for r in reversed(self.rec.sent("tencent_sms")):
            if r.phone == self.grid_phone:
                params = r.params if isinstance(r.params, list) else list(r.params.values())
                for p in params:
                    if p.startswith(base_url + "/a/"):
                        return p
        return None

    def after_ack(self, sessions: sessionmaker) -> int | None:
        """Notifications written for the alarm since it was acknowledged (None: it was not)."""
        if self.rows_at_ack is None:
            return None
        with sessions() as s:
            alert = _alarm(s, self.device_id)
            assert alert is not None
            return _rows(s, alert.id) - self.rows_at_ack

    def ack_thread(self, sessions: sessionmaker, base_url: str, timeout: float) -> threading.Thread:
        th = threading.Thread(
            target=self.click_when_called,
            args=(sessions, base_url, timeout),
            name="demo-grid-worker",
            daemon=True,
        )
        th.start()
        return th


def _alarm(s: Session, device_id: str) -> CoAlert | None:
    return s.scalars(
        select(CoAlert)
        .where(CoAlert.device_id == device_id, CoAlert.kind == "co_alarm")
        .order_by(CoAlert.id.desc())
    ).first()


def _rows(s: Session, alert_id: int) -> int:
    """Every notification row of the alert (people and broadcast channels)."""
    q = select(func.count()).select_from(CoNotification).where(CoNotification.alert_id == alert_id)
    return int(s.scalar(q) or 0)
