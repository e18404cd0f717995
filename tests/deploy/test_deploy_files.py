"""The files in deploy/ are checked by the tools that will read them: systemd, nginx, Caddy, promtool, sh.

Each tool comes from Debian's packages (`.ci/run` installs them). Without CI a missing tool skips
its test; with CI set it fails, so the check cannot silently vanish.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("fluxx-*.*"))
HARDENING = ("NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
             "CapabilityBoundingSet=", "RestrictSUIDSGID=yes")


def require_tool(name: str) -> str:
    """Return the tool's path; skip without it, but fail in CI (CI=1)."""
    path = shutil.which(name) or next((p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if os.access(p, os.X_OK)),
                                      None)
    if path is None:
        message = f"{name} is not installed (Debian: see .ci/run)"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return path


def run(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run a tool with a deadline, capturing its output."""
    return subprocess.run(args, capture_output=True, text=True, timeout=60, check=False, **kwargs)


# -- systemd ------------------------------------------------------------------------------------
def test_units_verify_with_the_checkouts_binaries(tmp_path: Path) -> None:
    analyze = require_tool("systemd-analyze")
    # The units name /opt/fluxx; here the checkout stands in for it, so ExecStart's binaries exist.
    for unit in UNITS:
        (tmp_path / unit.name).write_text(unit.read_text().replace("/opt/fluxx", str(ROOT)))

    result = run(analyze, "verify", *(str(tmp_path / u.name) for u in UNITS))

    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr  # unknown keys and missing binaries are only warnings


def test_verify_would_notice_a_missing_binary(tmp_path: Path) -> None:
    analyze = require_tool("systemd-analyze")
    unit = tmp_path / "fluxx-web.service"
    unit.write_text((DEPLOY / "systemd" / "fluxx-web.service").read_text())  # /opt/fluxx does not exist here
    result = run(analyze, "verify", str(unit))
    assert "gunicorn is not executable" in result.stderr


@pytest.mark.parametrize("name", ["fluxx-web.service", "fluxx-worker.service"])
def test_services_restart_always_read_one_env_file_and_are_hardened(name: str) -> None:
    text = (DEPLOY / "systemd" / name).read_text()
    lines = set(text.splitlines())
    assert {"Restart=always", "EnvironmentFile=/etc/fluxx/fluxx.env", "User=fluxx"} <= lines
    assert set(HARDENING) <= lines


def test_backup_runs_nightly_from_a_timer() -> None:
    timer = (DEPLOY / "systemd" / "fluxx-backup.timer").read_text()
    assert "OnCalendar=*-*-* 02:30:00" in timer and "Persistent=true" in timer
    assert "ExecStart=/opt/fluxx/deploy/fluxx-backup.sh" in (DEPLOY / "systemd" / "fluxx-backup.service").read_text()


# -- reverse proxies ----------------------------------------------------------------------------
FORWARDED = ("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host")


def test_nginx_site_passes_nginx_t(tmp_path: Path) -> None:
    nginx = require_tool("nginx")
    openssl = require_tool("openssl")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    made = run(openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
               "-days", "1", "-subj", "/CN=hotline.example.org")
    assert made.returncode == 0, made.stderr
    site = (DEPLOY / "nginx" / "fluxx.conf").read_text()
    site = site.replace("/etc/letsencrypt/live/hotline.example.org/fullchain.pem", str(cert))
    site = site.replace("/etc/letsencrypt/live/hotline.example.org/privkey.pem", str(key))
    (tmp_path / "site.conf").write_text(site)
    temp = " ".join(f"{kind}_temp_path {tmp_path / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi",
                                                                        "scgi"))
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path / 'nginx.pid'};\nerror_log {tmp_path / 'error.log'};\nevents {{}}\n"
        f"http {{ access_log off; {temp} include {tmp_path / 'site.conf'}; }}\n"
    )

    result = run(nginx, "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path))

    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_nginx_site_forwards_the_headers_and_hides_metrics() -> None:
    site = (DEPLOY / "nginx" / "fluxx.conf").read_text()
    for header in FORWARDED:
        assert re.search(rf"proxy_set_header {header}\s+\$", site), header
    assert "location = /metrics { return 404; }" in site


def test_caddyfile_passes_caddy_validate(tmp_path: Path) -> None:
    caddy = require_tool("caddy")
    env = {**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    result = run(caddy, "validate", "--config", str(DEPLOY / "caddy" / "Caddyfile"), "--adapter", "caddyfile",
                 env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    text = (DEPLOY / "caddy" / "Caddyfile").read_text()
    assert all(f"header_up {header}" in text for header in FORWARDED)
    assert "respond /metrics 404" in text


# -- Prometheus ---------------------------------------------------------------------------------
def test_alert_rules_pass_promtool_check_and_their_unit_tests() -> None:
    promtool = require_tool("promtool")
    checked = run(promtool, "check", "rules", str(DEPLOY / "prometheus" / "fluxx-alerts.yml"))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = run(promtool, "test", "rules", "fluxx-alerts.test.yml", cwd=DEPLOY / "prometheus")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    rules = (DEPLOY / "prometheus" / "fluxx-alerts.yml").read_text()
    for alert in ("FluxxWorkerStale", "FluxxOutboxStuck", "FluxxCallerWaitingTooLong", "FluxxCallbacksOverdue",
                  "FluxxSmsFailureRate"):
        assert f"alert: {alert}" in rules


# -- backups ------------------------------------------------------------------------------------
def _fake_pg_dump(bin_dir: Path) -> None:
    """A pg_dump that writes a small file where --file= says (the rotation is what is tested)."""
    bin_dir.mkdir()
    script = bin_dir / "pg_dump"
    script.write_text('#!/bin/sh\nfor a; do case "$a" in --file=*) printf dump > "${a#--file=}";; esac; done\n')
    script.chmod(0o755)


def _backup(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run("sh", str(DEPLOY / "fluxx-backup.sh"), env={**os.environ, "BACKUP_DIR": str(tmp_path / "dumps"),
                                                              **env})


def test_backup_rotates_dumps_older_than_keep_days(tmp_path: Path) -> None:
    _fake_pg_dump(tmp_path / "bin")
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    old, recent, other = dumps / "fluxx-old.dump", dumps / "fluxx-recent.dump", dumps / "notes.txt"
    for path, days in ((old, 15), (recent, 13), (other, 100)):
        path.write_text("x")
        at = time.time() - days * 86400
        os.utime(path, (at, at))

    result = _backup(tmp_path, {"PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}", "BACKUP_KEEP_DAYS": "14",
                                "DATABASE_URL": "postgresql+psycopg://fluxx@db.internal/fluxx"})

    assert result.returncode == 0, result.stderr
    assert not old.exists() and recent.exists() and other.exists()
    new = [p for p in dumps.glob("fluxx-*.dump") if p not in (recent,)]
    assert len(new) == 1 and new[0].read_text() == "dump"
    assert (new[0].stat().st_mode & 0o777) == 0o600
    assert f"removed: {old}" in result.stdout


@pytest.mark.parametrize("keep", ["31", "0", "abc"])
def test_backup_refuses_to_keep_dumps_beyond_the_retention_rules(tmp_path: Path, keep: str) -> None:
    result = _backup(tmp_path, {"BACKUP_KEEP_DAYS": keep, "DATABASE_URL": "postgresql://x@y/z"})
    assert result.returncode == 2 and "BACKUP_KEEP_DAYS" in result.stderr
    assert not (tmp_path / "dumps").exists()


def test_backup_dumps_a_real_database_that_pg_restore_can_read(tmp_path: Path) -> None:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.skip("needs TEST_DATABASE_URL (PostgreSQL)")
    require_tool("pg_dump")
    result = _backup(tmp_path, {"DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    [dump] = (tmp_path / "dumps").glob("fluxx-*.dump")
    listed = run(require_tool("pg_restore"), "--list", str(dump))
    assert listed.returncode == 0 and "Archive created at" in listed.stdout, listed.stderr
