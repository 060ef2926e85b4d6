"""HTML to PDF with headless Chromium: the paper the operator sees is the paper printed.

The page is written to a private temporary directory and printed by
``chromium --headless --print-to-pdf`` with a throwaway profile, no header or
footer (the paper's own ``@page`` rule sets A4 and the margins). Chromium runs
in its own process group, so a timeout kills it and every helper it started.
A missing binary, a timeout or a failed print is a ``PdfUnavailable`` whose
``key`` names the catalog text the page shows (503).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--no-first-run",
    "--no-pdf-header-footer",
)


class PdfUnavailable(Exception):
    """The PDF could not be made. ``key`` is in ``[gw_papers]``; ``detail`` is for the log."""

    def __init__(self, key: str, detail: str) -> None:
        super().__init__(f"{key}: {detail}")
        self.key = key
        self.detail = detail


def print_pdf(html: str, chromium: str, timeout_s: float) -> bytes:
    """``html`` printed to PDF bytes by ``chromium`` within ``timeout_s`` seconds."""
    binary = shutil.which(chromium)
    if binary is None:
        raise PdfUnavailable("pdf_no_chromium", f"{chromium!r} not found")
    with tempfile.TemporaryDirectory(prefix="coalguard-paper-") as tmp:
        page, out = Path(tmp, "paper.html"), Path(tmp, "paper.pdf")
        page.write_text(html, encoding="utf-8")
        cmd = [
            binary,
            *FLAGS,
            f"--user-data-dir={Path(tmp, 'profile')}",
            f"--print-to-pdf={out}",
            page.as_uri(),
        ]
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own group: a timeout ends every Chromium process
        )
        try:
            _, err = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise PdfUnavailable("pdf_timeout", f"no PDF within {timeout_s:g} s") from None
        data = out.read_bytes() if out.exists() else b""
        if proc.returncode != 0 or not data.startswith(b"%PDF"):
            tail = err.decode("utf-8", "replace").strip().splitlines()[-3:]
            raise PdfUnavailable("pdf_failed", f"exit {proc.returncode}: {' | '.join(tail)}")
        return data


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
