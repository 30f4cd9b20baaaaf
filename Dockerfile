# syntax=docker/dockerfile:1

# --- build: a static binary (no cgo) so it runs on distroless/static --------
FROM golang:1.26 AS build
WORKDIR /src

# Dependencies first: this layer is reused until go.mod/go.sum change.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download

COPY . .
# Migrations and static assets are embedded, so the binary is all we ship.
# VCS stamping is off (the version comes from -X), so a missing or foreign-owned
# .git in the build context cannot break the build.
ARG VERSION=dev
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X switchboard/internal/app.version=${VERSION}" \
      -o /switchboard ./cmd/switchboard

# --- runtime: no shell or package manager; CA certificates and tzdata included
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /switchboard /switchboard
# Numeric uid (distroless "nonroot") so runAsNonRoot policies can verify it.
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/switchboard"]
CMD ["serve"]
