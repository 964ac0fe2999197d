# Last step of every image: EC2Launch v2 reset and sysprep, so each instance launched
# from the AMI gets a new SID, a new Administrator password and runs its own user data.
$ErrorActionPreference = 'Stop'
try {
  $ec2launch = 'C:\Program Files\Amazon\EC2Launch\ec2launch.exe'
  if (-not (Test-Path $ec2launch)) { throw "EC2Launch v2 not found at $ec2launch" }
  & $ec2launch reset --block
  if ($LASTEXITCODE) { throw "ec2launch reset exited $LASTEXITCODE" }
  & $ec2launch sysprep --shutdown --block
  if ($LASTEXITCODE) { throw "ec2launch sysprep exited $LASTEXITCODE" }
  exit 0
} catch {
  Write-Error "generalize: $_"
  exit 1
}
