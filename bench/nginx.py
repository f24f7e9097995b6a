"""nginx in front of a bench's web servers, as in production (README, "Production"): /static/ from disk
with a year's cache, everything else passed to gunicorn.

bench.roundtrip puts one in front of each side so that the browser's own cache serves the static files
once warm, as it does for a parent; Playwright's request routing would turn that cache off and make every
page load fetch its files again through the driver, which would slow most the side that loads whole pages.
"""
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
MIME_TYPES = Path("/etc/nginx/mime.types")


@dataclass(frozen=True)
class Front:
    """One site behind nginx: the port it listens on, the gunicorn it passes to, its static folder."""
    listen: int
    backend: str   # host:port
    static: Path


def server_block(front: Front) -> str:
    return f"""
  server {{
    listen 127.0.0.1:{front.listen};
    location /static/ {{ alias {front.static.resolve()}/; expires max; }}
    location / {{
      proxy_pass http://{front.backend};
      proxy_set_header Host $http_host;
    }}
  }}"""


@dataclass(frozen=True)
class Running:
    process: subprocess.Popen
    folder: Path   # its configuration, logs and temporary files


def start(fronts: list[Front]) -> Running:
    """nginx serving each front, once it answers on each one's port."""
    if not Path(NGINX).exists():
        raise SystemExit("bench.roundtrip needs nginx in front of each side, as in production: "
                         "as root, apt-get install nginx-light (make bench does it)")
    folder = Path(tempfile.mkdtemp(prefix="bench-nginx-"))
    folder.chmod(0o755)   # started as root, nginx's workers run as nobody: they write request bodies below it
    temp_paths = " ".join(f"{kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    mime = f"include {MIME_TYPES};" if MIME_TYPES.exists() else ""
    (folder / "nginx.conf").write_text(f"""daemon off;
worker_processes 1;
pid {folder / 'nginx.pid'};
error_log {folder / 'error.log'} warn;
events {{ worker_connections 512; }}
http {{
  {mime}
  access_log off;
  {temp_paths}
  {''.join(server_block(front) for front in fronts)}
}}
""")
    running = Running(subprocess.Popen([NGINX, "-p", str(folder), "-c", str(folder / "nginx.conf")],
                                       start_new_session=True), folder)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and running.process.poll() is None:
        try:
            for front in fronts:
                socket.create_connection(("127.0.0.1", front.listen), timeout=1).close()
            return running
        except OSError:
            time.sleep(0.05)
    log = folder / "error.log"
    why = log.read_text()[-2000:] if log.exists() else ""
    stop(running)
    raise SystemExit(f"nginx did not listen within 10 s: {why}")


def stop(running: Running | None) -> None:
    if running is None:
        return
    if running.process.poll() is None:
        running.process.terminate()
        running.process.wait(timeout=10)
    shutil.rmtree(running.folder, ignore_errors=True)
