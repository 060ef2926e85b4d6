"""One simulated household CO alarm: sensor, decision, battery, faults, messages."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime

from coalguard.drivers.co_alarm import AlarmLevel, CoEvent, CoState, EventType
from coalguard.simulators.co_fleet.room import Room
from coalguard.simulators.co_fleet.timing import AlarmLogic, Timing

LOW_BATTERY_PCT = 20.0


@dataclass
class SimAlarm:
    device_id: str
    village_code: str
    room: Room
    logic: AlarmLogic
    heartbeat_s: float
    battery_pct: float = 95.0
    drain_pct_per_day: float = 0.05
    seq: int = 0
    tamper: bool = False
    fault: str | None = None
    eol: bool = False
    powered: bool = True  # False: no power, no network (village power loss, dead battery)
    hung: bool = False  # firmware hang: the connection stays up but nothing is sent
    next_state_in_s: float = 0.0
    low_battery_sent: bool = False
    outbox: list[CoState | CoEvent] = field(default_factory=list)

    @classmethod
    def random(
        cls,
        device_id: str,
        village_code: str,
        timing: Timing,
        heartbeat_s: float,
        rng: random.Random,
    ) -> SimAlarm:
        room = Room(
            volume_m3=rng.uniform(25, 60),
            air_changes_per_h=rng.uniform(0.3, 1.2),
            base_ppm=rng.uniform(0.0, 6.0),
        )
        room.co_ppm = room.base_ppm
        return cls(
            device_id=device_id,
            village_code=village_code,
            room=room,
            logic=AlarmLogic(timing),
            heartbeat_s=heartbeat_s,
            battery_pct=rng.uniform(40, 100),
            next_state_in_s=rng.uniform(0, heartbeat_s),  # spread heartbeats
        )

    def _next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def event(self, now: datetime, kind: EventType, co: float | None = None) -> None:
        self.outbox.append(CoEvent(self.device_id, now, self._next_seq(), kind, co))

    def state(self, now: datetime) -> None:
        self.outbox.append(
            CoState(
                self.device_id,
                now,
                self._next_seq(),
                round(self.room.co_ppm, 1),
                round(self.battery_pct, 1),
                self.logic.level,
                self.tamper,
                self.fault,
                self.eol,
            )
        )
        self.next_state_in_s = self.heartbeat_s

    def step(self, now: datetime, dt_s: float) -> None:
        """Advance the household and the alarm by ``dt_s`` simulated seconds."""
        dt_min = dt_s / 60.0
        self.room.step(dt_min)
        if not self.powered:
            return
        before = self.logic.level
        level = self.logic.step(self.room.co_ppm, dt_min)
        self.battery_pct = max(0.0, self.battery_pct - self.drain_pct_per_day * dt_s / 86400)
        if self.hung:
            return
        if level is AlarmLevel.ALARM and before is not AlarmLevel.ALARM:
            self.event(now, EventType.ALARM_START, round(self.room.co_ppm, 1))
            self.state(now)
        elif before is AlarmLevel.ALARM and level is not AlarmLevel.ALARM:
            self.event(now, EventType.ALARM_END, round(self.room.co_ppm, 1))
            self.state(now)
        if self.battery_pct < LOW_BATTERY_PCT and not self.low_battery_sent:
            self.low_battery_sent = True
            self.event(now, EventType.LOW_BATTERY)
        self.next_state_in_s -= dt_s
        if self.next_state_in_s <= 0:
            self.state(now)

    def press_test(self, now: datetime) -> None:
        """The installer presses the test button: a test event, then a fresh state."""
        self.event(now, EventType.TEST, round(self.room.co_ppm, 1))
        self.state(now)

    def set_tamper(self, now: datetime) -> None:
        self.tamper = True
        self.event(now, EventType.TAMPER)
        self.state(now)

    def set_fault(self, now: datetime, fault: str) -> None:
        self.fault = fault
        self.event(now, EventType.FAULT)
        self.state(now)

    def set_eol(self, now: datetime) -> None:
        self.eol = True
        self.event(now, EventType.EOL)
        self.state(now)
