# MinGit for the application stage's clone, checked against the pinned SHA-256 in
# GIT_SHA256. Nothing is looked up: GitHub publishes release-asset digests only for assets
# uploaded since June 2025, so older releases have none to compare with.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
[Net.ServicePointManager]::SecurityProtocol = [Net.SecurityProtocolType]::Tls12
try {
  $version = $env:GIT_VERSION
  # x.y.z is release vx.y.z.windows.1; x.y.z.n is vx.y.z.windows.n (MinGit-x.y.z.n-64-bit.zip).
  if ($version -notmatch '^(\d+\.\d+\.\d+)(?:\.(\d+))?$') { throw "GIT_VERSION '$version' is not x.y.z or x.y.z.n" }
  $base = $Matches[1]
  $build = if ($Matches[2]) { $Matches[2] } else { '1' }
  $tag = "v$base.windows.$build"
  $asset = "MinGit-$version-64-bit.zip"
  $expected = $env:GIT_SHA256
  if ($expected -notmatch '^[0-9a-fA-F]{64}$') { throw "GIT_SHA256 '$expected' is not a 64-hex SHA-256: pin the checksum of $asset" }
  $zip = Join-Path $env:TEMP $asset
  Invoke-WebRequest -UseBasicParsing -Uri "https://github.com/git-for-windows/git/releases/download/$tag/$asset" -OutFile $zip
  $actual = (Get-FileHash -Algorithm SHA256 -Path $zip).Hash.ToLowerInvariant()
  if ($actual -ne $expected.ToLowerInvariant()) { throw "checksum mismatch for ${asset}: got $actual, want $expected" }
  $dest = 'C:\BuildTools\git'
  Expand-Archive -Path $zip -DestinationPath $dest -Force
  Remove-Item $zip -Force
  & "$dest\cmd\git.exe" --version
  if ($LASTEXITCODE -ne 0) { throw "git --version exited $LASTEXITCODE" }
  exit 0
} catch {
  Write-Error "install-git: $_"
  exit 1
}
