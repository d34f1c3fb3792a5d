# Build the Windows installer from a clean clone, in one command (takes minutes):
#
#     powershell -ExecutionPolicy Bypass -File packaging\build-windows.ps1
#
# -> dist\optplayground-<version>-windows-x64-setup.exe   (Inno Setup; no admin rights needed)
#
# Needs Python >= 3.11 (64-bit) and Inno Setup 6 (ISCC.exe on PATH or in Program Files).
# Environment: PYTHON (default: python), ISCC (path to ISCC.exe).
$ErrorActionPreference = "Stop"
Set-Location (Split-Path -Parent $PSScriptRoot)   # the repository root

function Invoke-Native {   # Invoke-Native PROGRAM ARGS...: run it; stop on a non-zero exit status
    $program = $args[0]
    $rest = @($args | Select-Object -Skip 1)   # a plain function: "-m" stays an argument
    & $program @rest
    if ($LASTEXITCODE -ne 0) { throw "$program $rest failed with exit status $LASTEXITCODE" }
}

$Python = if ($env:PYTHON) { $env:PYTHON } else { "python" }
$Venv = "build\venv"
if (-not (Test-Path "$Venv\Scripts\python.exe")) { Invoke-Native $Python -m venv $Venv }
# setuptools' leftovers: a file deleted from the source must not linger in the wheel
Remove-Item -Recurse -Force -ErrorAction SilentlyContinue build\lib, build\bdist.*
Invoke-Native "$Venv\Scripts\python.exe" -m pip install --quiet --upgrade `
    -c packaging\constraints.txt -c packaging\build-constraints.txt . pyinstaller
$Version = (& "$Venv\Scripts\python.exe" -I -c "import optplayground; print(optplayground.__version__)").Trim()
if ($LASTEXITCODE -ne 0) { throw "cannot read optplayground.__version__" }

Write-Host "== PyInstaller (a few minutes)"
Invoke-Native "$Venv\Scripts\pyinstaller.exe" --noconfirm --log-level WARN `
    --distpath build\pyinstaller --workpath build\pyinstaller-work packaging\optplayground.spec

$Iscc = $env:ISCC
if (-not $Iscc) { $Iscc = (Get-Command ISCC.exe -ErrorAction SilentlyContinue).Source }
if (-not $Iscc) { $Iscc = "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe" }
if (-not (Test-Path $Iscc)) { throw "Inno Setup 6 is missing (ISCC.exe); install it or set ISCC" }
New-Item -ItemType Directory -Force dist | Out-Null
Write-Host "== dist\optplayground-$Version-windows-x64-setup.exe"
Invoke-Native $Iscc /Q "/DAppVersion=$Version" "/DSourceDir=$PWD\build\pyinstaller\optplayground" `
    "/DOutputDir=$PWD\dist" packaging\windows\optplayground.iss
Get-Item "dist\optplayground-$Version-windows-x64-setup.exe"
