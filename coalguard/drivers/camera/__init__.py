"""Checkpoint cameras: plate-read and snapshot events."""
