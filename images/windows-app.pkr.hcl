# Stage two: the web API published into IIS on top of the prerequisites AMI. The build
# fails unless the site answers 200 on the health check path on the build instance.
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

variable "color" {
  type        = string
  description = "The colour whose fleet runs this image (tag)."
}

variable "template_hash" {
  type        = string
  description = "Content hash of this template, its scripts and its variables (tag; the bake's identity)."
}

variable "manifest_path" {
  type        = string
  description = "Where the manifest post-processor writes."
}

variable "prerequisites_ami_id" {
  type        = string
  description = "The stage-one AMI to build on."
  validation {
    condition     = can(regex("^ami-([0-9a-f]{8}|[0-9a-f]{17})$", var.prerequisites_ami_id))
    error_message = "The prerequisites_ami_id must be an AMI id such as ami-0123456789abcdef0."
  }
}

variable "app_repository" {
  type        = string
  description = "Git URL of the web API."
}

variable "app_ref" {
  type        = string
  description = "Tag, branch or commit that was asked for."
}

variable "app_commit" {
  type        = string
  description = "The commit app_ref resolved to before the bake; the build checks out exactly this commit."
  validation {
    condition     = can(regex("^[0-9a-f]{40}$", var.app_commit))
    error_message = "The app_commit must be a full 40-character git commit id."
  }
}

variable "app_project" {
  type        = string
  default     = ""
  description = "Path of the project to publish inside the repository; empty: the repository root."
}

variable "health_check_path" {
  type        = string
  default     = "/health"
  description = "Path that must answer 200 on the build instance before the image is kept."
}

locals {
  ami_name = "webapi-app-${var.stack}-${substr(var.app_commit, 0, 12)}-${formatdate("YYYYMMDDhhmmss", timestamp())}"
  tags = {
    Name             = local.ami_name
    role             = "app"
    project          = "webapi"
    stack            = var.stack
    color            = var.color
    source_ami       = "{{ .SourceAMI }}"
    template_hash    = var.template_hash
    app_repository   = var.app_repository
    app_ref          = var.app_ref
    app_commit       = var.app_commit
    prerequisite_ami = var.prerequisites_ami_id
    managed-by       = "packer"
  }
}

source "amazon-ebs" "app" {
  region        = var.region
  instance_type = var.instance_type
  subnet_id     = var.subnet_id
  ami_name      = local.ami_name
  source_ami    = var.prerequisites_ami_id

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
  sources = ["source.amazon-ebs.app"]

  provisioner "powershell" {
    environment_vars = [
      "APP_REPOSITORY=${var.app_repository}",
      "APP_REF=${var.app_ref}",
      "APP_COMMIT=${var.app_commit}",
      "APP_PROJECT=${var.app_project}",
      "HEALTH_CHECK_PATH=${var.health_check_path}",
    ]
    script = "${path.root}/scripts/deploy-app.ps1"
  }

  provisioner "powershell" {
    script = "${path.root}/scripts/remove-build-tools.ps1"
  }

  # The SDK's uninstaller may answer 3010 (a restart completes it). Packer cannot restart
  # conditionally, so the image always restarts here, before sysprep: a few minutes, and
  # no half-uninstalled SDK is generalized into the AMI.
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
      role           = "app"
      stack          = var.stack
      color          = var.color
      template_hash  = var.template_hash
      app_repository = var.app_repository
      app_ref        = var.app_ref
      app_commit     = var.app_commit
    }
  }
}
