# berth — build, test, run. `make demo` runs the main job; `make test` runs every test.
SWIFT ?= swift
UNITDIR ?= /etc/systemd/system
PREFIX ?= /usr/local
BIN_DEBUG := $(shell $(SWIFT) build --show-bin-path 2>/dev/null)
# Release binaries link the Swift runtime statically: the CLI starts in a few milliseconds.
RELEASE_FLAGS := -c release --static-swift-stdlib
BIN_RELEASE := $(shell $(SWIFT) build $(RELEASE_FLAGS) --show-bin-path 2>/dev/null)

.PHONY: deps build release test unit fuzz integration demo bench install clean format

deps:
	./scripts/install-deps.sh

build:
	$(SWIFT) build

release:
	$(SWIFT) build $(RELEASE_FLAGS)

## Every test: unit tests (no root needed), the parsers under a fuzzer for a bounded time,
## then integration tests as root on real parts.
test: deps build
	./scripts/check-layering.sh
	$(SWIFT) test
	$(BIN_DEBUG)/berth-fuzz 100000
	$(MAKE) fuzz
	BERTH_BIN_DIR=$(BIN_DEBUG) python3 -m pytest -q Tests/integration

unit:
	$(SWIFT) test

## The house format (.swift-format), applied in place.
format:
	$(SWIFT) format -i -r Sources Tests

## libFuzzer over every parser that takes outside input (FUZZ_SECONDS, default 60); a crash
## fails and leaves its input in .build-fuzz/crashes/.
FUZZ_SECONDS ?= 60
FUZZ_FLAGS := --scratch-path .build-fuzz --product berth-fuzz -Xswiftc -use-ld=lld -Xswiftc -sanitize=fuzzer -Xswiftc -parse-as-library -Xswiftc -DBERTH_FUZZ
fuzz:
	$(SWIFT) build $(FUZZ_FLAGS)
	mkdir -p .build-fuzz/corpus .build-fuzz/crashes
	$$($(SWIFT) build $(FUZZ_FLAGS) --show-bin-path)/berth-fuzz -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=4096 \
		-artifact_prefix=.build-fuzz/crashes/ -print_final_stats=1 .build-fuzz/corpus

integration: build
	BERTH_BIN_DIR=$(BIN_DEBUG) python3 -m pytest -q Tests/integration

## The main job on a fresh machine: install, build, start berthd, load the busybox image, list it.
demo: deps release
	BERTH_BIN_DIR=$(BIN_RELEASE) ./scripts/demo.sh

bench: deps release
	BERTH_BIN_DIR=$(BIN_RELEASE) ./bench/images.sh
	BERTH_BIN_DIR=$(BIN_RELEASE) ./bench/run.sh
	BERTH_BIN_DIR=$(BIN_RELEASE) ./bench/concurrent.sh
	BERTH_BIN_DIR=$(BIN_RELEASE) ./bench/ps.sh
	BERTH_BIN_DIR=$(BIN_RELEASE) ./bench/rm.sh
	BERTH_BIN_DIR=$(BIN_RELEASE) ./bench/events.sh
	BERTH_BIN_DIR=$(BIN_RELEASE) ./bench/history.sh
	BERTH_BIN_DIR=$(BIN_RELEASE) ./bench/compose.sh
	BERTH_BIN_DIR=$(BIN_RELEASE) ./bench/recovery.sh
	BERTH_BIN_DIR=$(BIN_RELEASE) ./bench/logs.sh
	BERTH_BIN_DIR=$(BIN_RELEASE) ./bench/network.sh
	BERTH_BIN_DIR=$(BIN_RELEASE) ./bench/build.sh
	BERTH_BIN_DIR=$(BIN_RELEASE) ./bench/pull.sh

## Binaries, the systemd unit (KillMode=process: containers outlive berthd restarts) and the
## README. Enable at boot with: systemctl daemon-reload && systemctl enable --now berthd
install: release
	install -D -m 0755 $(BIN_RELEASE)/berth $(DESTDIR)$(PREFIX)/bin/berth
	install -D -m 0755 $(BIN_RELEASE)/berthd $(DESTDIR)$(PREFIX)/bin/berthd
	install -D -m 0644 contrib/berthd.service $(DESTDIR)$(UNITDIR)/berthd.service
	sed -i 's|/usr/local/bin/berthd|$(PREFIX)/bin/berthd|' $(DESTDIR)$(UNITDIR)/berthd.service
	install -D -m 0644 README.md $(DESTDIR)$(PREFIX)/share/doc/berth/README.md
	mkdir -p $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	$(BIN_RELEASE)/berth completion bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/berth
	$(BIN_RELEASE)/berth completion zsh > $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_berth
	$(BIN_RELEASE)/berth completion fish > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/berth.fish

clean:
	rm -rf .build
