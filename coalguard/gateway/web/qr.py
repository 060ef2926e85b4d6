"""QR codes on the papers: what they carry, drawn as inline SVG (segno, no images on disk).

A turn-back notice's code carries the inspection id and the hash of its
latest inspection-ledger entry, so whoever holds the paper can check it
against the gateway's or the cloud's copy of the ledger; a sample label's
carries the sample id with the seal and the inspection it came from.
"""

from __future__ import annotations

import segno
from markupsafe import Markup

PREFIX = "CG1"  # our payload format, version 1


def inspection_payload(inspection_id: str, ledger_seq: int, ledger_hash: str) -> str:
    """``CG1;inspection=<id>;ledger=inspection#<seq>;hash=<sha256 hex>``."""
    return f"{PREFIX};inspection={inspection_id};ledger=inspection#{ledger_seq};hash={ledger_hash}"


def sample_payload(sample_id: str, seal: str, inspection_id: str) -> str:
    """``CG1;sample=<id>;seal=<seal>;inspection=<id>``."""
    return f"{PREFIX};sample={sample_id};seal={seal};inspection={inspection_id}"


def qr_svg(payload: str, scale: int = 3) -> Markup:
    """The QR code of ``payload`` as an inline ``<svg>`` element (error correction M)."""
    code = segno.make(payload, error="m", micro=False)
    return Markup(code.svg_inline(scale=scale, border=4, dark="#000", light="#fff"))
