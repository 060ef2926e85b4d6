"""Reading a printed paper back: its text (pdftotext) and its QR code (pdftoppm + zxing-cpp).

Shared by the papers test and the checkpoint walk: what a person or a scanner
reads off the PDF the gateway served, not what the template meant to say.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

import zxingcpp

from tests.conftest import require_binary

_PGM = re.compile(rb"P5\s+(\d+)\s+(\d+)\s+(\d+)\s")


def pdf_text(pdf: bytes, tmp: Path) -> str:
    """The PDF's text as ``pdftotext -layout`` reads it."""
    tmp = Path(tempfile.mkdtemp(dir=tmp))
    require_binary("pdftotext")
    path = tmp / "paper.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, timeout=60
    )
    return out.stdout.decode("utf-8")


def pdf_pages(pdf: bytes, tmp: Path) -> int:
    tmp = Path(tempfile.mkdtemp(dir=tmp))
    require_binary("pdfinfo")
    path = tmp / "paper-info.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, timeout=60)
    info = out.stdout.decode()
    assert "(A4)" in info, info
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


def pdf_qr_codes(pdf: bytes, tmp: Path) -> list[str]:
    """The text of every QR code on the first page, rendered at 200 dpi in grey."""
    tmp = Path(tempfile.mkdtemp(dir=tmp))
    require_binary("pdftoppm")
    path = tmp / "paper-qr.pdf"
    path.write_bytes(pdf)
    prefix = tmp / "page"
    subprocess.run(
        ["pdftoppm", "-gray", "-r", "200", "-f", "1", "-l", "1", str(path), str(prefix)],
        check=True,
        timeout=60,
    )
    data = next(tmp.glob("page*.pgm")).read_bytes()
    m = _PGM.match(data)
    assert m and m.group(3) == b"255", "pdftoppm wrote an 8-bit PGM"
    width, height = int(m.group(1)), int(m.group(2))
    pixels = memoryview(data[m.end() :]).cast("B", (height, width))
    return [b.text for b in zxingcpp.read_barcodes(pixels)]
