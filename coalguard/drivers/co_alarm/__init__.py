"""Household CO alarms: MQTT topics and the v1 payload codec."""
