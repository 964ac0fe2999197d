# Stage one: Windows Server (2022 or 2025) with IIS, the ASP.NET Core Hosting Bundle of
# the app's .NET channel and the tools the application stage needs to publish on the
# build instance (that channel's SDK, git), plus the CloudWatch agent. Run by
# infra/image.go through `go run ./scripts/bake`, which passes the channel's installers
# and their SHA-512s from internal/dotnet/channels.json: nothing is looked up at bake time.
packer {
  required_plugins {
    amazon = {
      source  = "github.com/hashicorp/amazon"
      version = "= 1.8.0"
    }
  }
}

variable "region" {
  type        = string
  description = "AWS region to build in and register the AMI in."
}

variable "instance_type" {
  type        = string
  default     = "t3.large"
  description = "Builder instance type."
}

variable "subnet_id" {
  type        = string
  default     = ""
  description = "Subnet to build in (needs a route to the internet); empty: the default VPC."
}

variable "kms_key_id" {
  type        = string
  default     = ""
  description = "KMS key for the AMI's encrypted snapshots; empty: the account's aws/ebs key."
}

variable "project" {
  type        = string
  default     = "webapi"
  description = "Pulumi project that owns the AMI (tag; AMI clean-up checks it)."
}

variable "stack" {
  type        = string
  description = "Pulumi stack that owns the AMI (tag)."
}

variable "template_hash" {
  type        = string
  description = "Content hash of this template, its scripts and its variables (tag; the bake's identity)."
}

variable "manifest_path" {
  type        = string
  description = "Where the manifest post-processor writes."
}

variable "windows_version" {
  type        = string
  default     = "2022"
  description = "Windows Server version of the base image: 2022 or 2025."
  validation {
    condition     = contains(["2022", "2025"], var.windows_version)
    error_message = "The windows_version must be 2022 or 2025."
  }
}

variable "dotnet_channel" {
  type        = string
  description = ".NET channel the app runs on, such as 10.0."
  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+$", var.dotnet_channel))
    error_message = "The dotnet_channel must be major.minor, such as 10.0."
  }
}

variable "dotnet_version" {
  type        = string
  description = "ASP.NET Core runtime version of the Hosting Bundle: the channel's latest release."
  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.dotnet_version))
    error_message = "The dotnet_version must be x.y.z, such as 10.0.12."
  }
}

variable "dotnet_end_of_support" {
  type        = string
  description = "The channel's end-of-support date, YYYY-MM-DD (tag; the bake log warns once it has passed)."
}

variable "hosting_bundle_url" {
  type        = string
  description = "The Hosting Bundle installer, from Microsoft's release metadata."
  validation {
    condition     = can(regex("^https://builds\\.dotnet\\.microsoft\\.com/.+/dotnet-hosting-[0-9.]+-win\\.exe$", var.hosting_bundle_url))
    error_message = "The hosting_bundle_url must be a dotnet-hosting-<version>-win.exe on https://builds.dotnet.microsoft.com/."
  }
}

variable "hosting_bundle_sha512" {
  type        = string
  description = "SHA-512 of the Hosting Bundle as Microsoft's release metadata publishes it; the install fails on any other file."
  validation {
    condition     = can(regex("^[0-9a-f]{128}$", var.hosting_bundle_sha512))
    error_message = "The hosting_bundle_sha512 must be 128 lowercase hex digits."
  }
}

variable "dotnet_sdk_version" {
  type        = string
  description = "Version of the .NET SDK the app stage publishes with (removed again by that stage)."
  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.dotnet_sdk_version))
    error_message = "The dotnet_sdk_version must be x.y.z, such as 10.0.401."
  }
}

variable "dotnet_sdk_url" {
  type        = string
  description = "The x64 SDK installer, from Microsoft's release metadata."
  validation {
    condition     = can(regex("^https://builds\\.dotnet\\.microsoft\\.com/.+/dotnet-sdk-[0-9.]+-win-x64\\.exe$", var.dotnet_sdk_url))
    error_message = "The dotnet_sdk_url must be a dotnet-sdk-<version>-win-x64.exe on https://builds.dotnet.microsoft.com/."
  }
}

variable "dotnet_sdk_sha512" {
  type        = string
  description = "SHA-512 of the SDK installer as Microsoft's release metadata publishes it."
  validation {
    condition     = can(regex("^[0-9a-f]{128}$", var.dotnet_sdk_sha512))
    error_message = "The dotnet_sdk_sha512 must be 128 lowercase hex digits."
  }
}

variable "git_version" {
  type        = string
  default     = "2.55.0.5"
  description = "Git for Windows (MinGit) version: x.y.z or x.y.z.n, the release tag is vx.y.z.windows.n (n = 1 for x.y.z)."
  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+(\\.[0-9]+)?$", var.git_version))
    error_message = "The git_version must be x.y.z or x.y.z.n, such as 2.55.0.5."
  }
}

# Pinned, never looked up: GitHub publishes release-asset digests only for assets uploaded
# since June 2025 (older ones carry digest: null). This is the x64 InstallerSha256 of
# MinGit 2.55.0.5 in the winget-pkgs manifest
# manifests/g/Git/MinGit/2.55.0.5/Git.MinGit.installer.yaml; change it with git_version.
variable "git_sha256" {
  type        = string
  default     = "56d7b226b7693196cfc71fef26568f536c4a021ab6c37ff2db4287bed908e96e"
  description = "SHA-256 of MinGit-<git_version>-64-bit.zip; the install fails on any other file."
  validation {
    condition     = can(regex("^[0-9a-fA-F]{64}$", var.git_sha256))
    error_message = "The git_sha256 must be the 64-hex SHA-256 of the MinGit zip for git_version."
  }
}
# bake:optional base_ami_id
# An optional input (internal/bake/optional.go): part of the stage's trigger only when set,
# so stacks that leave webapi:baseAmiId empty keep the trigger they had before it existed.
variable "base_ami_id" {
  type        = string
  default     = ""
  description = "The base image to build on (webapi:baseAmiId): an Amazon Windows Server image of windows_version. Empty: the newest one."
  validation {
    condition     = var.base_ami_id == "" || can(regex("^ami-([0-9a-f]{8}|[0-9a-f]{17})$", var.base_ami_id))
    error_message = "The base_ami_id must be empty or an AMI id such as ami-0123456789abcdef0."
  }
}
# bake:end

locals {
  ami_name = "webapi-prerequisites-${var.stack}-${formatdate("YYYYMMDDhhmmss", timestamp())}"
  tags = {
    Name                  = local.ami_name
    role                  = "prerequisites"
    project               = var.project
    stack                 = var.stack
    source_ami            = "{{ .SourceAMI }}"
    template_hash         = var.template_hash
    dotnet                = var.dotnet_version
    dotnet_channel        = var.dotnet_channel
    dotnet_end_of_support = var.dotnet_end_of_support
    windows_version       = var.windows_version
    managed-by            = "packer"
  }
}

source "amazon-ebs" "prerequisites" {
  region        = var.region
  instance_type = var.instance_type
  subnet_id     = var.subnet_id
  ami_name      = local.ami_name

  # Amazon's own Windows images, named Windows_Server-<version>-English-Full-Base-<date>
  # (also published as /aws/service/ami-windows-latest/Windows_Server-2025-English-Full-Base).
  source_ami_filter {
    filters = {
      name                = "Windows_Server-${var.windows_version}-English-Full-Base-*"
      root-device-type    = "ebs"
      virtualization-type = "hvm"
    }
    owners      = ["amazon"]
    most_recent = true
  }
  # bake:optional base_ami_id
  # The pinned base image, when set. Packer asks DescribeImages for this id with the filter
  # and owners above applied too, so a pin that is not an Amazon image of windows_version
  # fails the bake ("No AMI was found matching filters"), never bakes on something else
  # (packer-plugin-amazon builder/common step_source_ami_info.go sets ImageIds from
  # source_ami, ami_filter.go GetFilteredImage adds the filters and owners). Empty is
  # unset: the filter alone picks the newest. A pin Amazon has since deprecated is still
  # found: DescribeImages hides deprecated AMIs unless asked for by id (EC2 User Guide,
  # "Deprecate an AMI").
  source_ami = var.base_ami_id
  # bake:end

  # WinRM over TLS only, with the password EC2 generates for this instance (decrypted by
  # Packer with its temporary key pair): no password exists anywhere else.
  communicator             = "winrm"
  winrm_username           = "Administrator"
  winrm_use_ssl            = true
  winrm_insecure           = true
  winrm_timeout            = "30m"
  windows_password_timeout = "30m"
  user_data_file           = "${path.root}/scripts/winrm-bootstrap.ps1"

  # The last provisioner schedules WinRM teardown and sysprep, which stops the instance;
  # Packer waits for that stop instead of stopping it (see scripts/generalize.ps1).
  disable_stop_instance = true

  # The temporary security group admits only this machine's public address.
  temporary_security_group_source_public_ip = true
  associate_public_ip_address               = true

  imds_support = "v2.0"
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  encrypt_boot = true
  kms_key_id   = var.kms_key_id
  launch_block_device_mappings {
    device_name           = "/dev/sda1"
    volume_size           = 50
    volume_type           = "gp3"
    encrypted             = true
    delete_on_termination = true
  }

  tags            = local.tags
  snapshot_tags   = local.tags
  run_tags        = merge(local.tags, { Name = "packer-builder-${local.ami_name}" })
  run_volume_tags = local.tags
}

build {
  sources = ["source.amazon-ebs.prerequisites"]

  # IIS first: the Hosting Bundle installs the ASP.NET Core Module into an existing IIS.
  provisioner "powershell" {
    script = "${path.root}/scripts/install-iis.ps1"
  }

  provisioner "windows-restart" {}

  provisioner "powershell" {
    environment_vars = [
      "DOTNET_CHANNEL=${var.dotnet_channel}",
      "DOTNET_VERSION=${var.dotnet_version}",
      "HOSTING_BUNDLE_URL=${var.hosting_bundle_url}",
      "HOSTING_BUNDLE_SHA512=${var.hosting_bundle_sha512}",
      "DOTNET_SDK_VERSION=${var.dotnet_sdk_version}",
      "DOTNET_SDK_URL=${var.dotnet_sdk_url}",
      "DOTNET_SDK_SHA512=${var.dotnet_sdk_sha512}",
    ]
    script = "${path.root}/scripts/install-dotnet.ps1"
  }

  provisioner "powershell" {
    environment_vars = [
      "GIT_VERSION=${var.git_version}",
      "GIT_SHA256=${var.git_sha256}",
    ]
    script = "${path.root}/scripts/install-git.ps1"
  }

  provisioner "powershell" {
    script = "${path.root}/scripts/install-cloudwatch-agent.ps1"
  }

  provisioner "windows-restart" {}

  # WinRM teardown (uploaded here, run by generalize.ps1 after Packer's last command),
  # then sysprep: always the last two provisioners.
  provisioner "file" {
    source      = "${path.root}/scripts/winrm-teardown.ps1"
    destination = "C:/Windows/Temp/webapi-winrm-teardown.ps1"
  }

  provisioner "powershell" {
    script = "${path.root}/scripts/generalize.ps1"
  }

  post-processor "manifest" {
    output     = var.manifest_path
    strip_path = true
    custom_data = {
      role            = "prerequisites"
      stack           = var.stack
      template_hash   = var.template_hash
      dotnet          = var.dotnet_version
      dotnet_channel  = var.dotnet_channel
      windows_version = var.windows_version
    }
  }
}
