"""The letterhead, signatory and verification address settings letters are drafted with."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.config import ConfigError, load_settings

LETTER_VARIABLES = ("SANDBOX_REGULATOR_NAME", "SANDBOX_REGULATOR_ADDRESS", "SANDBOX_REGULATOR_LOGO",
                    "SANDBOX_REGULATOR_WEBSITE",
                    "SANDBOX_SIGNATORY_NAME", "SANDBOX_SIGNATORY_TITLE", "SANDBOX_PUBLIC_BASE_URL")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in LETTER_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def letter_config(tmp_path: Path, **overrides: object) -> dict[str, object]:
    return load_settings(str(tmp_path), {"SECRET_KEY": "k" * 50, **overrides}).flask_config()


def test_load_settings_letter_defaults_make_a_complete_letterhead(tmp_path: Path):
    config = letter_config(tmp_path)
    assert config["SANDBOX_REGULATOR_ADDRESS"] == ["1 Example Square", "Example City"]
    assert config["SANDBOX_REGULATOR_LOGO"] == "img/regulator-logo.svg"
    assert config["SANDBOX_REGULATOR_WEBSITE"] == ""
    assert config["SANDBOX_SIGNATORY_NAME"] == "Head of the AI Sandbox"
    assert config["SANDBOX_SIGNATORY_TITLE"] == "For and on behalf of the Sandbox Regulatory Authority"
    assert config["SANDBOX_PUBLIC_BASE_URL"] == "http://127.0.0.1:5000"


@pytest.mark.parametrize("address", ["Level 12, Harbour Building | 38 Pier Road|Central, Hong Kong",
                                     "Level 12, Harbour Building\n38 Pier Road\n\nCentral, Hong Kong\n"])
def test_load_settings_regulator_address_split_on_bars_or_newlines(tmp_path: Path, address: str):
    config = letter_config(tmp_path, SANDBOX_REGULATOR_ADDRESS=address)
    assert config["SANDBOX_REGULATOR_ADDRESS"] == ["Level 12, Harbour Building", "38 Pier Road", "Central, Hong Kong"]


def test_load_settings_signatory_and_public_url_from_environment(tmp_path: Path):
    config = letter_config(tmp_path, SANDBOX_SIGNATORY_NAME="Dr Helen Ng", SANDBOX_SIGNATORY_TITLE="Director",
                           SANDBOX_REGULATOR_NAME="Monetary Authority", SANDBOX_REGULATOR_WEBSITE="sandbox.example.org",
                           SANDBOX_PUBLIC_BASE_URL="https://sandbox.example.org/")
    assert (config["SANDBOX_SIGNATORY_NAME"], config["SANDBOX_SIGNATORY_TITLE"]) == ("Dr Helen Ng", "Director")
    assert config["SANDBOX_PUBLIC_BASE_URL"] == "https://sandbox.example.org"
    assert config["SANDBOX_REGULATOR_WEBSITE"] == "sandbox.example.org"


def test_load_settings_signatory_title_defaults_to_the_regulator_named(tmp_path: Path):
    config = letter_config(tmp_path, SANDBOX_REGULATOR_NAME="Monetary Authority")
    assert config["SANDBOX_SIGNATORY_TITLE"] == "For and on behalf of the Monetary Authority"


@pytest.mark.parametrize(("overrides", "message"), [
    ({"SANDBOX_REGULATOR_ADDRESS": " | \n "}, "at least one line"),
    ({"SANDBOX_REGULATOR_ADDRESS": "|".join(["line"] * 9)}, "at most 8 lines"),
    ({"SANDBOX_REGULATOR_LOGO": "../../etc/passwd.svg"}, "path under static/"),
    ({"SANDBOX_REGULATOR_LOGO": "http://127.0.0.1:9/logo.svg"}, "path under static/"),
    ({"SANDBOX_REGULATOR_LOGO": "/etc/logo.svg"}, "path under static/"),
    ({"SANDBOX_REGULATOR_LOGO": "img/logo.gif"}, "path under static/"),
    ({"SANDBOX_REGULATOR_LOGO": "img/no-such-logo.svg"}, "no file static/img/no-such-logo.svg"),
    ({"SANDBOX_REGULATOR_WEBSITE": "x" * 121}, "at most 120 characters"),
    ({"SANDBOX_PUBLIC_BASE_URL": "sandbox.example.org"}, "SANDBOX_PUBLIC_BASE_URL must be"),
    ({"SANDBOX_PUBLIC_BASE_URL": "ftp://sandbox.example.org"}, "SANDBOX_PUBLIC_BASE_URL must be"),
    ({"SANDBOX_PUBLIC_BASE_URL": "https://sandbox.example.org/?x=1"}, "SANDBOX_PUBLIC_BASE_URL must be"),
])
def test_load_settings_refuses_bad_letter_settings(tmp_path: Path, overrides: dict[str, str], message: str):
    with pytest.raises(ConfigError, match=message.replace("?", r"\?")):
        load_settings(str(tmp_path), {"SECRET_KEY": "k" * 50, **overrides})
