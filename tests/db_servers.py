"""Real database servers for metadata-store tests, each with its own data directory
under a temporary folder, on 127.0.0.1 and a free port, with its own socket, stopped
at the end (even on failure). A server whose Debian package is absent skips the test,
naming the package."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from datalife.pipeline.portable import free_port, wait_for_port

PASSWORD_ENV = "DATALIFE_TEST_DB_PASSWORD"
PASSWORD = "s3cret-mlmd"


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.is_file() else ""


def _find(name: str, *folders: str):
    found = shutil.which(name)
    for folder in folders:
        if not found and Path(folder, name).is_file():
            found = str(Path(folder, name))
    return found


@contextmanager
def mariadb_server(tmp: Path) -> Iterator[dict]:
    """A MariaDB server (Debian's ``mariadb-server``) with a user ``mlmd`` whose
    password is in ``DATALIFE_TEST_DB_PASSWORD``; yields the metadata.mysql settings."""
    server, install = _find("mariadbd", "/usr/sbin"), _find("mariadb-install-db")
    client = _find("mariadb") or _find("mysql")
    if not (server and install and client):
        pytest.skip("MariaDB server not installed: it comes from Debian's package mariadb-server "
                    "(apt-get install mariadb-server; .ci/run installs it)")
    tmp.mkdir(parents=True, exist_ok=True)
    data, sock, log, port = tmp / "data", tmp / "mysqld.sock", tmp / "mysqld.log", free_port()
    user = ["--user=root"] if os.geteuid() == 0 else []  # as root, mariadbd must be told to stay root
    setup = subprocess.run([install, "--no-defaults", f"--datadir={data}", "--auth-root-authentication-method=normal",
                            "--skip-test-db", *user], capture_output=True, text=True)
    assert setup.returncode == 0, setup.stdout[-2000:] + setup.stderr[-2000:]
    proc = subprocess.Popen([server, "--no-defaults", f"--datadir={data}", f"--socket={sock}", f"--port={port}",
                             "--bind-address=127.0.0.1", f"--pid-file={tmp / 'mysqld.pid'}", f"--log-error={log}",
                             "--skip-name-resolve", "--innodb-buffer-pool-size=64M", *user],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        try:
            wait_for_port("127.0.0.1", port, 60, proc, what="mariadbd")
        except ConnectionError as exc:
            raise AssertionError(f"{exc}\n{_tail(log)}") from None
        sql = (f"CREATE USER 'mlmd'@'127.0.0.1' IDENTIFIED BY '{PASSWORD}'; "
               "GRANT ALL PRIVILEGES ON *.* TO 'mlmd'@'127.0.0.1'; FLUSH PRIVILEGES;")
        grant = subprocess.run([client, "--no-defaults", f"--socket={sock}", "-uroot", "-e", sql],
                               capture_output=True, text=True)
        assert grant.returncode == 0, grant.stderr
        yield {"host": "127.0.0.1", "port": port, "database": "mlmd", "user": "mlmd", "password_env": PASSWORD_ENV,
               "log": log}
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@contextmanager
def postgresql_server(tmp: Path) -> Iterator[dict]:
    """A PostgreSQL server (Debian's ``postgresql``) with a user ``mlmd`` (password in
    ``DATALIFE_TEST_DB_PASSWORD``); yields the metadata.postgresql settings. As root it
    runs as the ``postgres`` user, as PostgreSQL refuses to run as root."""
    bindirs = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    initdb, pg_ctl = (_find("initdb", *map(str, bindirs)), _find("pg_ctl", *map(str, bindirs)))
    if not (initdb and pg_ctl):
        pytest.skip("PostgreSQL server not installed: it comes from Debian's package postgresql "
                    "(apt-get install postgresql)")
    as_user: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser: cannot start PostgreSQL as another user")
        as_user = ["runuser", "-u", "postgres", "--"]
    own_tmp = None
    if as_user:  # pytest's folders are private to root: the server's must be the postgres user's
        tmp = own_tmp = Path(tempfile.mkdtemp(prefix="datalife-pg-"))
        shutil.chown(tmp, "postgres")
    tmp.mkdir(parents=True, exist_ok=True)
    data, log, port = tmp / "data", tmp / "postgres.log", free_port()
    pwfile = tmp / "pw"
    pwfile.write_text(PASSWORD + "\n")
    if as_user:
        shutil.chown(pwfile, "postgres")
    init = subprocess.run([*as_user, initdb, "-D", str(data), "-U", "mlmd", f"--pwfile={pwfile}",
                           "--auth=scram-sha-256"], capture_output=True, text=True, cwd=tmp)
    assert init.returncode == 0, init.stdout[-2000:] + init.stderr[-2000:]
    opts = f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1"
    start = subprocess.run([*as_user, pg_ctl, "-D", str(data), "-l", str(log), "-o", opts, "-w", "-t", "60",
                            "start"], capture_output=True, text=True, cwd=tmp)
    try:
        assert start.returncode == 0, start.stderr + _tail(log)
        yield {"host": "127.0.0.1", "port": port, "database": "mlmd", "user": "mlmd", "password_env": PASSWORD_ENV,
               "log": log}
    finally:
        subprocess.run([*as_user, pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"], capture_output=True,
                       cwd=tmp)
        if own_tmp is not None:
            shutil.rmtree(own_tmp, ignore_errors=True)
