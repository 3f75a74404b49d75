#!/usr/bin/env bash
# Build step for App Service's deployment engine (Kudu), named in
# .deployment. App Service has no Go stack, so this fetches a pinned,
# checksum-verified Go toolchain, builds a static binary into
# DEPLOYMENT_TARGET (wwwroot) beside startup.sh, which App Service's startup
# command (exec bash /home/site/wwwroot/startup.sh) runs.
#
# KuduLite runs .deployment's command in the repository root through its
# starter.sh (`exec "$@"`), with DEPLOYMENT_SOURCE (the repository) and
# DEPLOYMENT_TARGET (wwwroot) set (Azure-App-Service/KuduLite,
# Kudu.Core/Deployment/Generator/ExternalCommandBuilder.cs and
# ExternalCommandFactory.cs); TestDeployScript runs it the same way.
# DEPLOY_GO names an existing go binary instead of downloading one; the
# tests use it to run this script with the machine's Go.
set -euo pipefail

GO_VERSION=1.26.8 # keep in step with go.mod (a test checks)
GO_SHA256=d0f743b33e8d8945e6b1f432edd15785c70507121d6e2a723b21285eddf8b57b # go.dev/dl, linux-amd64

src="${DEPLOYMENT_SOURCE:-$PWD}"
target="${DEPLOYMENT_TARGET:?DEPLOYMENT_TARGET is not set: run this through App Service deployment or set it}"
cache="${GO_TOOLCHAIN_DIR:-${HOME:-/home}/.cache/keyvault-msi-go}"

go="${DEPLOY_GO:-}"
if [ -z "$go" ]; then
  root="$cache/go$GO_VERSION"
  go="$root/bin/go"
  if [ ! -x "$go" ]; then
    echo "Downloading Go $GO_VERSION"
    mkdir -p "$cache"
    archive="$cache/go$GO_VERSION.linux-amd64.tar.gz"
    curl -fsSL --retry 3 -o "$archive" "https://go.dev/dl/go$GO_VERSION.linux-amd64.tar.gz"
    echo "$GO_SHA256  $archive" | sha256sum -c - || { rm -f "$archive"; echo "checksum mismatch: refusing this toolchain" >&2; exit 1; }
    rm -rf "$root.tmp" && mkdir -p "$root.tmp"
    tar -C "$root.tmp" --strip-components=1 -xzf "$archive"
    rm -rf "$root" && mv "$root.tmp" "$root" && rm -f "$archive"
    # Older toolchains: each is about 250 MB, against Free (F1) plans' 1 GB of storage (Azure docs, "Azure subscription and service limits": App Service limits).
    find "$cache" -mindepth 1 -maxdepth 1 -name 'go*' ! -name "go$GO_VERSION" -exec rm -rf {} +
  fi
  echo "Go toolchain cache: $(du -sh "$cache" | cut -f1) in $cache (one toolchain, Go $GO_VERSION)"
fi

echo "Building with $("$go" version)"
mkdir -p "$target"
cd "$src"
# A static binary runs on any of App Service's Linux images, which are
# linux/amd64 whatever machine builds it: azd's prepackage hook runs this on
# the developer's Mac or an Apple-silicon dev container too.
CGO_ENABLED=0 GOOS=linux GOARCH=amd64 GOTOOLCHAIN=local "$go" build -trimpath -ldflags="-s -w" -o "$target/keyvault-msi-go.new" .
mv "$target/keyvault-msi-go.new" "$target/keyvault-msi-go"
cp "$src/deploy/startup.sh" "$target/startup.sh"
echo "Built $target/keyvault-msi-go; App Service starts it with the startup command: bash /home/site/wwwroot/startup.sh"
