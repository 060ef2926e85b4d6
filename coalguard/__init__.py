"""coalguard: coal-quality checkpoints and household CO alarms, edge and cloud."""

__version__ = "0.1.0"
