"""The command line: init-db, load-sample (refuse, replace, --as-of), info, user commands."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

from sqlalchemy import func, select

from civdata.cli import main
from civdata.core import models as m
from civdata.core.db import make_engine, session_factory
from tests.conftest import ROOT


def test_init_db_then_info(tmp_path, capsys) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    assert main(["--database-url", url, "init-db"]) == 0
    assert "schema ready" in capsys.readouterr().out
    assert main(["--database-url", url, "info"]) == 0
    out = capsys.readouterr().out
    assert "problem " in out and "site " in out
    assert main(["--database-url", url, "init-db"]) == 0  # idempotent


def test_load_sample_refuses_then_replaces(sample_template, tmp_path, capsys) -> None:
    import shutil

    db = tmp_path / "s.db"
    shutil.copy(sample_template, db)
    url = f"sqlite:///{db}"
    assert main(["--database-url", url, "load-sample"]) == 1
    assert "--replace" in capsys.readouterr().err
    assert main(["--database-url", url, "--lang", "zh", "load-sample"]) == 1
    assert "已有数据" in capsys.readouterr().err
    assert main(["--database-url", url, "load-sample", "--if-empty"]) == 0
    assert main(["--database-url", url, "--lang", "en", "load-sample", "--replace", "--as-of", "2030-01-07"]) == 0
    out = capsys.readouterr().out
    assert "sample loaded as of 2030-01-07" in out
    eng = make_engine(url)
    with session_factory(eng)() as s:
        assert s.scalar(select(func.count(m.Site.id))) == 381
        assert s.scalar(select(func.max(m.MarketInspection.inspected_on))) == date(2030, 1, 7)
        assert s.scalar(select(func.count(m.User.id))) == 5
    eng.dispose()


def test_user_commands_over_stdin(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'u.db'}"
    env_cmd = [sys.executable, "-m", "civdata", "--lang", "en", "--database-url", url]

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
        return subprocess.run([*env_cmd, *args], input=stdin, capture_output=True, text=True,
                              cwd=ROOT, timeout=60)

    assert run("add-user", "boss", "--role", "admin", "--password-stdin",
               stdin="first-admin-pw\n").returncode == 0
    listed = run("list-users")
    assert listed.returncode == 0 and "boss" in listed.stdout and "admin" in listed.stdout
    assert "first-admin-pw" not in listed.stdout
    refused = run("add-user", "sd", "--role", "subdistrict", "--password-stdin", stdin="pw-long-enough\n")
    assert refused.returncode == 1
    assert "bound to one subdistrict" in refused.stderr
    assert run("set-password", "boss", "--password-stdin", stdin="second-admin-pw\n").returncode == 0
    assert run("disable-user", "boss").returncode == 0
    assert run("disable-user", "ghost").returncode == 1
    eng = make_engine(url)
    with session_factory(eng)() as s:
        user = s.scalar(select(m.User).where(m.User.username == "boss"))
        assert user.is_active is False
    eng.dispose()


def test_a_database_without_sample_has_no_account(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'e.db'}"
    assert main(["--database-url", url, "init-db"]) == 0
    eng = make_engine(url)
    with session_factory(eng)() as s:
        assert s.scalar(select(func.count(m.User.id))) == 0
    eng.dispose()
