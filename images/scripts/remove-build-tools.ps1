# The image runs the published app on the Hosting Bundle alone: the SDK, git and the
# source are build tools, removed before the image is kept.
$ErrorActionPreference = 'Stop'
try {
  $sdks = Get-ChildItem 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall', 'HKLM:\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall' |
    Get-ItemProperty | Where-Object { $_.DisplayName -like 'Microsoft .NET SDK*' -and $_.QuietUninstallString }
  foreach ($s in $sdks) {
    Write-Output "removing $($s.DisplayName)"
    $p = Start-Process cmd.exe -ArgumentList '/c', $s.QuietUninstallString -Wait -PassThru
    if ($p.ExitCode -ne 0 -and $p.ExitCode -ne 3010) { throw "uninstall of $($s.DisplayName) exited $($p.ExitCode)" }
  }
  Remove-Item 'C:\BuildTools' -Recurse -Force -ErrorAction SilentlyContinue
  if (Test-Path 'C:\BuildTools') { throw 'C:\BuildTools could not be removed' }
  exit 0
} catch {
  Write-Error "remove-build-tools: $_"
  exit 1
}
