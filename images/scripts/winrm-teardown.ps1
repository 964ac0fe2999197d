# Undoes winrm-bootstrap.ps1 so no image keeps what only the build needed: every WinRM
# listener, the 5986 firewall rule, Basic auth and the self-signed certificate. It runs
# from the one-shot task generalize.ps1 registers, after Packer's last WinRM command (it
# would cut Packer off otherwise), right before sysprep.
$ErrorActionPreference = 'Stop'
try {
  Get-ChildItem WSMan:\localhost\Listener | Remove-Item -Recurse -Force
  Set-Item WSMan:\localhost\Service\Auth\Basic -Value $false
  Get-NetFirewallRule -Name 'WinRM-HTTPS-Packer' -ErrorAction SilentlyContinue | Remove-NetFirewallRule
  Get-ChildItem Cert:\LocalMachine\My | Where-Object { $_.Subject -eq 'CN=webapi-packer-winrm' } | Remove-Item -Force
  Stop-Service WinRM
  Set-Service WinRM -StartupType Manual
  exit 0
} catch {
  Write-Error "winrm-teardown: $_"
  exit 1
}
