<#
.SYNOPSIS
    Builds the Portfolio Desk Windows installer: PyInstaller bundle, frozen self-test, Inno Setup.

.DESCRIPTION
    Run from anywhere on a Windows machine with uv and Inno Setup 6.3+ installed:

        powershell -ExecutionPolicy Bypass -File packaging\windows\build.ps1

    1. uv sync: the app, its live extra (ccxt, keyring) and PyInstaller; no test tools.
    2. PyInstaller (packaging\portfolio_desk.spec) -> dist\Portfolio Desk\
    3. The frozen app's --self-test (offscreen, temporary data folder); a failure stops here.
    4. Inno Setup (packaging\windows\installer.iss) -> dist\installer\PortfolioDesk-<version>-Setup.exe

    Any failing step stops the build with a non-zero exit code.
#>
[CmdletBinding()]
param()

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$Root = (Resolve-Path (Join-Path $PSScriptRoot '..\..')).Path
Set-Location $Root

function Invoke-Checked([string]$What, [scriptblock]$Command) {
    # Native programs report failure through their exit code, which PowerShell ignores.
    & $Command
    if ($LASTEXITCODE -ne 0) { throw "$What failed (exit code $LASTEXITCODE)" }
}

function Find-Iscc {
    $onPath = Get-Command 'ISCC.exe' -ErrorAction SilentlyContinue
    if ($onPath) { return $onPath.Source }
    $candidates = @(
        (Join-Path ${env:ProgramFiles(x86)} 'Inno Setup 6\ISCC.exe'),
        (Join-Path $env:ProgramFiles 'Inno Setup 6\ISCC.exe'),
        (Join-Path $env:LOCALAPPDATA 'Programs\Inno Setup 6\ISCC.exe')
    )
    foreach ($candidate in $candidates) {
        if (Test-Path $candidate) { return $candidate }
    }
    throw 'Inno Setup 6 (ISCC.exe) not found: install it from https://jrsoftware.org/isdl.php'
}

if (-not (Get-Command 'uv' -ErrorAction SilentlyContinue)) {
    throw 'uv not found: install it from https://docs.astral.sh/uv/'
}
$Iscc = Find-Iscc

Write-Host '==> uv sync (app + live extra + PyInstaller)'
Invoke-Checked 'uv sync' { uv sync --locked --no-default-groups --group packaging --extra live }

$Version = (uv run --no-sync python packaging/version_info.py --print-version | Out-String).Trim()
$NumericVersion = (uv run --no-sync python packaging/version_info.py --print-numeric-version | Out-String).Trim()
if (-not $Version) { throw 'could not read the version from pyproject.toml' }
Write-Host "==> Portfolio Desk $Version"

Write-Host '==> PyInstaller'
Invoke-Checked 'PyInstaller' {
    uv run --no-sync pyinstaller packaging/portfolio_desk.spec --noconfirm --clean --distpath dist --workpath build
}
$Exe = Join-Path $Root 'dist\Portfolio Desk\Portfolio Desk.exe'
if (-not (Test-Path $Exe)) { throw "PyInstaller did not produce $Exe" }

Write-Host '==> frozen self-test'
# A windowed executable has no console: Start-Process waits for it and the report goes to a file.
$Report = Join-Path ([System.IO.Path]::GetTempPath()) 'portfolio-desk-self-test.txt'
Remove-Item $Report -ErrorAction SilentlyContinue
$start = New-Object System.Diagnostics.ProcessStartInfo
$start.FileName = $Exe
$start.Arguments = "--self-test `"$Report`""
$start.UseShellExecute = $false
$process = [System.Diagnostics.Process]::Start($start)
$process.WaitForExit()
if (Test-Path $Report) { Get-Content $Report | Write-Host }
if ($process.ExitCode -ne 0) { throw "the frozen self-test failed (exit code $($process.ExitCode))" }

Write-Host '==> Inno Setup'
Invoke-Checked 'Inno Setup' {
    & $Iscc "/DAppVersion=$Version" "/DAppNumericVersion=$NumericVersion" 'packaging\windows\installer.iss'
}
$Setup = Get-Item (Join-Path $Root "dist\installer\PortfolioDesk-$Version-Setup.exe")
$BundleMB = (Get-ChildItem (Join-Path $Root 'dist\Portfolio Desk') -Recurse -File | Measure-Object Length -Sum).Sum / 1MB
Write-Host ('==> {0} ({1:N1} MB; the installed program takes {2:N0} MB)' -f $Setup.FullName, ($Setup.Length / 1MB), $BundleMB)
