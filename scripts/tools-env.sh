# shellcheck shell=bash
# Sourced by the scripts: where the pinned tools live and how to find them.
# WEBAPI_TOOLS_DIR can point elsewhere (for example a CI cache).
_webapi_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export WEBAPI_TOOLS_DIR=${WEBAPI_TOOLS_DIR:-$_webapi_repo/.tools}
export WEBAPI_TOOLS_BIN=$WEBAPI_TOOLS_DIR/bin
export PACKER_PLUGIN_PATH=$WEBAPI_TOOLS_DIR/packer-plugins
# Packer must not phone home for update checks on a machine without the internet.
export CHECKPOINT_DISABLE=1
case ":$PATH:" in *":$WEBAPI_TOOLS_BIN:"*) ;; *) export PATH=$WEBAPI_TOOLS_BIN:$PATH ;; esac
unset _webapi_repo
