"""Every configuration key spread reads is declared once, with a default and a meaning."""
from __future__ import annotations

import re
from pathlib import Path

from spread.config import DECLARED, SETTINGS, default_config

SPREAD = Path(__file__).parents[1] / "spread"
# config["KEY"], config.get("KEY"), app.config['KEY'], setitem-free reads anywhere in spread/.
READ = re.compile(r"""config(?:\[|\.get\(|\.setdefault\()\s*["']([A-Z][A-Z0-9_]*)["']""")


def _keys_read() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in SPREAD.rglob("*.py"):
        for key in READ.findall(path.read_text(encoding="utf-8")):
            found.setdefault(key, []).append(str(path.relative_to(SPREAD)))
    return found


def test_the_grep_finds_the_reads_it_should():
    keys = _keys_read()
    # Known reads, so that a broken pattern cannot pass by finding nothing.
    assert {"PAIRING_IN_BACKGROUND", "DIALOGUE_STALL_DAYS", "PUBLIC_URL"} <= set(keys)


def test_every_key_read_in_spread_is_declared():
    undeclared = {key: files for key, files in _keys_read().items() if key not in DECLARED}
    assert undeclared == {}


def test_each_setting_is_declared_once_with_a_meaning():
    names = [setting.name for setting in SETTINGS]
    assert len(names) == len(set(names))
    assert all(setting.meaning.strip() for setting in SETTINGS)


def test_environment_variables_override_the_defaults(monkeypatch, tmp_path):
    assert default_config(str(tmp_path))["DIALOGUE_STALL_DAYS"] == 14
    monkeypatch.setenv("SPREAD_DIALOGUE_STALL_DAYS", "21")
    monkeypatch.setenv("SPREAD_PAIRING_IN_BACKGROUND", "0")
    monkeypatch.setenv("SPREAD_HTTPS", "yes")
    config = default_config(str(tmp_path))
    assert config["DIALOGUE_STALL_DAYS"] == 21
    assert config["PAIRING_IN_BACKGROUND"] is False
    assert config["SESSION_COOKIE_SECURE"] is True and config["PREFERRED_URL_SCHEME"] == "https"


def test_defaults_are_not_shared_between_apps(tmp_path):
    first, second = default_config(str(tmp_path)), default_config(str(tmp_path))
    first["LANGUAGES"].append("de")
    assert second["LANGUAGES"] == ["da", "en"]
