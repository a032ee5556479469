"""`tend serve` and `tend worker`.

`serve` runs two children — gunicorn for web and API, and the Huey worker — and keeps them
together: a stop request (Ctrl-C, SIGTERM) is passed to both and waited for; when either
child dies, the other is stopped and `serve` fails. The children get their own process group,
so that Ctrl-C in a terminal reaches them once, through the supervisor, rather than twice."""

import ctypes
import logging
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

STOP_TIMEOUT_SECONDS = 30
START_TIMEOUT_SECONDS = 60
PR_SET_PDEATHSIG = 1


@dataclass
class Child:
    label: str
    process: subprocess.Popen
    stop_signal: int


def _die_with_parent() -> None:
    """In the child, before exec: be sent SIGTERM if the supervisor itself is killed, so that
    no server outlives it (Linux; elsewhere this does nothing)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def bind_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def url_for(host: str, port: int) -> str:
    return f"http://{bind_address(host, port)}/"


def gunicorn_command(host: str, port: int, workers: int, threads: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "tend.config.wsgi:application",
        "--bind",
        bind_address(host, port),
        "--worker-class",
        "gthread",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--graceful-timeout",
        "20",
        "--timeout",
        "60",
        "--log-level",
        "warning",
        "--error-logfile",
        "-",
    ]


def worker_command() -> list[str]:
    return [sys.executable, "-m", "tend.cli.main", "worker"]


def _start(label: str, command: list[str], stop_signal: int) -> Child:
    # The environment is inherited, DJANGO_SETTINGS_MODULE and TEND_* included.
    process = subprocess.Popen(command, process_group=0, preexec_fn=_die_with_parent)
    return Child(label, process, stop_signal)


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def port_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _stop(children: list[Child]) -> None:
    for child in children:
        if child.process.poll() is None:
            child.process.send_signal(child.stop_signal)
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    for child in children:
        try:
            child.process.wait(timeout=max(deadline - time.monotonic(), 0))
        except subprocess.TimeoutExpired:
            print(_("%(name)s did not stop in time; killing it.") % {"name": child.label})
            child.process.kill()
            child.process.wait()


def serve(*, host: str, port: int, workers: int, threads: int = 4) -> int:
    wake = threading.Event()
    requested: list[int] = []

    def on_stop_signal(signum, _frame):
        requested.append(signum)
        wake.set()

    previous = {
        signum: signal.signal(signum, on_stop_signal) for signum in (signal.SIGINT, signal.SIGTERM)
    }
    previous[signal.SIGCHLD] = signal.signal(signal.SIGCHLD, lambda *_args: wake.set())
    children: list[Child] = []
    try:
        # gunicorn stops gracefully on SIGTERM, the Huey consumer on SIGINT. Each child joins
        # the list as it starts, so a failure to start the second still stops the first.
        children.append(
            _start(_("web server"), gunicorn_command(host, port, workers, threads), signal.SIGTERM)
        )
        children.append(_start(_("worker"), worker_command(), signal.SIGINT))
        print(
            _("Started web server (pid %(web)d) and worker (pid %(worker)d).")
            % {"web": children[0].process.pid, "worker": children[1].process.pid},
            flush=True,
        )
        started = time.monotonic()
        announced = False
        while True:
            if requested:
                print(_("Stopping…"), flush=True)
                _stop(children)
                print(_("Stopped."), flush=True)
                return 0
            dead = [child for child in children if child.process.poll() is not None]
            if dead:
                for child in dead:
                    print(
                        _("The %(name)s exited (code %(code)s); stopping Tend.")
                        % {"name": child.label, "code": child.process.returncode},
                        file=sys.stderr,
                        flush=True,
                    )
                _stop(children)
                return 1
            if not announced:
                if _port_open(host, port):
                    announced = True
                    print(
                        _("Tend is running at %(url)s — press Ctrl-C to stop.")
                        % {"url": url_for(host, port)},
                        flush=True,
                    )
                elif time.monotonic() - started > START_TIMEOUT_SECONDS:
                    print(_("The web server did not start listening in time."), file=sys.stderr)
                    _stop(children)
                    return 1
                wake.wait(0.2)
            else:
                wake.wait(1.0)
            wake.clear()
    finally:
        for child in children:
            if child.process.poll() is None:
                child.process.kill()
                child.process.wait()
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def run_worker() -> int:
    """The Huey consumer with the project's settings; periodic tasks come from the `tasks`
    modules of installed apps. SIGINT stops it gracefully (running jobs finish), SIGTERM at
    once."""
    from django.utils.module_loading import autodiscover_modules
    from huey.consumer_options import ConsumerConfig
    from huey.contrib.djhuey import HUEY

    from tend.cli.tasks import record_heartbeat

    autodiscover_modules("tasks")
    options = dict(settings.HUEY.get("consumer", {})) if isinstance(settings.HUEY, dict) else {}
    config = ConsumerConfig(**options)
    config.validate()
    consumer = HUEY.create_consumer(**config.values)
    record_heartbeat()
    logging.getLogger("huey").info("worker started")
    # Huey sets its signal handlers only after starting its threads; a signal in between would
    # kill the worker outright. Held back until the handlers are in place, it stops it cleanly.
    stop_signals = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    set_handlers = consumer._set_signal_handlers

    def set_handlers_then_receive():
        set_handlers()
        signal.pthread_sigmask(signal.SIG_UNBLOCK, stop_signals)

    consumer._set_signal_handlers = set_handlers_then_receive
    consumer.run()
    return 0
