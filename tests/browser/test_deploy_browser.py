"""Deployment: two replicas behind a real nginx running deploy/nginx.conf, and the load test.

The replicas run with the production deploy/config.toml (as the service user's global config,
through HOME) and the flags of deploy/civdashboard@.service, on one copy of the sample with the
same CIVDATA_SECRET; nginx runs the repository's site file with only ports, certificate and log
paths templated. Skips when nginx is not installed; Chromium follows REQUIRE_BROWSER_TESTS.
"""

from __future__ import annotations

import os
import re
import shutil
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.browser.conftest import (
    BrowserPage,
    _free_port,
    chromium_executable,
    login,
    running_app,
    stop_process,
    streamlit_process,
    wait_ready,
)
from tests.conftest import ROOT, SAMPLE_AS_OF

SECRET = "deploy-test-secret-same-on-every-replica"


def _nginx() -> str:
    """Return the nginx executable, or skip."""
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()), None)
    if found is None:
        pytest.skip("nginx is not installed (Debian package nginx)")
    return found


def _get(url: str, timeout: float = 5) -> tuple[int, str, list[str]]:
    """Return status, body and Set-Cookie headers of a GET (self-signed certificate accepted)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with urllib.request.urlopen(url, timeout=timeout, context=context) as r:
        return r.status, r.read().decode("utf-8", "replace"), r.headers.get_all("Set-Cookie") or []


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    """Poll url until it answers 200, or fail with the process's log."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            break
        try:
            if _get(url, timeout=2)[0] == 200:
                return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"{url} did not become healthy; log: {log.read_text()[-2000:]}")


@contextmanager
def _replica(db_url: str, port: int, folder: Path, home: Path) -> Iterator[subprocess.Popen]:
    """Start one replica as civdashboard@PORT.service does, with the production config."""
    env = {"CIVDATA_DATABASE_URL": db_url, "CIVDATA_TODAY": SAMPLE_AS_OF.isoformat(),
           "CIVDATA_SECRET": SECRET, "CIVDATA_PHOTO_DIR": str(folder / "photos"),
           "HOME": str(home), "STREAMLIT_SERVER_COOKIE_SECRET": "deploy-test-cookie-secret"}
    with streamlit_process(env, folder / f"replica-{port}.log", port) as (_base, proc):
        yield proc


def site_config(ports: list[int], http_port: int, https_port: int, folder: Path) -> str:
    """Return deploy/nginx.conf with the test's ports, certificate and log paths."""
    text = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    upstreams = re.findall(r"server 127\.0\.0\.1:\d+ ", text)
    assert len(upstreams) == len(ports), "deploy/nginx.conf should list two replicas"
    for line, port in zip(upstreams, ports, strict=True):
        text = text.replace(line, f"server 127.0.0.1:{port} ", 1)
    replacements = {
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen 443 ssl;": f"listen 127.0.0.1:{https_port} ssl;",
        "/etc/nginx/tls/civdashboard.crt": str(folder / "tls.crt"),
        "/etc/nginx/tls/civdashboard.key": str(folder / "tls.key"),
        "/var/log/nginx/": f"{folder}/",
    }
    for old, new in replacements.items():
        assert old in text, f"deploy/nginx.conf no longer contains {old!r}"
        text = text.replace(old, new)
    return text


@contextmanager
def _nginx_running(ports: list[int], folder: Path) -> Iterator[str]:
    """Run nginx with the templated deploy/nginx.conf; yield its https base URL."""
    nginx = _nginx()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-keyout", str(folder / "tls.key"),
                    "-out", str(folder / "tls.crt")], check=True, capture_output=True)
    http_port, https_port = _free_port(), _free_port()
    (folder / "civdashboard.conf").write_text(site_config(ports, http_port, https_port, folder))
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must reach the temp folders
    (folder / "nginx.conf").write_text(
        f"{user}worker_processes 1;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log;\n"
        "events { worker_connections 512; }\n"
        f"http {{\n  client_body_temp_path {folder}/body;\n  proxy_temp_path {folder}/proxy;\n"
        f"  fastcgi_temp_path {folder}/fcgi;\n  uwsgi_temp_path {folder}/uwsgi;\n"
        f"  scgi_temp_path {folder}/scgi;\n  access_log off;\n"
        f"  include {folder}/civdashboard.conf;\n}}\n")
    check = subprocess.run([nginx, "-t", "-p", str(folder), "-c", str(folder / "nginx.conf")],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    log_path = folder / "nginx.out"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([nginx, "-p", str(folder), "-c", str(folder / "nginx.conf"),
                                 "-g", "daemon off;"], stdout=log, stderr=subprocess.STDOUT)
        base = f"https://127.0.0.1:{https_port}"
        try:
            _wait_healthy(f"{base}/_stcore/health", proc, folder / "error.log")
            yield base
        finally:
            stop_process(proc)


def _upstreams_of(log: Path, route: str) -> list[str]:
    """Return the replica (last upstream address) of every logged request of one route."""
    found = []
    for line in log.read_text().splitlines():
        if f"route={route}" in line:
            upstream = re.search(r"upstream=(\S+(?:, \S+)*) ust=", line)
            if upstream:
                found.append(upstream.group(1).split(", ")[-1])
    return found


def test_two_replicas_behind_nginx_share_the_session(browser, sample_template,
                                                     tmp_path) -> None:
    if chromium_executable() is None:
        pytest.skip("no Chromium")  # the browser fixture already skipped or failed
    _nginx()
    db = tmp_path / "shared.db"
    shutil.copy(sample_template, db)
    home = tmp_path / "home"
    (home / ".streamlit").mkdir(parents=True)
    shutil.copy(ROOT / "deploy" / "config.toml", home / ".streamlit" / "config.toml")
    ports = [_free_port(), _free_port()]
    with _replica(f"sqlite:///{db}", ports[0], tmp_path, home) as first, \
            _replica(f"sqlite:///{db}", ports[1], tmp_path, home) as second, \
            _nginx_running(ports, tmp_path) as base:
        status, body, cookies = _get(f"{base}/_stcore/health")
        assert (status, body) == (200, "ok")
        route_cookie = next(c for c in cookies if c.startswith("civ_route="))
        assert "HttpOnly" in route_cookie and "Secure" in route_cookie
        with pytest.raises(urllib.error.HTTPError):
            _get(f"{base}/_stcore/metrics")  # monitoring reads the replicas, not the public

        context = browser.new_context(viewport={"width": 1600, "height": 1400},
                                      locale="zh-CN", ignore_https_errors=True)
        page = context.new_page()
        page.set_default_timeout(60_000)
        web = BrowserPage(page=page, outside_requests=[], base_url=base)
        login(web, "leader")
        assert "创城总览" in page.locator("h1").first.inner_text()
        cookies = {c["name"]: c for c in context.cookies()}
        assert cookies["civ_session"]["secure"]  # written over https
        route = cookies["civ_route"]["value"]
        access_log = tmp_path / "civdashboard.access.log"
        served = set(_upstreams_of(access_log, route))
        assert len(served) == 1, f"one browser reached several replicas: {served}"
        serving_port = int(served.pop().rsplit(":", 1)[1])
        by_port = dict(zip(ports, [first, second], strict=True))
        other_port = next(p for p in ports if p != serving_port)

        stop_process(by_port[serving_port])  # the replica holding the session goes away
        page.reload()
        wait_ready(page, "h1")
        assert page.locator('input[type="password"]').count() == 0, "signed out after failover"
        assert "创城总览" in page.locator("h1").first.inner_text()
        later = _upstreams_of(access_log, route)
        assert later[-1] == f"127.0.0.1:{other_port}"
        assert _get(f"{base}/_stcore/health")[:2] == (200, "ok")  # one replica is enough
        context.close()


def test_loadtest_script_reports_percentiles(sample_template, tmp_path) -> None:
    with running_app(sample_template, tmp_path) as server:
        result = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "loadtest.py"), "--url", server.url,
             "--sessions", "2"], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    figures = dict(re.findall(r"^(\w+): ([0-9.]+) (?:s|count)$", result.stdout, re.M))
    assert figures["sessions"] == "2" and figures["errors"] == "0"
    assert float(figures["p50"]) > 0 and float(figures["p95"]) >= float(figures["p50"])
