#!/usr/bin/env bash
# Regenerates the upgrade fixtures: deploys each shape in upgrade_shapes_test.go with the
# program as it was at fdcf84c (listeners and ALB ingress rules under their old names)
# on the AWS double, and saves the stack files, the file backend's checkpoints and the
# double's store here. Needs the pinned CLI in .tools/bin (scripts/install-tools.sh).
#
# The old program runs with today's double, harness and engine (copied into a scratch
# worktree, never committed there): the fixtures must load in today's harness.
set -euo pipefail

old_commit=fdcf84c
repo=$(git rev-parse --show-toplevel)
out="$repo/internal/daytwo/testdata/upgrade"
scratch_parent=$(mktemp -d)
scratch="$scratch_parent/old-$old_commit"

cleanup() {
  git -C "$repo" worktree remove --force "$scratch" 2>/dev/null || true
  rm -rf "$scratch_parent"
}
trap cleanup EXIT

git -C "$repo" worktree add --detach "$scratch" "$old_commit" >/dev/null
for p in internal/awsdouble internal/enginetest internal/engine; do
  rm -rf "${scratch:?}/$p"
  cp -R "$repo/$p" "$scratch/$p"
done
cp "$repo/go.mod" "$repo/go.sum" "$scratch/"
mkdir -p "$scratch/internal/daytwo"
cp "$repo/internal/daytwo/upgrade_shapes_test.go" "$repo/internal/daytwo/upgrade_fixture_test.go" "$scratch/internal/daytwo/"
ln -s "$(readlink -f "$repo/.tools")" "$scratch/.tools"

(cd "$scratch" && WEBAPI_REQUIRE_ENGINE_TESTS=1 WEBAPI_UPGRADE_FIXTURE_OUT="$out" \
  go test -tags upgradefixture -count=1 -run TestUpgradeFixtureGenerate ./internal/daytwo/)
echo "fixtures written to $out"
