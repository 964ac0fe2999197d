# Clone the web API at the exact commit resolved before the bake, publish it, serve it
# from IIS on *:80 in a "No Managed Code" pool, and fail unless the health check answers 200.
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
try {
  $env:Path = "C:\BuildTools\git\cmd;$env:ProgramFiles\dotnet;$env:Path"
  $env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
  $env:DOTNET_NOLOGO = '1'
  $src = 'C:\BuildTools\src'
  $site = 'C:\inetpub\webapi'
  if ($env:APP_COMMIT -notmatch '^[0-9a-f]{40}$') { throw "APP_COMMIT '$($env:APP_COMMIT)' is not a commit id" }

  & git init --quiet $src; if ($LASTEXITCODE) { throw "git init exited $LASTEXITCODE" }
  & git -C $src remote add origin $env:APP_REPOSITORY; if ($LASTEXITCODE) { throw "git remote add exited $LASTEXITCODE" }
  & git -C $src fetch --quiet --depth 1 origin $env:APP_COMMIT
  if ($LASTEXITCODE) {
    # Some hosts refuse to fetch a commit by its id (uploadpack.allowAnySHA1InWant off):
    # fetch every branch and tag instead, then check the commit out by id.
    Write-Output "fetching $($env:APP_COMMIT) by id was refused; fetching all branches and tags"
    & git -C $src fetch --quiet origin '+refs/heads/*:refs/remotes/origin/*' '+refs/tags/*:refs/tags/*'
    if ($LASTEXITCODE) { throw "git fetch of all branches and tags exited $LASTEXITCODE" }
    & git -C $src checkout --quiet --detach $env:APP_COMMIT; if ($LASTEXITCODE) { throw "git checkout $($env:APP_COMMIT) exited $LASTEXITCODE" }
  } else {
    & git -C $src checkout --quiet --detach FETCH_HEAD; if ($LASTEXITCODE) { throw "git checkout exited $LASTEXITCODE" }
  }
  $head = (& git -C $src rev-parse HEAD).Trim()
  if ($head -ne $env:APP_COMMIT) { throw "checked out $head, want $($env:APP_COMMIT)" }

  $project = if ($env:APP_PROJECT) { Join-Path $src $env:APP_PROJECT } else { $src }
  & dotnet publish $project -c Release -o $site --nologo
  if ($LASTEXITCODE) { throw "dotnet publish exited $LASTEXITCODE" }
  # What was built, for operators and for the user data's deployment.json neighbour.
  [ordered]@{ repository = $env:APP_REPOSITORY; ref = $env:APP_REF; commit = $head; builtAt = (Get-Date).ToUniversalTime().ToString('o') } |
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
}
