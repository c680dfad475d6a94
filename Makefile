# katabox: one static binary from applets/ + core/.
# build.sh passes the library prefixes and version facts (and saves them in
# build/config.mk, so a plain `make` or `make test` works after it).
-include build/config.mk

CC_MUSL    ?= musl-gcc
VERSION    := $(shell cat VERSION)
GIT_COMMIT ?= unknown
MUSL_VERSION ?= unknown
BEARSSL_VERSION ?= unknown
YAJL_VERSION ?= unknown
SECCOMP_VERSION ?= unknown
KERNEL_VERSION ?= unknown

# messages are cut to fixed buffers on purpose; paths check snprintf's result
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter -Wno-format-truncation
CFLAGS  ?= -O2 -g
BASEFLAGS := -std=gnu11 $(WARN) -D_GNU_SOURCE -ffunction-sections -fdata-sections -Ibuild/gen
DEPINC  := -isystem $(KHEADERS) -isystem $(ZLIB)/include -isystem $(BEARSSL)/include \
           -isystem $(LIBARCHIVE)/include -isystem $(YAJL)/include -isystem $(SECCOMP)/include
DEPLIBS := -L$(LIBARCHIVE)/lib -L$(BEARSSL)/lib -L$(ZLIB)/lib -L$(YAJL)/lib -L$(SECCOMP)/lib \
           -larchive -lbearssl -lz -lyajl -lseccomp
LDFLAGS_STATIC := -static -Wl,--gc-sections

APPLET_SRCS := $(wildcard applets/*.c applets/*/*.c)
CORE_SRCS   := $(wildcard core/*.c core/*/*.c)
OBJDIR      := build/obj
CORE_OBJS   := $(CORE_SRCS:%.c=$(OBJDIR)/%.o)
APPLET_OBJS := $(APPLET_SRCS:%.c=$(OBJDIR)/%.o)

LINKS := containerd-shim-kata-v2 kata-runtime kata-agent kata-image

.PHONY: all test unit asan fuzz clean
all: build/katabox $(LINKS:%=build/bin/%) build/initramfs.cpio.gz build/bzImage

# version facts: rewritten only when they change, so nothing rebuilds needlessly
BUILDINFO := "\#define KB_BUILD_VERSION \"$(VERSION)\"\n\#define KB_BUILD_COMMIT \"$(GIT_COMMIT)\"\n\#define KB_BUILD_MUSL \"$(MUSL_VERSION)\"\n\#define KB_BUILD_BEARSSL \"$(BEARSSL_VERSION)\"\n\#define KB_BUILD_YAJL \"$(YAJL_VERSION)\"\n\#define KB_BUILD_SECCOMP \"$(SECCOMP_VERSION)\"\n\#define KB_BUILD_KERNEL \"$(KERNEL_VERSION)\"\n"
build/gen/buildinfo.h: FORCE
	@mkdir -p $(@D)
	@printf $(BUILDINFO) > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
FORCE:

$(OBJDIR)/%.o: %.c build/gen/buildinfo.h
	@mkdir -p $(@D)
	$(CC_MUSL) $(BASEFLAGS) $(CFLAGS) $(DEPINC) -MMD -MP -c -o $@ $<

build/katabox.unstripped: $(APPLET_OBJS) $(CORE_OBJS)
	$(CC_MUSL) $(LDFLAGS_STATIC) -o $@ $^ $(DEPLIBS)

build/katabox: build/katabox.unstripped
	strip -o $@ $<

build/bin/%: build/katabox
	@mkdir -p $(@D)
	ln -sf ../katabox $@

# The initramfs: /init is build/katabox itself. A fixed timestamp and
# gzip -n keep it reproducible.
build/initramfs.cpio.gz: build/katabox initramfs/initramfs.list build/tools/gen_init_cpio
	sed "s|@KATABOX@|$(CURDIR)/build/katabox|" initramfs/initramfs.list >$@.list
	build/tools/gen_init_cpio -t 0 $@.list | gzip -9n >$@.tmp
	rm -f $@.list
	mv $@.tmp $@

build/tools/gen_init_cpio: $(KERNEL_DIR)/gen_init_cpio
	@mkdir -p $(@D)
	cp $< $@

build/bzImage: $(KERNEL_DIR)/bzImage
	cp $< $@

# --- tests ---------------------------------------------------------------
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=build/tests/unit/%)
# sanitizer builds use the host's glibc and Debian's libyajl-dev (the same
# yajl release the binary links); version.c alone needs the musl libs
ASAN_CORE := $(filter-out core/version.c,$(CORE_SRCS))
ASAN_BINS := $(filter-out build/tests/asan/test_version,$(UNIT_SRCS:tests/unit/%.c=build/tests/asan/%))
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=build/tests/fuzz/%)
SANFLAGS  := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# core is compiled once per flavour, not once per test binary
ASAN_OBJS := $(ASAN_CORE:%.c=build/asan-obj/%.o)
FUZZ_OBJS := $(ASAN_CORE:%.c=build/fuzz-obj/%.o)
FUZZFLAGS := -Wno-unknown-warning-option -O1 -g

TOOL_BINS := $(patsubst tests/tools/%.c,build/tests/tools/%,$(wildcard tests/tools/*.c))
unit: $(UNIT_BINS) $(TOOL_BINS) build/tests/oci/probe
asan: $(ASAN_BINS)
fuzz: $(FUZZ_BINS)

build/tests/unit/%: tests/unit/%.c tests/unit/tap.h $(CORE_OBJS)
	@mkdir -p $(@D)
	$(CC_MUSL) $(BASEFLAGS) $(CFLAGS) $(DEPINC) $(LDFLAGS_STATIC) -o $@ $< $(CORE_OBJS) $(DEPLIBS)

# small programs the integration tests drive the runtime with
build/tests/tools/%: tests/tools/%.c
	@mkdir -p $(@D)
	$(CC_MUSL) $(BASEFLAGS) $(CFLAGS) $(LDFLAGS_STATIC) -o $@ $<

# what a container can observe, printed by tests/oci/ under runc and under katabox
build/tests/oci/probe: tests/oci/probe.c
	@mkdir -p $(@D)
	$(CC_MUSL) $(BASEFLAGS) $(CFLAGS) -isystem $(KHEADERS) $(LDFLAGS_STATIC) -o $@ $<

build/asan-obj/%.o: %.c build/gen/buildinfo.h
	@mkdir -p $(@D)
	gcc $(BASEFLAGS) -O1 -g $(SANFLAGS) -MMD -MP -c -o $@ $<

build/fuzz-obj/%.o: %.c build/gen/buildinfo.h
	@mkdir -p $(@D)
	clang $(BASEFLAGS) $(FUZZFLAGS) -fsanitize=fuzzer-no-link,address,undefined -MMD -MP -c -o $@ $<

build/tests/asan/%: tests/unit/%.c tests/unit/tap.h $(ASAN_OBJS)
	@mkdir -p $(@D)
	gcc $(BASEFLAGS) -O1 -g $(SANFLAGS) -Wl,--gc-sections -o $@ $< $(ASAN_OBJS) -lyajl -lseccomp

build/tests/fuzz/%: tests/fuzz/%.c $(FUZZ_OBJS)
	@mkdir -p $(@D)
	clang $(BASEFLAGS) $(FUZZFLAGS) -fsanitize=fuzzer,address,undefined -Wl,--gc-sections -o $@ $< $(FUZZ_OBJS) -lyajl -lseccomp

test: all
	@tests/run.sh

clean:
	rm -rf build/obj build/asan-obj build/fuzz-obj build/tests build/gen build/katabox build/katabox.unstripped build/bin

-include $(shell find build/obj build/asan-obj build/fuzz-obj -name '*.d' 2>/dev/null)
