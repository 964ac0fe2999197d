# MinGit for the application stage's clone, checked against a SHA-256: the one given in
# GIT_SHA256, or the digest GitHub publishes for the pinned release asset.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
[Net.ServicePointManager]::SecurityProtocol = [Net.SecurityProtocolType]::Tls12
try {
  $version = $env:GIT_VERSION
  if ($version -notmatch '^\d+\.\d+\.\d+$') { throw "GIT_VERSION '$version' is not a x.y.z version" }
  $asset = "MinGit-$version-64-bit.zip"
  $tag = "v$version.windows.1"
  $expected = $env:GIT_SHA256
  if (-not $expected) {
    $release = Invoke-RestMethod -UseBasicParsing -Uri "https://api.github.com/repos/git-for-windows/git/releases/tags/$tag"
    $meta = $release.assets | Where-Object { $_.name -eq $asset } | Select-Object -First 1
    if (-not $meta -or -not $meta.digest) { throw "no published digest for $asset in $tag; set git_sha256" }
    $expected = $meta.digest -replace '^sha256:', ''
  }
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
