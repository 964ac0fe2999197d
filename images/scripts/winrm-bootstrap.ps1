<powershell>
# User data of the Packer builder instance: only a WinRM HTTPS listener (5986) with a
# self-signed certificate, and the firewall opened for 5986 alone. Unencrypted WinRM (5985)
# stays off. Packer logs in with the password EC2 generates for this instance.
$ErrorActionPreference = 'Stop'
try {
  Get-ChildItem WSMan:\localhost\Listener | Where-Object { $_.Keys -contains 'Transport=HTTP' } |
    Remove-Item -Recurse -Force
  $cert = New-SelfSignedCertificate -DnsName $env:COMPUTERNAME -CertStoreLocation 'Cert:\LocalMachine\My'
  New-Item -Path WSMan:\localhost\Listener -Transport HTTPS -Address * -CertificateThumbPrint $cert.Thumbprint -Force | Out-Null
  Set-Item WSMan:\localhost\Service\AllowUnencrypted -Value $false
  Set-Item WSMan:\localhost\Service\Auth\Basic -Value $true
  Set-Item WSMan:\localhost\MaxTimeoutms -Value 1800000
  Get-NetFirewallRule -DisplayGroup 'Windows Remote Management' -ErrorAction SilentlyContinue | Disable-NetFirewallRule
  New-NetFirewallRule -Name 'WinRM-HTTPS-Packer' -DisplayName 'WinRM HTTPS (Packer build only)' `
    -Protocol TCP -LocalPort 5986 -Direction Inbound -Action Allow | Out-Null
  Restart-Service WinRM
} catch {
  Write-Error "winrm bootstrap failed: $_"
  exit 1
}
</powershell>
