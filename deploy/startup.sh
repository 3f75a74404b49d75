#!/usr/bin/env bash
# App Service's startup command is `exec bash /home/site/wwwroot/startup.sh`.
# The Node image runs it as the last line of a /bin/sh script that Oryx
# writes, without an exec of its own (microsoft/Oryx,
# src/startupscriptgenerator/src/node/scriptgenerator.go): the command's
# `exec` makes that script become bash, and this script's `exec` makes bash
# become the app, so the app is the process App Service sends SIGTERM to
# (TestOryxStartupSignals models both steps).
# Zip deployment can drop the executable bit, so restore it first.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
chmod +x "$here/keyvault-msi-go"
exec "$here/keyvault-msi-go"
