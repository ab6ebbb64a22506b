"""The Windows release files agree with each other and with the app (checked on any OS).

Inno Setup, PowerShell and GitHub's runner are not available here, so these tests check
what can be checked without them: the version resource goes through PyInstaller's own
parser, and the spec, the installer script, the build script and the workflow name the same
executable, folders, version defines and taskbar identity.
"""

from __future__ import annotations

import importlib
import re
import sys
import types
from importlib.metadata import version as installed_version

import pytest

import desktop_app
from desktop_app.windows_shell import APP_USER_MODEL_ID, set_app_user_model_id

from .helpers import REPO, SPEC, load_version_info

WINDOWS = REPO / "packaging" / "windows"
ISS = WINDOWS / "installer.iss"
BUILD_PS1 = WINDOWS / "build.ps1"
WORKFLOW = REPO / ".github" / "workflows" / "windows-installer.yml"


@pytest.fixture
def version_info():
    return load_version_info()


@pytest.fixture
def pyinstaller_versioninfo(monkeypatch):
    """PyInstaller's VSVersionInfo parser, importable off Windows too.

    The module imports ``pefile`` and ``win32api`` for writing into an .exe, which only
    happens on Windows; parsing and encoding the resource need neither.
    """
    if sys.platform != "win32":
        import PyInstaller.compat

        monkeypatch.setitem(sys.modules, "pefile", types.ModuleType("pefile"))
        monkeypatch.setattr(PyInstaller.compat, "win32api", None, raising=False)
        monkeypatch.delitem(sys.modules, "PyInstaller.utils.win32.versioninfo", raising=False)
    return importlib.import_module("PyInstaller.utils.win32.versioninfo")


def iss_sections() -> dict[str, list[str]]:
    """The installer script's sections: name → its non-comment lines."""
    sections: dict[str, list[str]] = {"": []}
    current = ""
    for raw in ISS.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(";"):
            continue
        header = re.fullmatch(r"\[(\w+)\]", line)
        if header:
            current = header.group(1)
            sections.setdefault(current, [])
        else:
            sections[current].append(line)
    return sections


def iss_defines() -> dict[str, str]:
    return dict(re.findall(r'#define (\w+) "([^"]*)"', ISS.read_text(encoding="utf-8")))


def iss_setup() -> dict[str, str]:
    return dict(line.split("=", 1) for line in iss_sections()["Setup"])


# ------------------------------------------------------------------ version
def test_the_version_comes_from_pyproject_and_matches_the_package(version_info):
    assert version_info.project_version() == installed_version("portfolio-desk")
    assert desktop_app.__version__ == version_info.project_version()


@pytest.mark.parametrize(
    ("version", "numbers"),
    [
        ("0.1.0", (0, 1, 0, 0)),
        ("2.3", (2, 3, 0, 0)),
        ("1.4.0rc2", (1, 4, 0, 0)),
        ("v1.2.3.4.5", (1, 2, 3, 4)),
        ("3.0.0.post7", (3, 0, 0, 0)),
    ],
)
def test_a_windows_version_is_four_numbers_from_the_release(version_info, version, numbers):
    assert version_info.numeric_version(version) == numbers


@pytest.mark.parametrize("bad", ["", "beta", "70000.1.0"])
def test_a_version_windows_cannot_hold_is_refused(version_info, bad):
    with pytest.raises(ValueError, match="version"):
        version_info.numeric_version(bad)


def test_the_version_resource_parses_with_pyinstallers_own_loader(
    version_info, pyinstaller_versioninfo, tmp_path
):
    path = version_info.write_version_file(tmp_path / "version.txt", "1.4.0rc2")
    info = pyinstaller_versioninfo.load_version_info_from_text_file(str(path))
    assert (info.ffi.fileVersionMS, info.ffi.fileVersionLS) == (1 << 16 | 4, 0)
    assert info.ffi.productVersionMS == 1 << 16 | 4
    table = info.kids[0].kids[0]
    strings = {item.name: item.val for item in table.kids}
    assert strings["ProductName"] == strings["FileDescription"] == "Portfolio Desk"
    assert strings["ProductVersion"] == strings["FileVersion"] == "1.4.0rc2"
    assert strings["OriginalFilename"] == "Portfolio Desk.exe"
    assert len(info.toRaw()) > 200  # the binary resource PyInstaller embeds on Windows


# ------------------------------------------------------------------ installer
def test_the_installer_installs_per_user_without_admin_rights():
    setup = iss_setup()
    assert setup["PrivilegesRequired"] == "lowest"
    assert "PrivilegesRequiredOverridesAllowed" not in setup
    assert setup["DefaultDirName"] == r"{autopf}\{#AppName}"  # %LOCALAPPDATA%\Programs
    assert re.fullmatch(r"\{\{[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}\}", setup["AppId"])
    assert setup["AppVersion"] == "{#AppVersion}"
    assert setup["VersionInfoVersion"] == "{#AppNumericVersion}"
    assert setup["OutputBaseFilename"] == "PortfolioDesk-{#AppVersion}-Setup"
    assert (WINDOWS / setup["SetupIconFile"].replace("\\", "/")).is_file()


def test_the_installer_offers_start_menu_and_optional_desktop_shortcuts():
    sections = iss_sections()
    tasks = sections["Tasks"]
    assert any('Name: "desktopicon"' in t and "Flags: unchecked" in t for t in tasks)
    icons = sections["Icons"]
    start_menu = [i for i in icons if i.startswith(r'Name: "{autoprograms}')]
    desktop = [i for i in icons if i.startswith(r'Name: "{autodesktop}')]
    assert len(start_menu) == 1 and "Tasks:" not in start_menu[0]
    assert len(desktop) == 1 and "Tasks: desktopicon" in desktop[0]
    for icon in icons:
        assert r'Filename: "{app}\{#AppExeName}"' in icon
        assert 'AppUserModelID: "{#AppUserModelID}"' in icon


def test_the_uninstaller_never_deletes_the_traders_data():
    sections = iss_sections()
    text = ISS.read_text(encoding="utf-8")
    assert "UninstallDelete" not in sections  # it removes only what it installed
    for line in sections.get("InstallDelete", []):  # upgrades clear program files only
        assert re.search(r'Name: "\{app\}\\', line), line
    for line in sections["Files"]:
        assert 'DestDir: "{app}' in line, line
    assert "trading_data" not in "".join(sections["Files"] + sections.get("InstallDelete", []))
    assert "usPostUninstall" in text and "DataKept" in text  # it says the data was kept


def test_the_installer_packs_the_bundle_the_spec_builds(version_info):
    defines = iss_defines()
    assert defines["AppName"] == version_info.PRODUCT_NAME
    assert defines["AppExeName"] == version_info.EXE_NAME
    assert defines["BundleDir"] == rf"..\..\dist\{version_info.PRODUCT_NAME}"
    assert defines["AppUserModelID"] == APP_USER_MODEL_ID
    spec = SPEC.read_text(encoding="utf-8")
    assert "console=False" in spec and "COLLECT(" in spec
    assert 'ROOT / "resources" / "icons" / "portfolio-desk.ico"' in spec


def test_the_taskbar_identity_is_only_set_on_windows():
    assert re.fullmatch(r"[A-Za-z]+\.[A-Za-z]+", APP_USER_MODEL_ID)
    assert set_app_user_model_id() is (sys.platform == "win32")


# --------------------------------------------------------------- build + CI
def test_the_build_script_freezes_self_tests_then_packages():
    script = BUILD_PS1.read_text(encoding="utf-8")
    assert "$ErrorActionPreference = 'Stop'" in script
    steps = [
        "uv sync --locked --no-default-groups --group packaging --extra live",
        "pyinstaller packaging/portfolio_desk.spec",
        '$start.Arguments = "--self-test `"$Report`""',
        '"/DAppVersion=$Version" "/DAppNumericVersion=$NumericVersion"',
    ]
    positions = [script.index(step) for step in steps]
    assert positions == sorted(positions)
    assert r"'packaging\windows\installer.iss'" in script
    assert "dist\\installer\\PortfolioDesk-$Version-Setup.exe" in script
    assert "version_info.py --print-version" in script
    assert "version_info.py --print-numeric-version" in script
    assert script.count("Invoke-Checked '") >= 3  # every native step checks its exit code


def test_the_workflow_builds_on_windows_and_uploads_the_installer():
    workflow = WORKFLOW.read_text(encoding="utf-8")
    assert "runs-on: windows-latest" in workflow
    assert "run: ./packaging/windows/build.ps1" in workflow
    assert "path: dist/installer/*.exe" in workflow
    assert "if-no-files-found: error" in workflow
    uses = re.findall(r"uses: ([\w./-]+)@(\S+)", workflow)
    assert {name for name, _ in uses} >= {"actions/checkout", "actions/upload-artifact"}
    for name, ref in uses:
        assert re.fullmatch(r"[0-9a-f]{40}", ref), f"{name} is not pinned to a commit"
