"""A learner's Binder session, measured: one CPU, the binder/ configuration, notebooks opened in order.

    python benchmarks/binder_session.py              # every notebook, in order
    python benchmarks/binder_session.py 00 01 02     # those whose names start so
    python benchmarks/binder_session.py --cull-check # only: does the server cull an idle kernel?

mybinder.org gives one CPU and 2 GB for the server and all its kernels together.
This starts a Jupyter server as Binder does (``binder/start``'s environment,
``binder/jupyter_server_config.py``, offline), pinned to one core with its
kernels, and runs each notebook's code cells in a kernel of that server, in
order, through the server's REST and websocket API, as a browser would. A
sampler adds up the memory of the server and every kernel (proportional set
size, so shared libraries count once) every 0.2 s.

Culling: ``cull_idle_timeout`` shuts down a kernel idle for 15 minutes. Every
notebook from 01 on states at least 25 minutes of work, so while a learner
works through notebook N the kernel of N-2 has been idle longer than that and
is gone: at most the idle kernel of N-1 and the running one of N share the
memory. The session keeps exactly those two (it shuts N-2 down as the culler
would, without waiting 15 minutes); ``--cull-check`` shows the server's own
culler doing it, with the timeout shortened to 3 s.

Prints each notebook's one-core time (kernel start included) and the peak of
the whole server while it ran; exits 1 if a notebook fails, takes over 45 s,
or the server ever exceeds 2 GB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import nbformat
import psutil
from tornado.websocket import websocket_connect

ROOT = Path(__file__).resolve().parents[1]
TOKEN = uuid.uuid4().hex
LIMIT_MB, BUDGET_S = 2048, 45.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(root: Path, port: int, extra: list[str]) -> subprocess.Popen:
    """A Jupyter server as Binder runs it: binder/start's environment, its config, one core."""
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", DLHELPERS_OFFLINE="1")
    cmd = [
        sys.executable, "-m", "jupyter_server", f"--port={port}", "--ip=127.0.0.1",
        "--no-browser", f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={root}",
        f"--config={ROOT / 'binder' / 'jupyter_server_config.py'}", "--allow-root", *extra,
    ]  # fmt: skip
    server = subprocess.Popen(
        cmd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=lambda: os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}),
        start_new_session=True,
    )
    for _ in range(300):
        try:
            api(port, "GET", "api/status")
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the Jupyter server did not start")


def api(port: int, method: str, path: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/{path}",
        data=data,
        method=method,
        headers={"Authorization": f"token {TOKEN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as reply:
        text = reply.read()
    return json.loads(text) if text else {}


class Sampler(threading.Thread):
    """Peak memory (MB, summed PSS) of a process and all its descendants."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.peak = self.window = 0.0
        self.done = threading.Event()

    def total(self) -> float:
        mb = 0.0
        for proc in [self.root, *self.root.children(recursive=True)]:
            try:
                mb += proc.memory_full_info().pss / 2**20
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                pass
        return mb

    def run(self) -> None:
        while not self.done.wait(0.2):
            now = self.total()
            self.peak, self.window = max(self.peak, now), max(self.window, now)


def _message(code: str) -> dict:
    return {
        "header": {
            "msg_id": uuid.uuid4().hex, "msg_type": "execute_request", "username": "learner",
            "session": uuid.uuid4().hex, "version": "5.3", "date": "",
        },
        "parent_header": {}, "metadata": {}, "channel": "shell",
        "content": {"code": code, "silent": False, "store_history": True,
                    "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
    }  # fmt: skip


async def run_cells(port: int, kernel: str, cells: list[str]) -> str | None:
    """Run the cells in order; the first error's name and value, or None."""
    url = f"ws://127.0.0.1:{port}/api/kernels/{kernel}/channels?token={TOKEN}"
    ws = await websocket_connect(url)
    try:
        for code in cells:
            msg = _message(code)
            await ws.write_message(json.dumps(msg))
            while True:
                raw = await ws.read_message()
                if raw is None:
                    return "the kernel's connection closed (out of memory?)"
                if isinstance(raw, bytes):
                    continue  # a message with binary buffers (a widget's picture): not a reply
                reply = json.loads(raw)
                if reply.get("parent_header", {}).get("msg_id") != msg["header"]["msg_id"]:
                    continue
                if reply["msg_type"] == "execute_reply":
                    content = reply["content"]
                    if content["status"] != "ok":
                        return f"{content.get('ename')}: {content.get('evalue')}"
                    break
    finally:
        ws.close()
    return None


def open_notebook(port: int, name: str) -> str:
    session = api(
        port,
        "POST",
        "api/sessions",
        {"path": name, "type": "notebook", "name": name, "kernel": {"name": "python3"}},
    )
    return session["kernel"]["id"]


def session(names: list[str]) -> int:
    root = Path(tempfile.mkdtemp(prefix="binder-session-"))
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        shutil.copy(path, root)  # a copy: nothing the kernels write touches the course
    chosen = [p.name for p in sorted(root.glob("*.ipynb")) if not names or p.name[:2] in names]
    port = _free_port()
    server = start_server(root, port, [])
    sampler = Sampler(server.pid)
    sampler.start()
    failed, alive = 0, []
    print(f"{'notebook':44s} {'1-core s':>8s} {'server peak MB':>15s} {'kernels':>8s}")
    try:
        base = sampler.total()
        for name in chosen:
            cells = [c.source for c in nbformat.read(root / name, 4).cells if c.cell_type == "code"]
            if len(alive) == 2:  # N-2, idle for longer than cull_idle_timeout: culled
                api(port, "DELETE", f"api/kernels/{alive.pop(0)}")
            sampler.window = 0.0
            start = time.perf_counter()
            kernel = open_notebook(port, name)
            alive.append(kernel)
            error = asyncio.run(run_cells(port, kernel, cells))
            took = time.perf_counter() - start
            over = took > BUDGET_S or sampler.window > LIMIT_MB
            failed += bool(error) or over
            note = f"  FAILED: {error}" if error else ("  over budget" if over else "")
            print(f"{name[:-6]:44s} {took:8.1f} {sampler.window:15.0f} {len(alive):8d}{note}")
        print(f"server alone {base:.0f} MB; peak of the whole session {sampler.peak:.0f} MB "
              f"(limit {LIMIT_MB} MB)")  # fmt: skip
        failed += sampler.peak > LIMIT_MB
    finally:
        sampler.done.set()
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
        shutil.rmtree(root, ignore_errors=True)
    return 1 if failed else 0


def cull_check() -> int:
    """The server's own culler, with binder's settings but a 3 s timeout, shuts an idle kernel."""
    root = Path(tempfile.mkdtemp(prefix="binder-cull-"))
    shutil.copy(ROOT / "notebooks" / "00_welcome.ipynb", root)
    port = _free_port()
    extra = ["--MappingKernelManager.cull_idle_timeout=3", "--MappingKernelManager.cull_interval=1"]
    server = start_server(root, port, extra)
    try:
        kernel = open_notebook(port, "00_welcome.ipynb")
        asyncio.run(run_cells(port, kernel, ["x = 1"]))
        for waited in range(30):
            if kernel not in {k["id"] for k in api(port, "GET", "api/kernels")}:
                print(f"the idle kernel was culled after about {waited + 1} s (timeout 3 s)")
                return 0
            time.sleep(1)
        print("the idle kernel was NOT culled within 30 s")
        return 1
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="notebook numbers (default all)")
    parser.add_argument("--cull-check", action="store_true", help="only check the culler")
    args = parser.parse_args()
    sys.exit(cull_check() if args.cull_check else session(args.names))


if __name__ == "__main__":
    main()
