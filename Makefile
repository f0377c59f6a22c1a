# retl — one GNU Makefile.
#   make            build bin/retl (and the SQL Server stand-in) with -O2 -g
#   make test       install what is missing, unit tests under ASan+UBSan,
#                   integration tests against a real Kafka broker
#   make demo       the main job on the embedded default (then, in a terminal,
#                   retl console on its imports until Ctrl-C)
#   make bench      benchmarks that print figures
#   make asan       the sanitizer build alone (build/asan/)
#   make check      format check + tests
#   make fuzz       libFuzzer on every parser, FUZZ_SECONDS each (clang)
#   make chaos      the fault matrix: 50 seeded faults on the whole pipeline,
#                   every row checked (SEED=N to replay, FAULTS=N for more,
#                   CHAOS_ARGS="--only KIND,..." and more: tests/chaos/README.md)

PKGS    := rdkafka avro-c libconfig libcurl jansson libmicrohttpd sqlite3 openssl
CC      ?= cc
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CPPFLAGS += -D_GNU_SOURCE -Ilib -I. $(PKG_CFLAGS)
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 $(WARN) -MMD -MP
LDLIBS  := $(PKG_LIBS) -lsybdb -lpthread -lm

# V=1 shows the full commands.
ifeq ($(V),1)
Q :=
else
Q := @
endif

SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

# Sources: everything under these folders goes into the retl binary.
GEN_SRCS   := build/gen/schemas.c
RETL_SRCS  := $(wildcard lib/*.c producer/*.c consumer/*.c sandbox/track/*.c) \
              $(filter-out cli/retl.c,$(wildcard cli/*.c)) $(GEN_SRCS)
CLI_SRCS   := cli/retl.c
TDS_SRCS   := $(wildcard sandbox/mssql/*.c)
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)

REL := build/rel
ASAN := build/asan

rel_obj  = $(patsubst %.c,$(REL)/%.o,$(1))
asan_obj = $(patsubst %.c,$(ASAN)/%.o,$(1))

# The SQL Server stand-in is built when its sources are present.
STANDIN      := $(if $(TDS_SRCS),bin/retl-mssql-standin)
ASAN_STANDIN := $(if $(TDS_SRCS),$(ASAN)/bin/retl-mssql-standin)

.PHONY: all asan test unit it demo bench check deps clean distclean format fuzz chaos
all: bin/retl $(STANDIN)

$(REL)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(ASAN)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC asan $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -O1 $(SAN_FLAGS) -DRETL_UNITTEST -c -o $@ $<

bin/retl: $(call rel_obj,$(RETL_SRCS) $(CLI_SRCS))
	@mkdir -p bin
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# The schemas travel inside the binary.
build/gen/schemas.c: $(wildcard schemas/*.avsc) scripts/embed-schemas.sh
	@mkdir -p $(dir $@)
	$(Q)scripts/embed-schemas.sh schemas > $@

bin/retl-mssql-standin: $(call rel_obj,$(TDS_SRCS) $(wildcard lib/*.c) $(GEN_SRCS))
	@mkdir -p bin
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# The sanitizer build: the same binaries, used by the integration tests too.
$(ASAN)/bin/retl: $(call asan_obj,$(RETL_SRCS) $(CLI_SRCS))
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD asan $@")
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $^ $(LDLIBS)

$(ASAN)/bin/retl-mssql-standin: $(call asan_obj,$(TDS_SRCS) $(wildcard lib/*.c) $(GEN_SRCS))
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD asan $@")
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $^ $(LDLIBS)

$(ASAN)/libretl.a: $(call asan_obj,$(RETL_SRCS))
	@rm -f $@
	$(Q)ar rcs $@ $^

# Each unit test links the archive; the linker takes only the modules it uses.
$(ASAN)/tests/%: tests/unit/%.c $(ASAN)/libretl.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD asan $@")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -O1 $(SAN_FLAGS) -DRETL_UNITTEST -o $@ $< $(ASAN)/libretl.a $(LDLIBS) -lcmocka

UNIT_BINS := $(patsubst tests/unit/%.c,$(ASAN)/tests/%,$(UNIT_SRCS))

# Integration-test programs (tests/it/NNNN-name.c), run by tests/run.sh in
# number order beside the NNNN-name.sh scripts, against the real servers.
IT_SRCS := $(wildcard tests/it/*.c)
IT_BINS := $(patsubst tests/it/%.c,$(ASAN)/it/%,$(IT_SRCS))
$(ASAN)/it/%: tests/it/%.c $(ASAN)/libretl.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD asan $@")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -O1 $(SAN_FLAGS) -DRETL_UNITTEST -o $@ $< $(ASAN)/libretl.a $(LDLIBS) -lcmocka

asan: $(ASAN)/bin/retl $(ASAN_STANDIN) $(UNIT_BINS) $(IT_BINS)

# Benchmark programs (tests/bench/*.c), release build, linked with the modules.
BENCH_SRCS := $(wildcard tests/bench/*.c)
$(REL)/libretl.a: $(call rel_obj,$(RETL_SRCS))
	@rm -f $@
	$(Q)ar rcs $@ $^
bin/bench/%: tests/bench/%.c $(REL)/libretl.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(REL)/libretl.a $(LDLIBS)

# ---------------------------------------------------------------- fuzzing
# make fuzz: each tests/fuzz/fuzz_<target>.c, built with clang, libFuzzer,
# ASan and UBSan, runs FUZZ_SECONDS on its seeds tests/fuzz/corpus/<target>/
# (what it finds goes to build/fuzz/corpus/<target>/, crashes to
# build/fuzz/crash-<target>-*). FUZZ_TARGETS="codec cfg" picks some.
# The seeds are also replayed by tests/run.sh: replay.c + the target, gcc
# and the sanitizers like the unit tests, so `make test` needs no clang.
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ         := build/fuzz
FUZZ_SRCS    := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_TARGETS ?= $(patsubst tests/fuzz/fuzz_%.c,%,$(FUZZ_SRCS))
FUZZ_FLAGS   := -g -O1 -fno-omit-frame-pointer -fno-sanitize-recover=undefined
# the stand-in's modules, which are not in the retl archive
TDS_LIB_SRCS := $(filter-out sandbox/mssql/main.c,$(TDS_SRCS))

$(FUZZ)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC fuzz $<")
	$(Q)$(FUZZ_CC) $(CPPFLAGS) -std=c11 $(filter-out -Werror,$(WARN)) $(FUZZ_FLAGS) -MMD -MP \
		-fsanitize=fuzzer-no-link,address,undefined -c -o $@ $<
.PRECIOUS: $(FUZZ)/tests/fuzz/%.o
$(FUZZ)/libretl.a: $(patsubst %.c,$(FUZZ)/%.o,$(RETL_SRCS) $(TDS_LIB_SRCS))
	@rm -f $@
	$(Q)ar rcs $@ $^
$(FUZZ)/fuzz_%: $(FUZZ)/tests/fuzz/fuzz_%.o $(FUZZ)/libretl.a
	@$(if $(Q),echo "  LD fuzz $@")
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LDLIBS)

fuzz: $(patsubst %,$(FUZZ)/fuzz_%,$(FUZZ_TARGETS))
	@for t in $(FUZZ_TARGETS); do \
		echo "== fuzz $$t: $(FUZZ_SECONDS) s"; mkdir -p $(FUZZ)/corpus/$$t; \
		LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp $(FUZZ)/fuzz_$$t \
			-max_total_time=$(FUZZ_SECONDS) -timeout=25 -print_final_stats=1 \
			-artifact_prefix=$(FUZZ)/crash-$$t- $(FUZZ)/corpus/$$t tests/fuzz/corpus/$$t \
			|| exit 1; \
	done

$(ASAN)/libretl_mssql.a: $(call asan_obj,$(TDS_LIB_SRCS))
	@rm -f $@
	$(Q)ar rcs $@ $^
$(ASAN)/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(ASAN)/libretl_mssql.a $(ASAN)/libretl.a
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD asan $@")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -O1 $(SAN_FLAGS) -DRETL_UNITTEST -o $@ $(filter %.c %.a,$^) $(LDLIBS)
asan: $(patsubst tests/fuzz/fuzz_%.c,$(ASAN)/fuzz/replay_%,$(FUZZ_SRCS))

deps:
	@scripts/deps.sh

# make test: dependencies first (a fresh machine has none), then build, then run.
test:
	@scripts/deps.sh
	@$(MAKE) --no-print-directory all asan
	@tests/run.sh

unit: asan
	@tests/run.sh unit

it: all asan
	@tests/run.sh it

# tests/chaos/chaos.py on the sanitizer build: a broker, the stand-in, the
# sandboxes and Toxiproxy of its own; prints the seed, faults and rows lost.
FAULTS ?= 50
chaos:
	@scripts/deps.sh
	@$(MAKE) --no-print-directory all asan
	@tests/kafka/broker.sh fetch
	@FAULTS=$(FAULTS) SEED=$(SEED) tests/chaos/chaos.py $(CHAOS_ARGS)

demo:
	@scripts/deps.sh --runtime
	@$(MAKE) --no-print-directory all
	@bin/retl demo

bench:
	@scripts/deps.sh
	@$(MAKE) --no-print-directory all
	@tests/bench/run.sh

format:
	@clang-format -i $(RETL_SRCS) $(CLI_SRCS) $(TDS_SRCS) $(wildcard lib/*.h producer/*.h consumer/*.h sandbox/*/*.h)

check: test

clean:
	rm -rf build bin

distclean: clean
	rm -rf .cache

-include $(shell find build -name '*.d' 2>/dev/null)
