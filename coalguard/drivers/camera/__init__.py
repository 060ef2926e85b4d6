"""Checkpoint cameras: plate-read and snapshot events pushed over HTTP."""

from coalguard.drivers.camera.event import CameraEvent, MediaRef, parse_event

__all__ = ["CameraEvent", "MediaRef", "parse_event"]
