# syntax=docker/dockerfile:1
# The container route (Azure Container Apps, Web App for Containers):
# Microsoft documents Go on Azure as a container. `az containerapp up
# --source .` builds this in the cloud; no local Docker is needed.

# Build: the same static binary and flags as deploy/build.sh (a test checks).
FROM golang:1.26.8 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOTOOLCHAIN=local go build -trimpath -ldflags="-s -w" -o /out/keyvault-msi-go .

# Run: distroless static has CA certificates (Key Vault and Entra ID are
# TLS) and a non-root user, and nothing else.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/keyvault-msi-go /keyvault-msi-go
USER nonroot:nonroot
ENV PORT=8080
# Inside a container, loopback is the container's own: docker run -p
# reaches the app only on the container's interface.
ENV LISTEN_ADDR=0.0.0.0
EXPOSE 8080
# Exec form: the app is PID 1 and receives the platform's SIGTERM itself.
ENTRYPOINT ["/keyvault-msi-go"]
