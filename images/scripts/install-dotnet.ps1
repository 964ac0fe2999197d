# ASP.NET Core Hosting Bundle and the matching .NET SDK, both checked against the SHA-512
# that Microsoft's release metadata publishes for the pinned version (or a hash given
# explicitly in HOSTING_BUNDLE_SHA512). The SDK is removed again by the app stage.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
[Net.ServicePointManager]::SecurityProtocol = [Net.SecurityProtocolType]::Tls12

function Get-Verified([string]$Url, [string]$Sha512, [string]$OutFile) {
  Invoke-WebRequest -UseBasicParsing -Uri $Url -OutFile $OutFile
  $actual = (Get-FileHash -Algorithm SHA512 -Path $OutFile).Hash.ToLowerInvariant()
  if ($actual -ne $Sha512.ToLowerInvariant()) {
    Remove-Item $OutFile -Force
    throw "checksum mismatch for ${Url}: got $actual, want $Sha512"
  }
}

function Install-Exe([string]$Path, [string]$Name) {
  $p = Start-Process -FilePath $Path -ArgumentList '/install', '/quiet', '/norestart' -Wait -PassThru
  # 3010: success, restart required.
  if ($p.ExitCode -ne 0 -and $p.ExitCode -ne 3010) { throw "$Name installer exited $($p.ExitCode)" }
}

try {
  $version = $env:DOTNET_VERSION
  if ($version -notmatch '^8\.0\.\d+$') { throw "DOTNET_VERSION '$version' is not an 8.0.x version" }
  $metadata = Invoke-RestMethod -UseBasicParsing -Uri 'https://builds.dotnet.microsoft.com/dotnet/release-metadata/8.0/releases.json'
  $release = $metadata.releases | Where-Object { $_.'release-version' -eq $version } | Select-Object -First 1
  if (-not $release) { throw "release $version is not in the 8.0 release metadata" }

  $bundle = $release.'aspnetcore-runtime'.files | Where-Object { $_.name -eq 'dotnet-hosting-win.exe' } | Select-Object -First 1
  if (-not $bundle) { throw "release $version lists no dotnet-hosting-win.exe" }
  $bundleHash = if ($env:HOSTING_BUNDLE_SHA512) { $env:HOSTING_BUNDLE_SHA512 } else { $bundle.hash }
  $sdk = $release.sdk.files | Where-Object { $_.name -eq 'dotnet-sdk-win-x64.exe' } | Select-Object -First 1
  if (-not $sdk) { throw "release $version lists no dotnet-sdk-win-x64.exe" }

  $dir = Join-Path $env:TEMP 'dotnet-install'
  New-Item -ItemType Directory -Force -Path $dir | Out-Null
  $bundleExe = Join-Path $dir "dotnet-hosting-$version-win.exe"
  Get-Verified $bundle.url $bundleHash $bundleExe
  Install-Exe $bundleExe 'Hosting Bundle'
  $ancm = Join-Path $env:ProgramFiles 'IIS\Asp.Net Core Module\V2\aspnetcorev2.dll'
  if (-not (Test-Path $ancm)) { throw "ASP.NET Core Module not found at $ancm after the Hosting Bundle" }

  $sdkExe = Join-Path $dir "dotnet-sdk-$($release.sdk.version)-win-x64.exe"
  Get-Verified $sdk.url $sdk.hash $sdkExe
  Install-Exe $sdkExe '.NET SDK'

  # IIS picks up the module and the new PATH only after a restart of its services.
  & net stop was /y | Out-Null
  & net start w3svc | Out-Null
  Remove-Item $dir -Recurse -Force
  Write-Output "Hosting Bundle $version and SDK $($release.sdk.version) installed"
  exit 0
} catch {
  Write-Error "install-dotnet: $_"
  exit 1
}
