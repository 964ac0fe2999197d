# IIS with what an ASP.NET Core site behind an ALB needs, before the Hosting Bundle.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
try {
  $result = Install-WindowsFeature -Name Web-Server, Web-Http-Logging, Web-Request-Monitor, Web-Filtering, Web-Mgmt-Console -IncludeManagementTools
  if (-not $result.Success) { throw "Install-WindowsFeature reported failure: $($result.ExitCode)" }
  Write-Output "IIS installed (restart needed: $($result.RestartNeeded))"
  exit 0
} catch {
  Write-Error "install-iis: $_"
  exit 1
}
