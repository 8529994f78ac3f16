"""Word documents to PDF with LibreOffice in headless mode, so a setting's own wording is kept exactly.

Why LibreOffice: the PDF must be the SENCo's edited .docx, not a second rendering of our own. Many files go in one
`soffice` call (starting it takes seconds), with a private profile folder per call (two calls at once would share a
lock otherwise), a timeout, and nothing that reaches the network: the files were checked to link nothing outside
themselves (senlib.documents.sandbox), and the profile starts empty.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from senlib.core.errors import SenlibError

PACKAGE = "libreoffice-writer-nogui"
TIMEOUT_ENV = "SENLIB_PDF_TIMEOUT"
BASE_TIMEOUT, PER_FILE = 60.0, 10.0


class PdfUnavailable(SenlibError):
    """LibreOffice is not installed, so Word documents cannot be turned into PDF here."""


class PdfFailed(SenlibError):
    """LibreOffice did not turn a document into PDF (stopped, timed out or wrote nothing)."""


def soffice() -> str:
    """The LibreOffice program; PdfUnavailable naming the package to install when there is none."""
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    raise PdfUnavailable("PDF documents need LibreOffice, which is not installed on this computer.",
                         fix=f"Install it (Debian or Ubuntu: sudo apt-get install {PACKAGE}), or download the Word "
                         "documents and save them as PDF in Word.")


def _safe(name: str, i: int) -> str:
    stem = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in Path(name).stem)[:60] or "document"
    return f"{i:03d}-{stem}.docx"


def to_pdf(docx_files: dict[str, bytes], *, timeout: float | None = None) -> dict[str, bytes]:
    """Each .docx (file name -> bytes) as PDF (same name, .pdf), in one LibreOffice run."""
    if not docx_files:
        return {}
    program = soffice()
    limit = timeout or float(os.environ.get(TIMEOUT_ENV) or BASE_TIMEOUT + PER_FILE * len(docx_files))
    with tempfile.TemporaryDirectory(prefix="senlib-pdf-") as tmp:
        folder = Path(tmp)
        src, out, profile = folder / "in", folder / "out", folder / "profile"
        for d in (src, out, profile):
            d.mkdir()
        names = {}
        for i, (name, data) in enumerate(docx_files.items()):
            safe = _safe(name, i)
            (src / safe).write_bytes(data)
            names[safe] = name
        cmd = [program, "--headless", "--norestore", "--nologo", "--nodefault", "--nolockcheck",
               f"-env:UserInstallation={profile.as_uri()}", "--convert-to", "pdf", "--outdir", str(out),
               *[str(src / s) for s in names]]
        env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
        env.update({"HOME": str(profile), "SAL_USE_VCLPLUGIN": "svp", "no_proxy": "*"})
        try:
            proc = subprocess.Popen(cmd, cwd=folder, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        except OSError as exc:
            raise PdfUnavailable(f"LibreOffice could not be started ({exc}).", fix=f"Reinstall {PACKAGE}.") from None
        try:
            said, _ = proc.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise PdfFailed(f"Making the PDF took longer than {limit:.0f} seconds, so it was stopped.",
                            fix="Try fewer reviews at a time, or download the Word documents.") from None
        result = {}
        missing = []
        for safe, name in names.items():
            pdf = out / (Path(safe).stem + ".pdf")
            if pdf.exists() and pdf.stat().st_size > 0:
                result[str(Path(name).with_suffix(".pdf"))] = pdf.read_bytes()
            else:
                missing.append(name)
        if missing:
            detail = (said or b"").decode("utf-8", errors="replace").strip()[-300:]
            raise PdfFailed(f"LibreOffice made no PDF of {', '.join(missing)} (exit code {proc.returncode}"
                            f"{': ' + detail if detail else ''}).",
                            fix="Open the Word document to check it is not damaged, or download the Word documents.")
        return result
