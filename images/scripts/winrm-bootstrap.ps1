<powershell>
# User data of the Packer builder instance: only a WinRM HTTPS listener (5986) with a
# self-signed certificate, and the firewall opened for 5986 alone. Unencrypted WinRM (5985)
# stays off. Packer logs in with the password EC2 generates for this instance.
#
# Idempotent: an image built on one of ours (the app stage on the prerequisites AMI) may
# still carry a listener, rule or certificate from its own build (WinRM listeners survive
# sysprep), and creating an HTTPS listener for Address=* that exists fails with
# AlreadyExists. So every listener, the rule and our old certificates go first.
$ErrorActionPreference = 'Stop'
$subject = 'CN=webapi-packer-winrm'
try {
  Get-ChildItem WSMan:\localhost\Listener | Remove-Item -Recurse -Force
  Get-NetFirewallRule -Name 'WinRM-HTTPS-Packer' -ErrorAction SilentlyContinue | Remove-NetFirewallRule
  Get-ChildItem Cert:\LocalMachine\My | Where-Object { $_.Subject -eq $subject } | Remove-Item -Force
  $cert = New-SelfSignedCertificate -Subject $subject -DnsName $env:COMPUTERNAME -CertStoreLocation 'Cert:\LocalMachine\My'
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
