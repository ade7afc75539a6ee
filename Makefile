# luabox: two commands matter, `make run` and `make test`. Everything else is
# a step they call. Variables can be overridden: `make test CARGO=...`.

CARGO        ?= cargo
CLANG        ?= clang-22
LLVM_AR      ?= llvm-ar-22
GUEST_TARGET := wasm32-unknown-unknown
# The guest as cargo builds it; optimised by Binaryen's wasm-opt (from the
# npm registry, pinned; it reads and writes the exception-handling
# instructions Lua's errors use); and as the luabox crate embeds it, a
# component, committed (host/guest/), so building luabox needs no wasm
# toolchain. Paths are remapped so the build is the same on every machine.
GUEST_RAW    := target/$(GUEST_TARGET)/release/luabox_guest.wasm
GUEST_CORE   := target/guest/luabox_guest.core.wasm
GUEST_WASM   := host/guest/luabox_guest.wasm
# The same guest with Lua's API checks on (a failed check traps): what the
# tests and fuzzers run (the luabox crate's `api-checks` feature), built in a
# target directory of its own so the two builds do not undo each other.
CHECKED_TARGET_DIR := target/guest-checked
GUEST_CHECKED_RAW  := $(CHECKED_TARGET_DIR)/$(GUEST_TARGET)/release/luabox_guest.wasm
GUEST_CHECKED_CORE := target/guest/luabox_guest_checked.core.wasm
GUEST_CHECKED_WASM := host/guest/luabox_guest_checked.wasm
GUEST_RUSTFLAGS := --remap-path-prefix=$(CURDIR)=/luabox --remap-path-prefix=$(HOME)/.cargo=/cargo
BINARYEN     := 132.0.0
WASM_OPT     := target/tools/node_modules/.bin/wasm-opt
WASM_OPT_FLAGS := -O3 -g --strip-dwarf --enable-exception-handling --enable-reference-types \
                  --enable-bulk-memory --enable-nontrapping-float-to-int --enable-multivalue \
                  --enable-sign-ext --enable-mutable-globals
LUABOX       := target/release/luabox
APT_PACKAGES := clang-22 llvm-22 wasi-libc chromium chromium-driver

# RUST_BACKTRACE=1 is set on these machines and in CI. luabox builds wasmtime
# without its `backtrace` feature, so Lua errors (wasm exceptions) do not
# capture host backtraces; this also keeps any library error from doing so,
# while panics keep theirs.
export RUST_LIB_BACKTRACE := 0
export LUABOX_CLANG := $(CLANG)
export LUABOX_LLVM_AR := $(LLVM_AR)

.PHONY: all setup fuzz-setup guest guest-check build run test soak fuzz bench lint fmt clean

all: build

## setup: install what a fresh Debian machine lacks (idempotent).
setup:
	@rustup target list --installed | grep -qx '$(GUEST_TARGET)' || rustup target add $(GUEST_TARGET)
	@rustup component list --installed | grep -q '^clippy' || rustup component add clippy
	@rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "missing Debian packages: $$missing (run 'sudo apt-get install $$missing')"; exit 1; \
	  fi; \
	fi
	@$(WASM_OPT) --version 2>/dev/null | grep -q 'version $(firstword $(subst ., ,$(BINARYEN)))' || \
	  npm install --prefix target/tools --no-audit --no-fund --silent binaryen@$(BINARYEN)

## guest: the Lua interpreter as a wasm component, optimised, written to
## host/guest/ (commit it with the guest's sources), twice: as luabox ships
## it, and with Lua's API checks on (for the tests and fuzzers). wasm-opt
## and the componentizer run only when cargo relinked the guest.
guest: setup
	RUSTFLAGS="$(GUEST_RUSTFLAGS)" $(CARGO) build --release --target $(GUEST_TARGET) -p luabox-guest
	LUABOX_API_CHECKS=1 CARGO_TARGET_DIR=$(CHECKED_TARGET_DIR) RUSTFLAGS="$(GUEST_RUSTFLAGS)" \
	  $(CARGO) build --release --target $(GUEST_TARGET) -p luabox-guest
	@mkdir -p $(dir $(GUEST_CORE))
	@set -e; for pair in "$(GUEST_RAW) $(GUEST_CORE) $(GUEST_WASM)" \
	                     "$(GUEST_CHECKED_RAW) $(GUEST_CHECKED_CORE) $(GUEST_CHECKED_WASM)"; do \
	  set -- $$pair; \
	  if [ ! -f $$2 ] || [ $$1 -nt $$2 ]; then \
	    echo "wasm-opt $$1 -> $$2"; \
	    $(WASM_OPT) $(WASM_OPT_FLAGS) $$1 -o $$2; \
	  fi; \
	  if [ ! -f $$3 ] || [ $$2 -nt $$3 ]; then \
	    echo "componentize $$2 -> $$3"; \
	    $(CARGO) run --quiet --release -p luabox-componentize -- $$2 $$3; \
	  fi; \
	done

## guest-check: fails when a committed guest differs from a fresh build of
## the guest's sources (make test runs it after make guest).
guest-check: guest
	@for wasm in $(GUEST_WASM) $(GUEST_CHECKED_WASM); do \
	  git diff --quiet HEAD -- $$wasm && git ls-files --error-unmatch $$wasm >/dev/null 2>&1 || { \
	    echo "$$wasm differs from a fresh build of guest/: commit the rebuilt one"; \
	    exit 1; }; \
	done

## build: everything, in release; the CLI ends up at target/release/luabox.
build: guest
	$(CARGO) build --release -p luabox -p luabox-cli

## run: a demo: a good script, then hostile ones, each contained. The
## commands are examples/demo.commands; the README shows what this prints
## (a test checks that it does).
run: build
	@while read -r arguments; do \
	  echo "== luabox $$arguments"; \
	  $(LUABOX) $$arguments 2>&1; \
	  echo "   (exit code $$?)"; \
	done < examples/demo.commands

## test: the committed guests are fresh, lint, then every test (unit,
## integration, doc; the bevy plugin's; an embedder crate built outside the
## workspace) against the guest with Lua's API checks on, the crate packaged
## as it would be published, and brief fuzzing (API checks on too).
## (`cargo test` builds the CLI itself; going through `build` would compile
## wasmtime twice, once without and once with the dev-dependencies' features.)
test: guest-check lint
	$(CARGO) test --release -p luabox -p luabox-cli --features luabox/bevy,luabox/api-checks
	$(CARGO) package -p luabox --quiet
	$(MAKE) fuzz FUZZ_SECONDS=20 FUZZ_BUILD=--dev

## fuzz: each fuzz target for FUZZ_SECONDS seconds (make test: 20), starting
## from its kept corpus (fuzz/corpus/, copied so the repo stays clean) plus
## the attack suite and the examples as seeds. cargo-fuzz runs on the stable
## toolchain without a sanitizer (-s none): it finds panics, hangs and
## broken invariants, not undefined behaviour in C. make test builds the
## targets unoptimised (--dev: half the build time, fewer runs per second).
FUZZ_TARGETS := run_source ecs_calls scene_json lua_api_calls
FUZZ_SECONDS ?= 300
FUZZ_BUILD ?=
SEEDS_run_source := tests/attacks tests/fidelity examples
SEEDS_ecs_calls :=
SEEDS_scene_json := examples/scene
SEEDS_lua_api_calls :=
fuzz: guest fuzz-setup
	@for target in $(FUZZ_TARGETS); do \
	  mkdir -p target/fuzz-corpus/$$target && cp -r fuzz/corpus/$$target/. target/fuzz-corpus/$$target/ || exit 1; \
	done
	$(CARGO) fuzz build -s none $(FUZZ_BUILD)
	$(CARGO) fuzz run -s none $(FUZZ_BUILD) run_source target/fuzz-corpus/run_source $(SEEDS_run_source) -- -max_total_time=$(FUZZ_SECONDS) -timeout=20 -rss_limit_mb=4096
	$(CARGO) fuzz run -s none $(FUZZ_BUILD) ecs_calls target/fuzz-corpus/ecs_calls $(SEEDS_ecs_calls) -- -max_total_time=$(FUZZ_SECONDS) -timeout=20 -rss_limit_mb=4096
	$(CARGO) fuzz run -s none $(FUZZ_BUILD) scene_json target/fuzz-corpus/scene_json $(SEEDS_scene_json) -- -max_total_time=$(FUZZ_SECONDS) -timeout=20 -rss_limit_mb=4096
	$(CARGO) fuzz run -s none $(FUZZ_BUILD) lua_api_calls target/fuzz-corpus/lua_api_calls $(SEEDS_lua_api_calls) -- -max_total_time=$(FUZZ_SECONDS) -timeout=20 -rss_limit_mb=4096

fuzz-setup:
	@command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz --locked

## soak: the soak test at full size (make test runs 2,000 executions).
SOAK ?= 10000
soak: guest
	LUABOX_SOAK=$(SOAK) $(CARGO) test --release -p luabox --test soak -- --nocapture

## bench: every benchmark (release), then one table of luabox / native Lua
## ratios, also written to target/bench/summary.json. One row per file in
## benches/; each row interleaves luabox and mlua samples in the same run.
BENCHES := compute_fib compute_table compute_string compute_closures compute_coroutines fuel_overhead \
           errors_pcall ecs_crossing ecs_frame ecs_idle ecs_tasks_waiting ecs_tasks_due ecs_batch startup_sandbox startup_cli \
           memory_idle
bench: export RUST_BACKTRACE := 0
bench: build
	rm -rf target/bench/rows
	$(CARGO) bench -p luabox $(addprefix --bench ,$(BENCHES))
	$(CARGO) bench -p luabox --bench summary

lint: guest
	$(CARGO) fmt --all --check
	$(CARGO) fmt --manifest-path fuzz/Cargo.toml --check
	$(CARGO) clippy --release -p luabox -p luabox-cli -p luabox-componentize --all-targets --features luabox/bevy -- -D warnings
	$(CARGO) clippy --release -p luabox --features fuzzing --lib -- -D warnings
	RUSTFLAGS="$(GUEST_RUSTFLAGS)" $(CARGO) clippy --release --target $(GUEST_TARGET) -p luabox-guest -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --release -p luabox --no-deps --features bevy

fmt:
	$(CARGO) fmt --all
	$(CARGO) fmt --manifest-path fuzz/Cargo.toml

clean:
	$(CARGO) clean
