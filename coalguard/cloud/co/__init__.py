"""Household CO alarms in the cloud: MQTT ingest, alerts, escalation, commissioning."""

from coalguard.cloud.co import tables as tables  # register tables with Base
from coalguard.cloud.co.service import CoService
from coalguard.cloud.co.settings import CoSettings

__all__ = ["CoService", "CoSettings"]
