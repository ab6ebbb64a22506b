; Inno Setup 6 script of the Portfolio Desk installer.
;
; Built by packaging\windows\build.ps1 after PyInstaller has made dist\Portfolio Desk:
;   ISCC.exe /DAppVersion=0.1.0 /DAppNumericVersion=0.1.0.0 packaging\windows\installer.iss
; Output: dist\installer\PortfolioDesk-<version>-Setup.exe
;
; * Per user, no administrator rights: the program goes to
;   %LOCALAPPDATA%\Programs\Portfolio Desk ({autopf} when installing with lowest privileges).
; * A Start-menu shortcut, and a desktop shortcut when the trader ticks the box.
; * Upgrades install over the previous version (same AppId) after closing the running app.
; * The uninstaller removes the program files only. The trader's data folder
;   (D:\trading_data, %LOCALAPPDATA%\Portfolio Desk or a folder chosen with --data-dir or in
;   Settings) is never installed by this script, so it is never deleted: do not add it to
;   [UninstallDelete].

#ifndef AppVersion
  #error AppVersion is not defined: build with packaging\windows\build.ps1 (ISCC /DAppVersion=x.y.z)
#endif
#ifndef AppNumericVersion
  #define AppNumericVersion AppVersion
#endif
#define AppName "Portfolio Desk"
#define AppExeName "Portfolio Desk.exe"
#define AppPublisher "Portfolio Desk developers"
; Same ID as desktop_app/windows_shell.py: pinned shortcut and running window share a taskbar button.
#define AppUserModelID "PortfolioDesk.PortfolioDesk"
#ifndef BundleDir
  #define BundleDir "..\..\dist\Portfolio Desk"
#endif

[Setup]
; Never change the AppId: it is how an upgrade finds the installed version.
AppId={{B6AE0245-4828-4C16-9536-23D10DE8C4A0}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher={#AppPublisher}
AppCopyright=Copyright (C) {#AppPublisher}
VersionInfoVersion={#AppNumericVersion}
VersionInfoProductVersion={#AppNumericVersion}
VersionInfoDescription={#AppName} Setup
PrivilegesRequired=lowest
DefaultDirName={autopf}\{#AppName}
DisableProgramGroupPage=yes
UninstallDisplayName={#AppName}
UninstallDisplayIcon={app}\{#AppExeName}
SetupIconFile=..\..\resources\icons\portfolio-desk.ico
OutputDir=..\..\dist\installer
OutputBaseFilename=PortfolioDesk-{#AppVersion}-Setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; Qt 6 runs on 64-bit Windows 10 and later.
MinVersion=10.0
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
CloseApplications=yes
RestartApplications=no

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[CustomMessages]
english.DataKept=Your portfolio data was kept: D:\trading_data, or %LOCALAPPDATA%\Portfolio Desk, or the folder you chose. Delete it yourself only if you no longer need it.

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; The previous version's program files (a library it had and this one has not must not linger).
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExeName}"; WorkingDir: "{app}"; AppUserModelID: "{#AppUserModelID}"; Comment: "Live positions and P&L, risk limits, rebalancing"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExeName}"; WorkingDir: "{app}"; AppUserModelID: "{#AppUserModelID}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExeName}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[Code]
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if (CurUninstallStep = usPostUninstall) and not UninstallSilent then
    MsgBox(CustomMessage('DataKept'), mbInformation, MB_OK);
end;
