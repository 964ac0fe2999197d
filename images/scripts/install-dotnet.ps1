# The ASP.NET Core Hosting Bundle and the .NET SDK of the app's channel (any channel:
# 8.0, 9.0, 10.0, …). Versions, URLs and SHA-512s come from the template's variables,
# which the deploying machine took from internal/dotnet/channels.json: nothing is looked
# up here, and each installer must match its pinned SHA-512. The SDK is removed again by
# the app stage.
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

# Assert-Pinned refuses anything but a channel x.y, x.y.z versions of that channel, 128-hex
# SHA-512s and installers on the dotnet builds host: an empty or malformed value fails the
# bake instead of installing something unverified.
function Assert-Pinned {
  $channel = $env:DOTNET_CHANNEL
  if ($channel -notmatch '^\d+\.\d+$') { throw "DOTNET_CHANNEL '$channel' is not a channel such as 10.0" }
  $prefix = [regex]::Escape("$channel.")
  foreach ($name in 'DOTNET_VERSION', 'DOTNET_SDK_VERSION') {
    $v = [Environment]::GetEnvironmentVariable($name)
    if ($v -notmatch "^$prefix\d+$") { throw "$name '$v' is not a $channel.x version" }
  }
  foreach ($name in 'HOSTING_BUNDLE_SHA512', 'DOTNET_SDK_SHA512') {
    if ([Environment]::GetEnvironmentVariable($name) -notmatch '^[0-9a-f]{128}$') { throw "$name is not a 128-hex SHA-512" }
  }
  foreach ($name in 'HOSTING_BUNDLE_URL', 'DOTNET_SDK_URL') {
    $u = [Environment]::GetEnvironmentVariable($name)
    if (-not $u.StartsWith('https://builds.dotnet.microsoft.com/')) { throw "$name '$u' is not on https://builds.dotnet.microsoft.com/" }
  }
}

try {
  Assert-Pinned
  $version = $env:DOTNET_VERSION
  $dir = Join-Path $env:TEMP 'dotnet-install'
  New-Item -ItemType Directory -Force -Path $dir | Out-Null
  $bundleExe = Join-Path $dir "dotnet-hosting-$version-win.exe"
  Get-Verified $env:HOSTING_BUNDLE_URL $env:HOSTING_BUNDLE_SHA512 $bundleExe
  Install-Exe $bundleExe 'Hosting Bundle'
  $ancm = Join-Path $env:ProgramFiles 'IIS\Asp.Net Core Module\V2\aspnetcorev2.dll'
  if (-not (Test-Path $ancm)) { throw "ASP.NET Core Module not found at $ancm after the Hosting Bundle" }

  $sdkExe = Join-Path $dir "dotnet-sdk-$($env:DOTNET_SDK_VERSION)-win-x64.exe"
  Get-Verified $env:DOTNET_SDK_URL $env:DOTNET_SDK_SHA512 $sdkExe
  Install-Exe $sdkExe '.NET SDK'

  # IIS picks up the module and the new PATH only after a restart of its services.
  & net stop was /y | Out-Null
  & net start w3svc | Out-Null
  Remove-Item $dir -Recurse -Force
  Write-Output ".NET $($env:DOTNET_CHANNEL): Hosting Bundle $version and SDK $($env:DOTNET_SDK_VERSION) installed"
  exit 0
} catch {
  Write-Error "install-dotnet: $_"
  exit 1
}
