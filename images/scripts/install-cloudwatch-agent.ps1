# The CloudWatch agent, so instances can ship IIS logs and Windows metrics (the fleet's
# instance role carries CloudWatchAgentServerPolicy). The MSI's Authenticode signature
# must be valid and Amazon's.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
[Net.ServicePointManager]::SecurityProtocol = [Net.SecurityProtocolType]::Tls12
try {
  $msi = Join-Path $env:TEMP 'amazon-cloudwatch-agent.msi'
  Invoke-WebRequest -UseBasicParsing -Uri 'https://amazoncloudwatch-agent.s3.amazonaws.com/windows/amd64/latest/amazon-cloudwatch-agent.msi' -OutFile $msi
  $sig = Get-AuthenticodeSignature -FilePath $msi
  if ($sig.Status -ne 'Valid' -or $sig.SignerCertificate.Subject -notmatch 'Amazon') {
    throw "amazon-cloudwatch-agent.msi signature is $($sig.Status) by '$($sig.SignerCertificate.Subject)'"
  }
  $p = Start-Process msiexec.exe -ArgumentList '/i', $msi, '/qn', '/norestart' -Wait -PassThru
  if ($p.ExitCode -ne 0 -and $p.ExitCode -ne 3010) { throw "msiexec exited $($p.ExitCode)" }
  Remove-Item $msi -Force
  exit 0
} catch {
  Write-Error "install-cloudwatch-agent: $_"
  exit 1
}
