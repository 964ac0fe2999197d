# Last provisioner of every image: tear down the build's WinRM (winrm-teardown.ps1), then
# EC2Launch v2 reset and sysprep, so each instance launched from the AMI gets a new SID, a
# new Administrator password, runs its own user data, and has no WinRM listener, rule,
# Basic auth or build certificate.
#
# Packer talks to the builder over that WinRM, so the teardown cannot be a provisioner of
# its own: the one after it would never connect. This script registers a one-shot SYSTEM
# task that runs teardown, reset and sysprep --shutdown a few seconds after it returns;
# the sources set disable_stop_instance, so Packer waits for sysprep to stop the instance
# (packer-plugin-amazon docs, disable_stop_instance) and then creates the AMI.
$ErrorActionPreference = 'Stop'
try {
  $ec2launch = 'C:\Program Files\Amazon\EC2Launch\ec2launch.exe'
  if (-not (Test-Path $ec2launch)) { throw "EC2Launch v2 not found at $ec2launch" }
  $teardown = 'C:\Windows\Temp\webapi-winrm-teardown.ps1'
  if (-not (Test-Path $teardown)) { throw "$teardown was not uploaded" }
  $finalize = 'C:\Windows\Temp\webapi-finalize.ps1'
  @"
`$ErrorActionPreference = 'Stop'
Start-Transcript -Path 'C:\Windows\Temp\webapi-finalize.log'
# A failed teardown stops here: no sysprep, the instance never stops, Packer's wait for
# the stop times out and no AMI with WinRM open is ever registered.
& '$teardown'
if (`$LASTEXITCODE) { throw "WinRM teardown exited `$LASTEXITCODE" }
Remove-Item '$teardown' -Force
& '$ec2launch' reset --block
& '$ec2launch' sysprep --shutdown --block
"@ | Set-Content -Path $finalize -Encoding UTF8
  $action = New-ScheduledTaskAction -Execute 'powershell.exe' -Argument "-NoProfile -ExecutionPolicy Bypass -File $finalize"
  $trigger = New-ScheduledTaskTrigger -Once -At (Get-Date).AddSeconds(15)
  Register-ScheduledTask -TaskName 'webapi-finalize' -Action $action -Trigger $trigger -User 'SYSTEM' -RunLevel Highest -Force | Out-Null
  Write-Output 'WinRM teardown, EC2Launch reset and sysprep scheduled; the instance stops when sysprep is done'
  exit 0
} catch {
  Write-Error "generalize: $_"
  exit 1
}
