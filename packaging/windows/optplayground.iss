; Inno Setup 6 script for optplayground. Built by packaging\build-windows.ps1, which passes
;   /DAppVersion=<optplayground.__version__> /DSourceDir=<PyInstaller's one-folder app> /DOutputDir=<dist>
; Installs per user by default (no admin rights needed); the setup offers all users too.

#ifndef AppVersion
  #error Pass /DAppVersion=x.y.z (packaging\build-windows.ps1 does)
#endif
#ifndef SourceDir
  #define SourceDir "..\..\build\pyinstaller\optplayground"
#endif
#ifndef OutputDir
  #define OutputDir "..\..\dist"
#endif

[Setup]
AppId={{8F551228-FC46-4AC9-8085-5DCA389F7100}
AppName=optplayground
AppVersion={#AppVersion}
AppVerName=optplayground {#AppVersion}
AppPublisher=optplayground
AppComments=Watch optimizers race across loss surfaces
DefaultDirName={autopf}\optplayground
DefaultGroupName=optplayground
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog commandline
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir={#OutputDir}
OutputBaseFilename=optplayground-{#AppVersion}-windows-x64-setup
SetupIconFile=..\..\optplayground\resources\icons\optplayground.ico
UninstallDisplayIcon={app}\optplayground.exe
UninstallDisplayName=optplayground {#AppVersion}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ChangesEnvironment=yes

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "addtopath"; Description: "Add optplayground to PATH (to use it in a terminal: optplayground run ...)"; Flags: unchecked

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\optplayground"; Filename: "{app}\optplayground.exe"; Comment: "Watch optimizers race across loss surfaces"
Name: "{autodesktop}\optplayground"; Filename: "{app}\optplayground.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\optplayground.exe"; Description: "{cm:LaunchProgram,optplayground}"; Flags: nowait postinstall skipifsilent

[Code]
// The user's PATH (HKCU\Environment) gets the install folder when the task is chosen;
// uninstalling takes it out again.
const
  EnvKey = 'Environment';

procedure AddToPath(Dir: string);
var
  Paths: string;
begin
  if not RegQueryStringValue(HKCU, EnvKey, 'Path', Paths) then
    Paths := '';
  if Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Paths) + ';') > 0 then
    exit;
  if (Paths <> '') and (Copy(Paths, Length(Paths), 1) <> ';') then
    Paths := Paths + ';';
  RegWriteExpandStringValue(HKCU, EnvKey, 'Path', Paths + Dir);
end;

procedure RemoveFromPath(Dir: string);
var
  Paths: string;
  P: Integer;
begin
  if not RegQueryStringValue(HKCU, EnvKey, 'Path', Paths) then
    exit;
  Paths := ';' + Paths + ';';
  P := Pos(';' + Uppercase(Dir) + ';', Uppercase(Paths));
  if P = 0 then
    exit;
  Delete(Paths, P, Length(Dir) + 1);
  RegWriteExpandStringValue(HKCU, EnvKey, 'Path', Copy(Paths, 2, Length(Paths) - 2));
end;

procedure CurStepChanged(CurStep: TSetupStep);
begin
  if (CurStep = ssPostInstall) and WizardIsTaskSelected('addtopath') then
    AddToPath(ExpandConstant('{app}'));
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if CurUninstallStep = usPostUninstall then
    RemoveFromPath(ExpandConstant('{app}'));
end;
