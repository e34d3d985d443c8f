# SPDX-License-Identifier: GPL-2.0-only
# xen-pcisplit top-level Makefile: one entry point for people and CI.
#   make          build the userspace core, tool and tests (release)
#   make check    install what is missing, then run every test (unit tests under ASan/UBSan, the
#                 freestanding build of the core) and print "N passed, N failed"
#   make demo     install what is missing, then show what a guest sees of each recorded device and
#                 run backend and frontend end to end in the simulator
#   make bench    instructions and allocations per config access through the engine and the dispatcher (callgrind);
#                 round trips per second; 64 guests x 8 functions in the simulator (memory, ops/s)
#   make lint     the kernel C glue through the kernel's checkpatch.pl --strict (docs/kernel-style.md)
#
# When this tree is used as a Kbuild external module directory (make -C /lib/modules/.../build M=$PWD),
# Kbuild reads the file named Kbuild, not this one.

BUILD      ?= build
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_GEN  := -G "Unix Makefiles"

# Debian packages the userspace build, the tests and the demo need; the lab needs LAB_DEPS too.
# perl and xz-utils: make lint runs checkpatch.pl out of linux-source's tarball.
DEPS := cmake g++-12 make catch2 libxen-dev pciutils valgrind binutils perl xz-utils
LAB_DEPS := qemu-system-x86 busybox-static cpio kmod socat
# The modules are built against Debian's current kernel headers (whatever ABI linux-headers-amd64
# points at); Debian's headers package does not pull in g++, which DEPS has.
MODULE_DEPS := linux-headers-amd64 debootstrap $(LAB_DEPS)
LAB ?= 1

# The portable core: the one source list for the hosted library (CMake globs the same folders) and
# the freestanding check below; Kbuild lists the same objects (pcisplit-protocol-y,
# pcisplit-backend-core-y, frontend/frontend.o).
CORE_SRCS := $(sort $(wildcard protocol/*.cpp conf_space/*.cpp conf_space/caps/*.cpp quirks/*.cpp backend/*.cpp frontend/*.cpp))

.PHONY: all deps lab-deps module-deps build check unit freestanding modules module-test lab lab-all lab-cycles lab-bench demo bench man clean lint deb deb-test
.PHONY: fuzz-deps fuzz-build fuzz fuzz-check
all: build

# The lab builds pcisplit-evil through the project's CMake tree (which needs DEPS, Catch2 included).
lab-deps:
	@$(MAKE) --no-print-directory deps DEPS="$(DEPS) $(LAB_DEPS)"

module-deps:
	@$(MAKE) --no-print-directory deps DEPS="$(MODULE_DEPS)"

deps:
	@missing=""; for p in $(DEPS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" -ne 0 ]; then echo "need root (or sudo) to apt-get install:$$missing" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || exit 1; \
	fi

build: deps
	cmake -S . -B $(BUILD)/release $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=g++-12 >/dev/null
	cmake --build $(BUILD)/release -j $(JOBS)

# Unit tests under ASan + UBSan.
unit: deps
	cmake -S . -B $(BUILD)/asan $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=g++-12 \
	  -DPCISPLIT_SANITIZE=ON >/dev/null
	cmake --build $(BUILD)/asan -j $(JOBS)
	cd $(BUILD)/asan && { ctest --output-on-failure -j $(JOBS) > ctest.log 2>&1; rc=$$?; cat ctest.log; exit $$rc; }

# The core compiled with the kernel's constraints: no exceptions, RTTI, thread-safe statics, standard
# library, FPU or red zone; kernel code model. The objects must carry no constructor/unwind sections and
# reference no symbol the kernel (or our glue) does not provide.
FREESTANDING_FLAGS := -std=gnu++20 -O2 -ffreestanding -fno-exceptions -fno-rtti -fno-threadsafe-statics \
  -fno-use-cxa-atexit -fno-asynchronous-unwind-tables -fno-unwind-tables -nostdinc -nostdinc++ \
  -isystem $(shell g++-12 -print-file-name=include 2>/dev/null) -mcmodel=kernel -fno-PIE -mno-red-zone \
  -mno-sse -mno-mmx -mno-sse2 -mno-3dnow -mno-avx -mindirect-branch=thunk-extern -mindirect-branch-register \
  -mfunction-return=thunk-extern -fno-stack-protector -fcheck-new -Werror=vla -Wall -Wextra -Werror -I.
FREESTANDING_OBJS := $(patsubst %.cpp,$(BUILD)/freestanding/%.o,$(CORE_SRCS))

$(BUILD)/freestanding/%.o: %.cpp | deps
	@mkdir -p $(dir $@)
	@echo "  CXX [freestanding] $<"
	@g++-12 $(FREESTANDING_FLAGS) -c $< -o $@

# Linked together (ld -r, as Kbuild links a composite module object) so that only symbols from
# outside the core remain undefined.
$(BUILD)/freestanding/core.o: $(FREESTANDING_OBJS)
	@ld -r -o $@ $^

freestanding: $(BUILD)/freestanding/core.o $(BUILD)/freestanding/test/freestanding/bad_ctor.o
	@test/freestanding/check-objects.sh $(FREESTANDING_OBJS) $(BUILD)/freestanding/core.o
	@if test/freestanding/check-objects.sh $(BUILD)/freestanding/test/freestanding/bad_ctor.o \
	    $(BUILD)/freestanding/test/freestanding/bad_ctor.o >/dev/null; then \
	  echo "freestanding: the checker accepted test/freestanding/bad_ctor.cpp" >&2; exit 1; \
	else echo "freestanding: the checker rejects a dynamic initialiser and operator new (self-test)"; fi

# Kernel modules with Kbuild, for one Debian release at a time. PLATFORM=bookworm (the default: the
# host's linux-headers-amd64 and g++-12) or PLATFORM=trixie (Debian 13's headers and g++ 14 in a cached
# root under $(BUILD)/platform, made by test/platform/root.sh with debootstrap; the host's apt sources
# are not touched). Kbuild writes objects next to the sources, so the tree is copied to KBUILD_DIR
# first (the sources stay clean). Gate: test/modules/check-build.sh, for every platform.
PLATFORM ?= bookworm
PLATFORMS := bookworm trixie
# $(call platform_suffix,P): what P's build directories and logs carry after their name ("" for
# bookworm, "-trixie"); test/lab/lab.sh and test/platform/modules.sh name them the same way.
platform_suffix = $(if $(filter-out bookworm,$(1)),-$(1))
lab_log = $(BUILD)/lab$(call platform_suffix,$(1)).log
KBUILD_DIR = $(BUILD)/kbuild$(call platform_suffix,$(PLATFORM))
# What Kbuild compiles, copied to KBUILD_DIR (both platforms).
KBUILD_SRCS := Kbuild VERSION protocol conf_space quirks backend frontend
KDIR = /usr/src/$(shell apt-cache depends linux-headers-amd64 2>/dev/null | awk '/Depends: linux-headers-[0-9]/ {print $$2; exit}')
modules: module-deps
	@$(if $(filter $(PLATFORM),$(PLATFORMS)),:,echo "PLATFORM=$(PLATFORM): not one of $(PLATFORMS)" >&2; exit 2)
ifeq ($(PLATFORM),bookworm)
	@rm -rf $(BUILD)/kbuild && mkdir -p $(BUILD)/kbuild
	@cp -r $(KBUILD_SRCS) $(BUILD)/kbuild/
	@echo "  KBUILD $(KDIR)"
	@$(MAKE) --no-print-directory -C $(KDIR) M=$(abspath $(BUILD)/kbuild) modules > $(BUILD)/kbuild/build.log 2>&1 || \
	  { cat $(BUILD)/kbuild/build.log; exit 1; }
else
	@test/platform/modules.sh $(BUILD) $(PLATFORM) $(KBUILD_SRCS)
endif
	@for ko in xen-pciback xen-pcifront; do \
	  test/modules/check-build.sh $(KBUILD_DIR) $(KBUILD_DIR)/build.log $(KBUILD_DIR)/$$ko.ko || exit 1; done

# Loads the modules into the kernel they were built for under QEMU (no Xen): they must refuse cleanly.
module-test: modules lab-deps
	@k=""; if [ $(PLATFORM) != bookworm ]; then k=$$(test/platform/root.sh $(BUILD) $(PLATFORM) kernel) || exit 1; fi; \
	test/modules/boot-refuse.sh $(BUILD) $(KBUILD_DIR) $$k

# The lab: real Xen + Debian dom0/guest in QEMU, every scenario for every backend/frontend pair the tree
# builds (test/lab/lab.sh). BOOTS selects boots (main hide aer, evil for our backend's pairs; multi only when named; bench only via lab-bench).
BOOTS ?=
# PLATFORM=trixie runs it on Debian 13 (Xen 4.20, Linux 6.12; logs under $(BUILD)/lab-trixie).
LAB_MODULES = $(BUILD)/modules$(call platform_suffix,$(PLATFORM))
LAB_LOG = $(call lab_log,$(PLATFORM))
# The "ours" images take the modules DKMS built from the xen-pcisplit-dkms package for the lab's kernel
# (test/packaging/deb-test.sh, rebuilt when a Kbuild source is newer): every lab row tests what the
# package installs. LAB_KO=kbuild takes make modules' instead (quicker while iterating on the glue).
LAB_KO ?= dkms
KBUILD_FILES = $(shell find $(KBUILD_SRCS) -type f)
$(BUILD)/dkms-modules/%/xen-pciback.ko: $(KBUILD_FILES) debian/xen-pcisplit-dkms.dkms debian/rules
	@$(MAKE) --no-print-directory deb
	@DEB_TEST_QUICK=1 test/packaging/deb-test.sh $(BUILD) $*
LAB_KO_DIR = $(if $(filter dkms,$(LAB_KO)),$(BUILD)/dkms-modules/$(PLATFORM),$(KBUILD_DIR))
LAB_KO_DEP = $(if $(filter dkms,$(LAB_KO)),$(BUILD)/dkms-modules/$(PLATFORM)/xen-pciback.ko)
lab: lab-deps modules $(LAB_KO_DEP)
	@mkdir -p $(LAB_MODULES) && cp $(LAB_KO_DIR)/*.ko $(LAB_MODULES)/
	LAB_PLATFORM=$(PLATFORM) test/lab/lab.sh $(BUILD) $(BOOTS) 2>&1 | tee $(LAB_LOG); \
	exit $$(grep -q '^lab: [0-9]* passed, 0 failed' $(LAB_LOG) && echo 0 || echo 1)

lab-cycles: lab-deps modules $(LAB_KO_DEP)
	@mkdir -p $(LAB_MODULES) && cp $(LAB_KO_DIR)/*.ko $(LAB_MODULES)/
	LAB_PLATFORM=$(PLATFORM) test/lab/lab.sh $(BUILD) cycles

# The bench boot for every pair: one guest each times LAB_BENCH_RUNS (7) loops of LAB_BENCH_READS
# (20) reads of its device's 4 KiB config file; the summary gives each pair's median, spread and
# ratio to in-tree. LAB_BENCH_ICOUNT=1 times them by QEMU's instruction count (-icount; lab.sh's
# run_boot); LAB_BENCH_TRACE=1 also traces where each round trip's time goes in dom0 and in the guest
# (test/lab/trace-split.sh). Figures and method: docs/performance.md, "Lab round trips".
lab-bench: lab-deps modules $(LAB_KO_DEP)
	@mkdir -p $(LAB_MODULES) && cp $(LAB_KO_DIR)/*.ko $(LAB_MODULES)/
	LAB_PLATFORM=$(PLATFORM) test/lab/lab.sh $(BUILD) bench

# The whole matrix: both platforms, every pair, every boot but bench and cycles (evil, multi, resets
# and hvm for every pair too, and the PVH dom0 on the platform whose Xen has it); hours on 2 cores.
# HVM guests boot for minutes under TCG (make check has ours in hvmcheck, its short form).
# Logs: $(BUILD)/lab-all-PLATFORM.log; docs/lab.md keeps the last run. `make lab-all LAB_RESUME=1`
# continues an interrupted run: a boot that finished with the same stamp (same modules, scripts,
# platform) is not run again (test/lab/lab.sh, cell_stamp).
LAB_ALL_BOOTS ?= main hide aer evil multi resets hvm
LAB_ALL_BOOTS_trixie ?= pvh
lab-all:
	@rc=0; $(foreach p,$(PLATFORMS), \
	  rm -f $(call lab_log,$(p)); \
	  $(MAKE) --no-print-directory lab PLATFORM=$(p) BOOTS="$(LAB_ALL_BOOTS) $(LAB_ALL_BOOTS_$(p))" || rc=1; \
	  cp $(call lab_log,$(p)) $(BUILD)/lab-all-$(p).log;) \
	for p in $(PLATFORMS); do echo "lab-all $$p: $$(grep '^lab: [0-9]* passed' $(BUILD)/lab-all-$$p.log | tail -1)"; done; \
	test/lab/table.sh $(BUILD) $(PLATFORMS) > $(BUILD)/lab-all-table.md && echo "lab-all: the matrix for docs/lab.md in $(BUILD)/lab-all-table.md"; \
	exit $$rc

# Packages (docs/packaging.md): make deb builds xen-pcisplit-dkms and pcisplit .debs into $(BUILD)/deb
# and runs lintian; make deb-test installs them as an admin would in a Debian root of each release of
# DEB_PLATFORMS (DKMS builds for its kernel; removal brings the kernel's modules back).
DEB_DEPS := debhelper dh-dkms dpkg-dev lintian fakeroot debootstrap
DEB_PLATFORMS ?= bookworm trixie
deb:
	@$(MAKE) --no-print-directory deps DEPS="$(DEPS) $(DEB_DEPS)"
	@test/packaging/deb.sh $(BUILD)

deb-test: deb
	@test/packaging/deb-test.sh $(BUILD) $(DEB_PLATFORMS)

# Fuzzing (test/fuzz, docs/fuzzing.md): Debian's clang with libFuzzer, ASan and UBSan, in $(BUILD)/fuzz.
# make fuzz runs each target FUZZ_RUNS times; make check runs each FUZZ_CHECK_SECONDS.
FUZZ_DEPS := clang-14 libclang-rt-14-dev
FUZZ_CXX := clang++-14
FUZZ_TARGETS := fuzz_parsers fuzz_engine fuzz_xenbus
FUZZ_RUNS ?= 10000000
FUZZ_CHECK_SECONDS ?= 20
FUZZ_JOBS ?= 2
# Processes per target in make fuzz (one shared corpus, the runs split between them).
FUZZ_PARALLEL ?= $(JOBS)
FUZZ ?= 1
FUZZ_FLAGS := -std=c++20 -O2 -g -Wall -Wextra -I. -fsanitize=address,undefined -fno-sanitize-recover=undefined \
  -fno-omit-frame-pointer -DPCISPLIT_TEST_DATA='"$(abspath test/data)"'
# The core and the tool's text readers are instrumented for coverage; the harness (the simulated xenstore) only
# for ASan/UBSan, so the fuzzer's time and guidance go to the code under test.
FUZZ_LIB_OBJS := $(patsubst %.cpp,$(BUILD)/fuzz/obj/%.o,$(CORE_SRCS) tools/pcisplit/dump.cpp tools/pcisplit/status.cpp \
  tools/pcisplit/xenstore_listing.cpp) \
  $(patsubst %.cpp,$(BUILD)/fuzz/harness/%.o,sim/xenstore.cpp test/fuzz/fuzz_support.cpp)
FUZZ_BINS := $(addprefix $(BUILD)/fuzz/,$(FUZZ_TARGETS))

fuzz-deps:
	@$(MAKE) --no-print-directory deps DEPS="$(FUZZ_DEPS)"

$(BUILD)/fuzz/obj/%.o: %.cpp
	@mkdir -p $(dir $@)
	@echo "  CXX [fuzz] $<"
	@$(FUZZ_CXX) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(BUILD)/fuzz/harness/%.o: %.cpp
	@mkdir -p $(dir $@)
	@echo "  CXX [fuzz harness] $<"
	@$(FUZZ_CXX) $(FUZZ_FLAGS) -MMD -MP -c $< -o $@

$(FUZZ_BINS): $(BUILD)/fuzz/%: $(BUILD)/fuzz/obj/test/fuzz/%.o $(FUZZ_LIB_OBJS)
	@echo "  LINK [fuzz] $@"
	@$(FUZZ_CXX) $(FUZZ_FLAGS) -fsanitize=fuzzer $^ -o $@

-include $(shell find $(BUILD)/fuzz/obj $(BUILD)/fuzz/harness -name '*.d' 2>/dev/null)

fuzz-build: fuzz-deps
	@$(MAKE) --no-print-directory -j $(FUZZ_JOBS) $(FUZZ_BINS)

fuzz: fuzz-build
	@FUZZ_PARALLEL=$(FUZZ_PARALLEL) test/fuzz/run.sh $(BUILD)/fuzz "$(FUZZ_TARGETS)" -runs=$(FUZZ_RUNS)

fuzz-check: fuzz-build
	@test/fuzz/run.sh $(BUILD)/fuzz "$(FUZZ_TARGETS)" -max_total_time=$(FUZZ_CHECK_SECONDS) 2>&1 | tee $(BUILD)/fuzz/check.log; \
	exit $$(grep -q '^fuzz: [0-9]* passed, 0 failed' $(BUILD)/fuzz/check.log && echo 0 || echo 1)

# checkpatch.pl from Debian's linux-source package (downloaded once into $(BUILD)/lint, not installed).
lint:
	@test/lint/checkpatch.sh . $(BUILD)/lint

# Summary: ctest's cases + the release build (what make demo needs: g++-12 -O2 warns where the ASan
# build does not) + the freestanding check + the checkpatch lint + the module build and refusal test
# for each Debian release (bookworm, trixie)
# + one per fuzz target (a short run each, unless FUZZ=0) + the lab's scenarios in make check's cells
# on both platforms (unless LAB=0; test/lab/lab.sh's in_check).
check: deps fuzz-deps
	@rc=0; $(MAKE) --no-print-directory unit || rc=1; \
	$(MAKE) --no-print-directory build && rb=1 || { rb=0; rc=1; echo "RELEASE BUILD FAILED"; }; \
	$(MAKE) --no-print-directory freestanding && fs=1 || { fs=0; rc=1; }; \
	$(MAKE) --no-print-directory lint && li=1 || { li=0; rc=1; }; \
	$(MAKE) --no-print-directory module-test PLATFORM=bookworm && ms=1 || { ms=0; rc=1; }; \
	$(MAKE) --no-print-directory module-test PLATFORM=trixie && mt=1 || { mt=0; rc=1; }; \
	$(MAKE) --no-print-directory deb-test DEB_PLATFORMS=bookworm DEB_SECOND_KERNEL=0 2>&1 | tee $(BUILD)/deb-test.log; \
	dp=$$(sed -n 's/^deb-test: \([0-9]*\) passed, \([0-9]*\) failed$$/\1/p' $(BUILD)/deb-test.log | tail -1); \
	df=$$(sed -n 's/^deb-test: \([0-9]*\) passed, \([0-9]*\) failed$$/\2/p' $(BUILD)/deb-test.log | tail -1); \
	[ -n "$$dp" ] || { dp=0; df=1; echo "PACKAGES DID NOT BUILD: see $(BUILD)/deb"; }; \
	[ "$$df" = 0 ] || rc=1; \
	if [ "$(FUZZ)" != 0 ]; then \
	  rm -f $(BUILD)/fuzz/check.log; $(MAKE) --no-print-directory fuzz-check || rc=1; \
	  fp=$$(sed -n 's/^fuzz: \([0-9]*\) passed, \([0-9]*\) failed$$/\1/p' $(BUILD)/fuzz/check.log 2>/dev/null | tail -1); \
	  ff=$$(sed -n 's/^fuzz: \([0-9]*\) passed, \([0-9]*\) failed$$/\2/p' $(BUILD)/fuzz/check.log 2>/dev/null | tail -1); \
	  [ -n "$$fp" ] || { fp=0; ff=$(words $(FUZZ_TARGETS)); echo "FUZZING DID NOT RUN: see $(BUILD)/fuzz"; }; \
	else fp=0; ff=0; echo "fuzzing skipped (FUZZ=0)"; fi; \
	passed=$$(grep -Eo '[0-9]+ tests failed out of [0-9]+' $(BUILD)/asan/ctest.log 2>/dev/null | awk '{print $$6-$$1}'); \
	failed=$$(grep -Eo '[0-9]+ tests failed out of [0-9]+' $(BUILD)/asan/ctest.log 2>/dev/null | awk '{print $$1}'); \
	[ -n "$$passed" ] || { passed=0; failed=1; }; \
	passed=$$((passed + rb + fs + li + ms + mt + fp + dp)); failed=$$((failed + 5 - rb - fs - li - ms - mt + ff + df)); \
	if [ "$(LAB)" != 0 ]; then for pl in $(foreach p,$(PLATFORMS),$(p):$(call lab_log,$(p))); do \
	  p=$${pl%%:*}; log=$${pl#*:}; \
	  rm -f $$log; $(MAKE) --no-print-directory lab PLATFORM=$$p || rc=1; \
	  lp=$$(sed -n 's/^lab: \([0-9]*\) passed, \([0-9]*\) failed$$/\1/p' $$log 2>/dev/null | tail -1); \
	  lf=$$(sed -n 's/^lab: \([0-9]*\) passed, \([0-9]*\) failed$$/\2/p' $$log 2>/dev/null | tail -1); \
	  [ -n "$$lp" ] || { lp=0; lf=1; echo "LAB DID NOT RUN ($$p): see $$log"; }; \
	  echo "lab $$p: $$lp passed, $$lf failed"; \
	  passed=$$((passed + lp)); failed=$$((failed + lf)); \
	done; else echo "lab skipped (LAB=0)"; fi; \
	if [ $$failed -ne 0 ]; then echo "check: what failed (CI keeps only the tail of this log):"; \
	  sed -n '/^The following tests FAILED/,/^Errors while/p' $(BUILD)/asan/ctest.log 2>/dev/null | sed 's/^/  unit: /'; \
	  for g in rb:release-build fs:freestanding li:lint ms:module-test-bookworm mt:module-test-trixie; do \
	    eval "[ \$$$${g%%:*} = 1 ]" || echo "  $${g#*:}"; done; \
	  [ "$$df" = 0 ] || grep '^FAIL' $(BUILD)/deb-test.log | sed 's/^/  deb-test: /'; \
	  [ "$$ff" = 0 ] || grep -iE 'finding|crash|FAIL' $(BUILD)/fuzz/check.log | sed 's/^/  fuzz: /'; \
	  [ "$(LAB)" = 0 ] || for pl in $(foreach p,$(PLATFORMS),$(p):$(call lab_log,$(p))); do \
	    sed -n '/^lab: the failed rows:/,/^lab: [0-9]* passed/p' $${pl#*:} 2>/dev/null | grep -v '^lab: ' | sed "s/^ */  lab $${pl%%:*}: /"; done; \
	fi; \
	echo "$$passed passed, $$failed failed"; \
	[ $$rc -eq 0 ] && [ $$failed -eq 0 ]

# What a guest sees of each recorded device, then the whole protocol in the simulator.
demo: build
	$(BUILD)/release/pcisplit view --lspci test/data/*.lspci
	@echo "==== the protocol end to end in the simulator (pcisplit demo)"
	$(BUILD)/release/pcisplit demo --data test/data

bench: build
	test/bench/run.sh $(BUILD)/release/test/bench_engine

# --one-file-system: never into a mount left under build/platform (test/platform/root.sh unmounts them).
clean:
	rm -rf --one-file-system $(BUILD)

# Man pages from the docs that are written as one (docs/md2man.sh).
man:
	@mkdir -p $(BUILD)/man
	@for md in docs/*.md; do head -1 $$md | grep -Eq '^# [^ (]+\([0-9]\) -- ' || continue; \
	  n=$$(head -1 $$md | sed 's/^# \([^(]*\)(\([0-9]\)).*/\1.\2/'); docs/md2man.sh $$md > $(BUILD)/man/$$n; \
	  echo "$(BUILD)/man/$$n"; done
