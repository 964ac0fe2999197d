#!/usr/bin/env bash
# The project's one test command (README: "Run all the tests"). It installs the pinned
# tools it needs (scripts/install-tools.sh: a no-op when they are already built), then:
#   go vet, gofmt, go test ./... (program, guardrail, image, tool and engine tests),
#   packer fmt -check + packer validate of both templates, actionlint on the workflows.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
# shellcheck source=scripts/tools-env.sh
source scripts/tools-env.sh

step() { printf '\n==> %s\n' "$*"; }

step "install pinned tools"
scripts/install-tools.sh

step "go vet"
go vet ./...

step "gofmt"
unformatted=$(gofmt -l main.go infra internal scripts)
if [[ -n $unformatted ]]; then
  echo "gofmt: these files need formatting:" >&2
  echo "$unformatted" >&2
  exit 1
fi

if [[ -d images ]]; then
  step "packer fmt -check"
  packer fmt -check -diff -recursive images
  step "packer validate"
  scripts/validate-images.sh
fi

step "shellcheck and jq"
# Debian packages, not Go tools: installed here when they can be, as on CI's machines.
# jq runs the workflows' shell steps in scripts/bluegreen's tests, as on GitHub's runners.
for pkg in shellcheck jq; do
  if ! command -v "$pkg" >/dev/null; then
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
      apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null
    else
      echo "$pkg is not installed: apt-get install $pkg (or brew install $pkg)" >&2
      exit 1
    fi
  fi
done
shellcheck -x scripts/*.sh .ci/run

if [[ -d .github/workflows ]]; then
  step "actionlint (with shellcheck on every run: block)"
  actionlint -no-color
fi

step "go test"
# The engine tests need the real CLI: fail rather than skip when it is missing here.
export WEBAPI_REQUIRE_ENGINE_TESTS=1
go test -count=1 ./... "$@"
