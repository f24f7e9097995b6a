"""The W3C Nu HTML validator (npm package ``vnu-jar``, run with the machine's Java) as a local
HTTP service, started once for the whole test session on the first page it is given.

The jar (32 MB) is not in the repository: ``.ci/ensure_services.sh test`` (run by ``make test``)
installs the pinned version from the npm registry into ``.venv/vnu``; ``VNU_JAR`` points at
another copy.
"""
import atexit
import ctypes
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

DEFAULT_JAR = Path(settings.BASE_DIR) / ".venv" / "vnu" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
START_TIMEOUT_S = 120


def _die_with_parent():
    """Linux: the validator gets SIGTERM when the test process dies, even killed (no atexit then)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)   # PR_SET_PDEATHSIG
    except OSError:
        pass


class NuValidator:
    def __init__(self, jar: Path):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.process = subprocess.Popen(
            ["java", "-Xss2m", "-Xmx512m", "-Dnu.validator.servlet.bind-address=127.0.0.1", "-cp", str(jar),
             "nu.validator.servlet.Main", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=_die_with_parent,
        )
        atexit.register(self.stop)
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=2).close()
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    pytest.fail(f"the Nu validator ({jar}) did not start")
                time.sleep(0.5)

    def messages(self, html: str) -> list[dict]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/?out=json", data=html.encode("utf-8"),
            headers={"Content-Type": "text/html; charset=utf-8"}, method="POST")
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read().decode("utf-8"))["messages"]

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


_validator: NuValidator | None = None


def validator() -> NuValidator:
    global _validator
    if _validator is None:
        jar = Path(os.environ.get("VNU_JAR") or DEFAULT_JAR)
        if not jar.exists():
            pytest.fail(f"the Nu HTML validator is missing at {jar}: run `make services` "
                        "(npm install vnu-jar into .venv/vnu) or set VNU_JAR.")
        _validator = NuValidator(jar)
    return _validator


def html_errors(html: str) -> list[str]:
    """The validator's errors on a document, one readable line each (warnings and info left out)."""
    return [f"line {message.get('lastLine', '?')}: {message['message']}  «{message.get('extract', '').strip()}»"
            for message in validator().messages(html)
            if message.get("type") == "error" or message.get("subType") == "fatal"]
