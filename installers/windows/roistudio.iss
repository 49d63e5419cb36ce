; Inno Setup script for the Windows installer of Model ROI Studio (Inno Setup 6).
; Build the bundle first (pyinstaller installers/roistudio.spec -> dist\roistudio\), then:
;   iscc /DAppVersion=0.1.0 installers\windows\roistudio.iss
; -> dist\ModelROIStudio-0.1.0-setup.exe. .github/workflows/installers.yml does both on Windows.
; Keep in step with installers/roistudio.spec (the bundle) and installers/linux/ (desktop entry, MIME type).

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#define AppName "Model ROI Studio"
#define AppExe "roistudio.exe"
#define ProgId "ModelROIStudio.Project"

[Setup]
; A fixed AppId keeps upgrades in place; never change it.
AppId={{6B0C2E57-4D7A-4F0E-9C51-2A4E1F3B9D61}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Model ROI Studio
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
; Per-user by default (no administrator rights); the user may choose all users.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=ModelROIStudio-{#AppVersion}-setup
SetupIconFile=roistudio.ico
UninstallDisplayIcon={app}\{#AppExe}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ChangesAssociations=yes
; Code signing: define SignTool in the workflow (see installers/windows/README.md), e.g.
;   iscc "/Ssigntool=signtool sign /fd sha256 /tr http://timestamp.example /td sha256 /f $f /p $p $f" ...
; and uncomment:
; SignTool=signtool

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "..\..\dist\roistudio\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Registry]
; .roiproj project files open in the app (HKA: per-user or all users, as installed).
Root: HKA; Subkey: "Software\Classes\.roiproj"; ValueType: string; ValueName: ""; ValueData: "{#ProgId}"; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\.roiproj"; ValueType: string; ValueName: "Content Type"; ValueData: "application/x-roistudio-project"
Root: HKA; Subkey: "Software\Classes\{#ProgId}"; ValueType: string; ValueName: ""; ValueData: "Model ROI Studio project"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\{#ProgId}\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\{#AppExe},0"
Root: HKA; Subkey: "Software\Classes\{#ProgId}\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" ""%1"""
; roistudio:// links open the app.
Root: HKA; Subkey: "Software\Classes\roistudio"; ValueType: string; ValueName: ""; ValueData: "URL:Model ROI Studio link"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\roistudio"; ValueType: string; ValueName: "URL Protocol"; ValueData: ""
Root: HKA; Subkey: "Software\Classes\roistudio\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\{#AppExe},0"
Root: HKA; Subkey: "Software\Classes\roistudio\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" ""%1"""

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
