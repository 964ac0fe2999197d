# Clone the web API at the exact commit resolved before the bake, publish it for the
# target framework chosen before the bake, serve it from IIS on *:80 in a "No Managed Code"
# pool, and fail unless the health check answers 200.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

# Get-CloneAuth returns git options that send a private repository's token for one git
# command line: the token is read from Secrets Manager (APP_REPOSITORY_TOKEN_SECRET names
# the secret; the builder's temporary instance profile may read that secret alone) and
# passed in memory as `git -c http.extraheader=...`, which configures that git process
# only. It is never written to .git/config, a credential store, a file or the image, and
# never printed. Empty without a secret (a public repository).
function Get-CloneAuth {
  if (-not $env:APP_REPOSITORY_TOKEN_SECRET) { return @() }
  # AWS Tools for PowerShell come with Amazon's Windows AMIs: the AWSPowerShell module on
  # Windows Server 2022, the modular AWS.Tools on 2025 (AWS Tools for PowerShell user
  # guide, "Installing the AWS Tools for PowerShell on Windows").
  foreach ($module in 'AWS.Tools.SecretsManager', 'AWSPowerShell') {
    if (Get-Command Get-SECSecretValue -ErrorAction SilentlyContinue) { break }
    Import-Module $module -ErrorAction SilentlyContinue
  }
  if (-not (Get-Command Get-SECSecretValue -ErrorAction SilentlyContinue)) {
    throw 'Get-SECSecretValue (AWS Tools for PowerShell) is not on this image; cannot read the repository token'
  }
  $secret = (Get-SECSecretValue -SecretId $env:APP_REPOSITORY_TOKEN_SECRET -Region $env:AWS_REGION).SecretString
  # A plain token (GitHub's user for tokens is x-access-token), or {"username":…,"token":…}.
  $user = 'x-access-token'
  $token = $secret
  if ($secret -and $secret.TrimStart().StartsWith('{')) {
    # Parse errors quote their input: replace them, the input is the secret.
    try { $parsed = $secret | ConvertFrom-Json } catch { throw "secret $($env:APP_REPOSITORY_TOKEN_SECRET) is not valid JSON" }
    if ($parsed.username) { $user = $parsed.username }
    $token = $parsed.token
    $parsed = $null
  }
  if (-not $token) { throw "secret $($env:APP_REPOSITORY_TOKEN_SECRET) holds no token" }
  $basic = [Convert]::ToBase64String([Text.Encoding]::ASCII.GetBytes("${user}:$token"))
  $secret = $null
  $token = $null
  # credential.helper= (empty) turns off any helper, so nothing offers to store it.
  return @('-c', "http.extraheader=Authorization: Basic $basic", '-c', 'credential.helper=')
}

$auth = @()
try {
  $env:Path = "C:\BuildTools\git\cmd;$env:ProgramFiles\dotnet;$env:Path"
  $env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
  $env:DOTNET_NOLOGO = '1'
  $src = 'C:\BuildTools\src'
  $site = 'C:\inetpub\webapi'
  if ($env:APP_COMMIT -notmatch '^[0-9a-f]{40}$') { throw "APP_COMMIT '$($env:APP_COMMIT)' is not a commit id" }
  if ($env:DOTNET_FRAMEWORK -notmatch '^net\d+\.\d+(-[A-Za-z0-9.]+)?$') { throw "DOTNET_FRAMEWORK '$($env:DOTNET_FRAMEWORK)' is not a target framework such as net10.0" }
  # git must neither prompt nor trace its HTTP headers into the build log.
  $env:GIT_TERMINAL_PROMPT = '0'
  foreach ($trace in 'GIT_TRACE', 'GIT_TRACE_CURL', 'GIT_CURL_VERBOSE', 'GIT_TRACE_PACKET') { Remove-Item "Env:$trace" -ErrorAction SilentlyContinue }
  $auth = @(Get-CloneAuth)

  & git init --quiet $src; if ($LASTEXITCODE) { throw "git init exited $LASTEXITCODE" }
  & git -C $src remote add origin $env:APP_REPOSITORY; if ($LASTEXITCODE) { throw "git remote add exited $LASTEXITCODE" }
  & git -C $src @auth fetch --quiet --depth 1 origin $env:APP_COMMIT
  if ($LASTEXITCODE) {
    # Some hosts refuse to fetch a commit by its id (uploadpack.allowAnySHA1InWant off):
    # fetch every branch and tag instead, then check the commit out by id.
    Write-Output "fetching $($env:APP_COMMIT) by id was refused; fetching all branches and tags"
    & git -C $src @auth fetch --quiet origin '+refs/heads/*:refs/remotes/origin/*' '+refs/tags/*:refs/tags/*'
    if ($LASTEXITCODE) { throw "git fetch of all branches and tags exited $LASTEXITCODE" }
    & git -C $src checkout --quiet --detach $env:APP_COMMIT; if ($LASTEXITCODE) { throw "git checkout $($env:APP_COMMIT) exited $LASTEXITCODE" }
  } else {
    & git -C $src checkout --quiet --detach FETCH_HEAD; if ($LASTEXITCODE) { throw "git checkout exited $LASTEXITCODE" }
  }
  $auth = @()
  $head = (& git -C $src rev-parse HEAD).Trim()
  if ($head -ne $env:APP_COMMIT) { throw "checked out $head, want $($env:APP_COMMIT)" }

  $project = if ($env:APP_PROJECT) { Join-Path $src $env:APP_PROJECT } else { $src }
  # -f: the framework whose runtime the prerequisites image installed (a multi-targeted
  # app builds only that one).
  & dotnet publish $project -c Release -f $env:DOTNET_FRAMEWORK -o $site --nologo
  if ($LASTEXITCODE) { throw "dotnet publish exited $LASTEXITCODE" }
  # What was built, for operators and for the user data's deployment.json neighbour.
  [ordered]@{ repository = $env:APP_REPOSITORY; ref = $env:APP_REF; commit = $head; framework = $env:DOTNET_FRAMEWORK; builtAt = (Get-Date).ToUniversalTime().ToString('o') } |
    ConvertTo-Json | Set-Content -Path (Join-Path $site 'build-info.json') -Encoding UTF8

  Import-Module WebAdministration
  if (Get-Website -Name 'Default Web Site' -ErrorAction SilentlyContinue) { Remove-Website -Name 'Default Web Site' }
  if (-not (Test-Path IIS:\AppPools\webapi)) { New-WebAppPool -Name 'webapi' | Out-Null }
  Set-ItemProperty IIS:\AppPools\webapi -Name managedRuntimeVersion -Value ''
  Set-ItemProperty IIS:\AppPools\webapi -Name startMode -Value 'AlwaysRunning'
  New-Website -Name 'webapi' -PhysicalPath $site -ApplicationPool 'webapi' -Port 80 -IPAddress '*' -HostHeader '' -Force | Out-Null
  $acl = Get-Acl $site
  $acl.SetAccessRule((New-Object Security.AccessControl.FileSystemAccessRule('IIS AppPool\webapi', 'ReadAndExecute', 'ContainerInherit,ObjectInherit', 'None', 'Allow')))
  Set-Acl $site $acl
  Start-Website -Name 'webapi'

  $url = "http://localhost$($env:HEALTH_CHECK_PATH)"
  $status = 0
  for ($i = 1; $i -le 30; $i++) {
    try { $status = (Invoke-WebRequest -UseBasicParsing -Uri $url -TimeoutSec 10).StatusCode } catch { $status = 0 }
    if ($status -eq 200) { break }
    Start-Sleep -Seconds 5
  }
  if ($status -ne 200) { throw "$url did not answer 200 after 30 tries (last status $status)" }
  Write-Output "webapi $($env:APP_REF) ($head) serves $url"
  exit 0
} catch {
  Write-Error "deploy-app: $_"
  exit 1
} finally {
  # The token leaves with this process; drop the last reference to it now.
  $auth = $null
  Remove-Variable auth -ErrorAction SilentlyContinue
}
