"""The Streamlit configuration the app runs with: every option one that Streamlit knows, and
no full garbage collection after each script run (it held the server 0.13-0.17 s after every
run at 1M problems, issue 18)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from streamlit import config

from tests.conftest import ROOT

CONFIGS = {"repository": ROOT / ".streamlit" / "config.toml",
           "production": ROOT / "deploy" / "config.toml"}


def _options(path: Path) -> dict[str, object]:
    """Return a config file's options as {"section.key": value}."""
    return {f"{section}.{key}": value
            for section, table in tomllib.loads(path.read_text(encoding="utf-8")).items()
            for key, value in table.items()}


@pytest.mark.parametrize("name", CONFIGS)
def test_every_option_is_one_streamlit_knows(name: str) -> None:
    options = _options(CONFIGS[name])
    unknown = sorted(set(options) - set(config._config_options_template))
    assert len(options) > 5 and unknown == []
    assert options["runner.postScriptGC"] is False


def test_streamlit_started_in_the_repository_runs_no_collection_after_a_run(monkeypatch) -> None:
    # ScriptRunner._on_script_finished reads this option (AppTest's runner skips that step,
    # so a page test cannot see it); `make run` and the bench start Streamlit here
    monkeypatch.chdir(ROOT)
    config.get_config_options(force_reparse=True)
    assert config.get_option("runner.postScriptGC") is False
    assert config.get_option("client.toolbarMode") == "minimal"  # the same file was read
