"""Where the data lives: explicit folder, environment, D:\\trading_data on Windows, else the
platform's user data folder."""

from __future__ import annotations

from pathlib import Path

import platformdirs

from desktop_app import APP_NAME
from desktop_app.store import ENV_VAR, resolve_data_dir
from desktop_app.store.paths import default_data_dir


def test_an_explicit_folder_wins_and_is_created(tmp_path):
    target = tmp_path / "my" / "portfolio"
    assert resolve_data_dir(target, environ={ENV_VAR: str(tmp_path / "env")}) == target
    assert target.is_dir()


def test_the_environment_variable_comes_next(tmp_path):
    chosen = resolve_data_dir(None, environ={ENV_VAR: str(tmp_path / "from-env")})
    assert chosen == tmp_path / "from-env" and chosen.is_dir()


def test_on_windows_a_writable_d_drive_gets_trading_data(tmp_path):
    drive = tmp_path / "D"
    drive.mkdir()
    trading = drive / "trading_data"
    assert default_data_dir(environ={}, windows=True, trading_dir=trading) == trading


def test_on_windows_without_a_usable_d_drive_the_user_data_folder_is_used(tmp_path):
    expected = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False, roaming=False))
    no_drive = tmp_path / "no-such-drive" / "trading_data"
    assert default_data_dir(environ={}, windows=True, trading_dir=no_drive) == expected
    drive = tmp_path / "D"
    drive.mkdir()
    (drive / "trading_data").write_text("a file where the folder would go")
    blocked = drive / "trading_data"
    assert default_data_dir(environ={}, windows=True, trading_dir=blocked) == expected


def test_elsewhere_the_platform_user_data_folder_is_the_default(tmp_path):
    trading = tmp_path / "trading_data"
    expected = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False, roaming=False))
    assert default_data_dir(environ={}, windows=False, trading_dir=trading) == expected
    assert not trading.exists()  # the D: rule is only for Windows


def test_variables_in_a_path_are_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTFOLIO_TEST_BASE", str(tmp_path))
    assert resolve_data_dir("$PORTFOLIO_TEST_BASE/data") == tmp_path / "data"
