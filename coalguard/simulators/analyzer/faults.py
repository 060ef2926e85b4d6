"""Fault injection for the analyzer simulators, switchable at run time.

``Faults.parse("crc,slow=0.8,exception=6,units=2")`` and ``faults.apply(...)``
change what the running simulator does on its next request.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

NAMES = ("no_response", "slow", "crc", "exception", "garbage", "drop", "stuck_ready")
HELP = (
    "no_response | slow=SECONDS | crc | exception=CODE | garbage | drop | stuck_ready"
    " [, units=1+2]  (none clears all)"
)


@dataclass
class Faults:
    """Active faults. ``units`` limits them to some unit ids (empty: all)."""

    no_response: bool = False
    slow: float = 0.0
    crc: bool = False
    exception: int = 0
    garbage: bool = False
    drop: bool = False
    stuck_ready: bool = False
    units: set[int] = field(default_factory=set)

    def hits(self, unit: int) -> bool:
        return not self.units or unit in self.units

    def active(self) -> list[str]:
        out = []
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name != "units" and v:
                out.append(f.name if v is True else f"{f.name}={v}")
        if self.units and out:
            out.append("units=" + "+".join(str(u) for u in sorted(self.units)))
        return out

    def clear(self) -> None:
        self.apply(Faults())

    def apply(self, other: Faults) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(other, f.name))

    @classmethod
    def parse(cls, text: str) -> Faults:
        """Parse ``crc,slow=0.5,units=1+2``; raise ValueError naming a bad item."""
        out = cls()
        for item in (p.strip() for p in text.replace(" ", ",").split(",")):
            if not item or item == "none":
                continue
            key, eq, value = item.partition("=")
            key = key.replace("-", "_")
            try:
                if key == "slow":
                    out.slow = float(value) if eq else 1.0
                elif key == "exception":
                    out.exception = int(value) if eq else 4
                    if not 1 <= out.exception <= 255:
                        raise ValueError
                elif key == "units":
                    out.units = {int(u) for u in value.split("+") if u}
                elif key in NAMES and not eq:
                    setattr(out, key, True)
                else:
                    raise ValueError
            except ValueError:
                raise ValueError(f"bad fault {item!r} (use: {HELP})") from None
        return out
