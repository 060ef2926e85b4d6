"""Household CO alarms over MQTT: the v1 topic and payload codec."""

from coalguard.drivers.co_alarm.codec import DEVICE_ID, ROOT, encode, parse, split_topic, topic
from coalguard.drivers.co_alarm.messages import (
    AlarmLevel,
    Availability,
    CoEvent,
    CoMessage,
    CoState,
    EventType,
    Rejection,
)

__all__ = [
    "DEVICE_ID",
    "ROOT",
    "AlarmLevel",
    "Availability",
    "CoEvent",
    "CoMessage",
    "CoState",
    "EventType",
    "Rejection",
    "encode",
    "parse",
    "split_topic",
    "topic",
]
