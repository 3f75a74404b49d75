# syntax=docker/dockerfile:1
# The container route (Azure Container Apps, Web App for Containers):
# Microsoft documents Go on Azure as a container. `az containerapp up
# --source .` builds this in the cloud; no local Docker is needed.

# Images are pinned by digest, which no one can move (a tag can be), and
# dependabot (docker) keeps them current: golang:1.26.8's and
# distroless static-debian12:nonroot's digests as public builds pulled
# them in 2026 (no registry is reachable where this sample is checked; the
# container job of GitHub's ci workflow builds this file).

# Build: the same static binary and flags as deploy/build.sh (a test checks).
FROM golang:1.26.8@sha256:6c2a5538f964f1c82f97ad14988bf05de100d922d159d0e398b54c7b0ca0c6c9 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOTOOLCHAIN=local go build -trimpath -ldflags="-s -w" -o /out/keyvault-msi-go .

# Run: distroless static has CA certificates (Key Vault and Entra ID are
# TLS) and a non-root user, and nothing else.
FROM gcr.io/distroless/static-debian12:nonroot@sha256:afa5c872c891853ca7fcf1f12c3edb23f7eeef36189728842dd51042ff57f7ab
COPY --from=build /out/keyvault-msi-go /keyvault-msi-go
USER nonroot:nonroot
ENV PORT=8080
# Inside a container, loopback is the container's own: docker run -p
# reaches the app only on the container's interface.
ENV LISTEN_ADDR=0.0.0.0
EXPOSE 8080
# Exec form: the app is PID 1 and receives the platform's SIGTERM itself.
ENTRYPOINT ["/keyvault-msi-go"]
