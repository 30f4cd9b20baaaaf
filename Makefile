# Switchboard developer entry points.
# Postgres and Redis come from deploy/dev/devstack.sh: the services on the
# standard ports if they answer, otherwise private instances under .devstack/.

SHELL := /bin/bash
# One shell per recipe, strict mode: a failing line stops the recipe.
.SHELLFLAGS := -euo pipefail -c
.ONESHELL:
.DEFAULT_GOAL := build

GO       ?= go
VERSION  ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X switchboard/internal/app.version=$(VERSION)
BASE_URL ?= http://localhost:8080
DEVSTACK := deploy/dev/devstack.sh
# Shared with devstack.sh so both agree on where the private state lives.
DEVSTACK_DIR ?= $(CURDIR)/.devstack
export DEVSTACK_DIR BASE_URL

# Load DATABASE_URL and REDIS_URL into the recipe's shell. The assignment keeps
# devstack.sh's exit status; a bare eval "$$(...)" would swallow a failure.
define devstack_env
devstack_out="$$($(DEVSTACK))"; eval "$$devstack_out"
endef

.PHONY: build run test lint generate generate-check bench clean

build:
	CGO_ENABLED=0 $(GO) build -ldflags "$(LDFLAGS)" -o bin/switchboard ./cmd/switchboard

run: build
	@$(devstack_env)
	# Development secret: generated once, kept across runs so sessions survive.
	if [[ -z "$${SECRET_KEY:-}" ]]; then
	  if [[ ! -s "$(DEVSTACK_DIR)/secret_key" ]]; then
	    mkdir -p "$(DEVSTACK_DIR)"
	    (umask 077; od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$(DEVSTACK_DIR)/secret_key")
	  fi
	  SECRET_KEY="$$(<"$(DEVSTACK_DIR)/secret_key")"
	  export SECRET_KEY
	fi
	export APP_ENV="$${APP_ENV:-development}"
	echo "==> bin/switchboard migrate up && bin/switchboard demo seed"
	bin/switchboard migrate up
	bin/switchboard demo seed
	echo
	echo "Switchboard is starting on $(BASE_URL)"
	exec bin/switchboard serve

# -race needs cgo, so CGO_ENABLED is deliberately left alone here.
test:
	@$(devstack_env)
	CHROMIUM_PATH="$$($(DEVSTACK) chromium)"
	export CHROMIUM_PATH
	# One package at a time (-p 1): the outbound pacing test checks Meta's
	# strict one-second window on real clocks, and the browser, routing and
	# two-instance tests of other packages running beside it on two cores
	# starve its goroutines. Tests within a package still run in parallel.
	echo "==> $(GO) test -race -count=1 -p 1 -timeout 14m ./...  (CHROMIUM_PATH=$$CHROMIUM_PATH)"
	$(GO) test -race -count=1 -p 1 -timeout 14m ./...
	# A short fuzz run of the webhook parser (its corpus is committed under
	# internal/whatsapp/webhook/testdata/fuzz; new findings land there too).
	echo "==> $(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime 15s ./internal/whatsapp/webhook"
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime 15s ./internal/whatsapp/webhook

# gofmt covers every .go file (generated ones too); only VCS metadata and the
# private database directories are pruned.
lint:
	@echo "==> gofmt -l"
	unformatted="$$(find . \( -path ./.git -o -path ./.devstack -o -path ./bin \) -prune \
	  -o -name '*.go' -type f -print0 | xargs -0 -r gofmt -l)"
	if [[ -n "$$unformatted" ]]; then
	  echo "gofmt -l reports unformatted files (run gofmt -w):" >&2
	  echo "$$unformatted" >&2
	  exit 1
	fi
	echo "==> $(GO) vet ./..."
	$(GO) vet ./...

# templ is pinned as a Go tool in go.mod, so no separate install is needed.
generate:
	$(GO) tool templ generate

# Fails when committed *_templ.go files are stale or a generated one is missing.
generate-check: generate
	@# git diff exits 1 for differences; anything else is a git error, not drift.
	rc=0
	git diff --exit-code -- '*_templ.go' || rc=$$?
	if ((rc == 1)); then
	  echo "generated templ code is out of date: run 'make generate' and commit the result" >&2
	  exit 1
	fi
	((rc == 0)) || exit "$$rc"
	untracked="$$(git ls-files --others --exclude-standard -- '*_templ.go')"
	if [[ -n "$$untracked" ]]; then
	  echo "generated templ files are not committed:" >&2
	  echo "$$untracked" >&2
	  exit 1
	fi

bench:
	@$(devstack_env)
	echo "==> $(GO) test -run '^$$' -bench . -benchmem -count 3 ./..."
	$(GO) test -run '^$$' -bench . -benchmem -count 3 ./...
	echo "==> deploy/bench/webhooks.sh  (B0 pgbench baseline, B1 webhook ingest)"
	GO="$(GO)" deploy/bench/webhooks.sh
	GO="$(GO)" deploy/bench/outbound.sh
	echo "==> deploy/bench/routing.sh  (B3 live: persisted assignments vs pgbench SKIP LOCKED, arrival-to-assignment latency)"
	GO="$(GO)" deploy/bench/routing.sh
	echo "==> deploy/bench/console.sh  (agent console: idle memory per socket vs a bare gorilla echo server, webhook-to-socket latency)"
	GO="$(GO)" deploy/bench/console.sh
	echo "==> deploy/bench/presence.sh  (B7 presence: heartbeat, state change and reads vs redis-benchmark SET/GET)"
	GO="$(GO)" deploy/bench/presence.sh

clean:
	rm -rf bin
