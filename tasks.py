#!/usr/bin/env python3
"""The two set-up commands of spread, needing nothing but Python 3.11.

    python3 tasks.py run     install, migrate, load demo data on first run, serve on :5000
                             (with the task queue's worker beside the web server)
    python3 tasks.py test    install test tools, run the whole test suite

Everything is installed into ./.venv; nothing outside the project folder is touched, except
that ``test`` installs Debian's chromium for the browser tests when it is missing and it can.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
CHROMIUM = "/usr/bin/chromium"


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def run(*args: str | Path, env: dict | None = None, check: bool = True) -> int:
    """Run a command from the project folder; stop on failure unless ``check`` is false."""
    result = subprocess.run([str(a) for a in args], cwd=ROOT, env=env)
    if check and result.returncode != 0:
        sys.exit(result.returncode)
    return result.returncode


def ensure_venv(extras: str = "") -> None:
    """Create .venv and (re)install the project when its dependencies changed."""
    if sys.version_info < (3, 11):
        sys.exit("spread needs Python 3.11 or newer.")
    if not PYTHON.exists():
        say("creating the virtual environment in .venv")
        venv.EnvBuilder(with_pip=True).create(VENV)
    spec = ".[" + extras + "]" if extras else "."
    digest = hashlib.sha256(
        (ROOT / "setup.cfg").read_bytes() + (ROOT / "pyproject.toml").read_bytes()
        + spec.encode()
    ).hexdigest()
    stamp = VENV / f".installed-{extras or 'base'}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    say(f"installing spread{'[' + extras + ']' if extras else ''} and its dependencies")
    run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(PYTHON, "-m", "pip", "install", "--quiet", "-e", spec)
    stamp.write_text(digest)


def compile_translations() -> None:
    """Compile the .po catalogues into the .mo files Flask-Babel reads."""
    run(BIN / "pybabel", "-q", "compile", "-d", ROOT / "spread" / "translations")


def flask(*args: str, env: dict | None = None) -> int:
    return run(BIN / "flask", "--app", "wsgi", *args, env=env)


def command_run(argv: list[str]) -> None:
    """Install, migrate, load the demo data into an empty database, and serve."""
    ensure_venv()
    compile_translations()
    say("migrating the database")
    flask("db", "upgrade")
    flask("seed-demo", "--if-empty")
    host = os.environ.get("SPREAD_HOST", "127.0.0.1")
    port = os.environ.get("SPREAD_PORT", "5000")
    # Links in mails (account confirmation, password reset) point at where we serve.
    os.environ.setdefault("SPREAD_PUBLIC_URL", f"http://{host}:{port}")
    say("starting the task queue's worker (pairing runs, mail, reminders)")
    worker = subprocess.Popen([str(BIN / "flask"), "--app", "wsgi", "worker"], cwd=ROOT)
    say(f"serving spread on http://{host}:{port} (Ctrl+C stops it)")
    try:
        flask("run", "--host", host, "--port", port, *argv)
    finally:
        stop_child(worker)


def stop_child(process: subprocess.Popen, grace: float = 15) -> None:
    """Ask a child process to stop (Ctrl+C reached it already), and make sure it did."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def ensure_chromium() -> None:
    """Install Debian's chromium for the browser tests if it is missing and we may."""
    if Path(CHROMIUM).exists():
        return
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        say("installing Debian's chromium for the browser tests")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        run("apt-get", "update", "-qq", env=env)
        run("apt-get", "install", "-y", "-qq", "chromium", env=env)
    else:
        say(f"{CHROMIUM} is missing and cannot be installed here: browser tests will be skipped")


def ensure_axe() -> None:
    """Install axe-core from npm for the accessibility checks of the browser tests."""
    folder = ROOT / "tests" / "a11y"
    if (folder / "node_modules" / "axe-core" / "axe.min.js").exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        say("npm is missing: the accessibility checks of the browser tests will be skipped")
        return
    say("installing axe-core from npm for the accessibility checks")
    run(npm, "ci", "--silent", "--no-audit", "--no-fund", "--prefix", folder)


def with_workers(argv: list[str]) -> list[str]:
    """Spread the tests over one pytest-xdist worker per core, unless the caller chose
    (``-n 0`` runs them in this process)."""
    chosen = any((a.startswith("-n") and not a.startswith("--")) or a.startswith("--numprocesses")
                 or a == "no:xdist" for a in argv)
    return argv if chosen else ["-n", "auto", *argv]


def command_test(argv: list[str]) -> None:
    """Run the whole suite on SQLite, and again on PostgreSQL when SPREAD_TEST_DATABASE_URL is set."""
    ensure_venv("test")
    compile_translations()
    ensure_chromium()
    ensure_axe()
    postgres = os.environ.get("SPREAD_TEST_DATABASE_URL")
    sqlite_env = {k: v for k, v in os.environ.items() if k != "SPREAD_TEST_DATABASE_URL"}
    argv = with_workers(argv)
    say("running the test suite on SQLite")
    code = run(PYTHON, "-m", "pytest", *argv, env=sqlite_env, check=False)
    if postgres:
        say("running the database tests on PostgreSQL")
        pg_code = run(PYTHON, "-m", "pytest", "--ignore=tests/matching", *argv, check=False)
        code = code or pg_code
    sys.exit(code)


COMMANDS = {"run": command_run, "test": command_test}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](sys.argv[2:])
