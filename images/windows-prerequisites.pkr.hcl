# Stage one: Windows Server 2022 with IIS, the ASP.NET Core 8 Hosting Bundle and the
# tools the application stage needs to publish on the build instance (.NET 8 SDK, git),
# plus the CloudWatch agent. Run by infra/image.go through `go run ./scripts/bake`.
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

variable "dotnet_version" {
  type        = string
  default     = "8.0.23"
  description = "ASP.NET Core runtime version of the Hosting Bundle (and of the SDK that ships with it)."
}

variable "hosting_bundle_sha512" {
  type        = string
  default     = ""
  description = "Expected SHA-512 of the Hosting Bundle; empty: the one Microsoft's release metadata publishes for dotnet_version."
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

locals {
  ami_name = "webapi-prerequisites-${var.stack}-${formatdate("YYYYMMDDhhmmss", timestamp())}"
  tags = {
    Name          = local.ami_name
    role          = "prerequisites"
    project       = "webapi"
    stack         = var.stack
    source_ami    = "{{ .SourceAMI }}"
    template_hash = var.template_hash
    dotnet        = var.dotnet_version
    managed-by    = "packer"
  }
}

source "amazon-ebs" "prerequisites" {
  region        = var.region
  instance_type = var.instance_type
  subnet_id     = var.subnet_id
  ami_name      = local.ami_name

  source_ami_filter {
    filters = {
      name                = "Windows_Server-2022-English-Full-Base-*"
      root-device-type    = "ebs"
      virtualization-type = "hvm"
    }
    owners      = ["amazon"]
    most_recent = true
  }

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
      "DOTNET_VERSION=${var.dotnet_version}",
      "HOSTING_BUNDLE_SHA512=${var.hosting_bundle_sha512}",
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
      role          = "prerequisites"
      stack         = var.stack
      template_hash = var.template_hash
      dotnet        = var.dotnet_version
    }
  }
}
