#!/usr/bin/env bash
# App Service's startup command: bash /home/site/wwwroot/startup.sh
# Zip deployment can drop the executable bit, so restore it, then hand the
# process over to the app (exec), which then receives SIGTERM directly.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
chmod +x "$here/keyvault-msi-go"
exec "$here/keyvault-msi-go"
