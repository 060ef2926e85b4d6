"""The cloud's acknowledgement of a CO alarm event: ``co/v1/{id}/ack`` (contract v1).

A broker's PUBACK is not a durable receipt (Mosquitto 2.0 does not save a
message it hands straight to a connected subscriber; a SIGKILL loses it). So
the cloud publishes ``{"seq": n, "status": …}`` on the alarm's own ack topic
after the event is committed (or found already stored, or dead-lettered), and
the alarm resends the event until that ack arrives, like an alarm-receiving
centre's ACK in SIA DC-09.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum

from coalguard.drivers.co_alarm.codec import topic

ACK = "ack"


class AckStatus(StrEnum):
    STORED = "stored"  # committed now
    DUPLICATE = "duplicate"  # this (device_id, seq) was stored before
    DEAD_LETTER = "dead_letter"  # refused and kept in the dead letters: do not resend


@dataclass(frozen=True, slots=True)
class EventAck:
    device_id: str
    seq: int
    status: AckStatus

    def encode(self) -> tuple[str, bytes]:
        """Topic and payload the cloud publishes (QoS 1, not retained)."""
        doc = {"seq": self.seq, "status": self.status.value}
        return ack_topic(self.device_id), json.dumps(doc, separators=(",", ":")).encode()


def ack_topic(device_id: str) -> str:
    """``co/v1/{device_id}/ack``: only that alarm may read it (broker ACL)."""
    return topic(device_id, ACK)


def ack_seq(payload: bytes) -> int | None:
    """The ``seq`` an ack payload acknowledges (device side), None when it is not an ack."""
    try:
        doc = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return None
    seq = doc.get("seq") if isinstance(doc, dict) else None
    return seq if isinstance(seq, int) and not isinstance(seq, bool) else None
