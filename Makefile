# Makefile: build hv.efi for ARCH=aarch64|x86_64, run it, test it, measure it.
# `make` builds both architectures; `make ARCH=x86_64 efi` one of them.
# The first rule of an included fragment (kernel/lwip.mk, tests/*.mk) must never become the
# default goal: plain `make` builds both images and the payloads (checked by make_default.sh).
.DEFAULT_GOAL := all
ARCH ?= aarch64
ARCHES := aarch64 x86_64
B := build/$(ARCH)
NEWLIB := build/newlib/$(ARCH)
LIBFDT_SRC := deps/src/libfdt
DEPS_STAMP := deps/.stamp

HOSTCC ?= gcc
comma := ,

ifeq ($(ARCH),aarch64)
CROSS := aarch64-linux-gnu-
EFI_INC := deps/gnu-efi-arm64/root/usr/include/efi
EFI_LIB := deps/gnu-efi-arm64/root/usr/lib
EFI_CRT0 := $(EFI_LIB)/crt0-efi-aarch64.o
ARCH_CFLAGS := -mgeneral-regs-only -mstrict-align -fno-omit-frame-pointer -mno-outline-atomics
ARCH_LDFLAGS := --defsym=EFI_SUBSYSTEM=0xa
# The exit path (built -O2, the rest -Os: see HOT_SRCS below).
ARCH_HOT_SRCS := $(addprefix arch/aarch64/,trap.c fast_exit.c vcpu.c vgic.c vgic_lr.c vgic_sysreg.c \
  vgic_mmio.c vgic_dist.c vgic_redist.c sysreg_trap.c inject.c vtimer.c exception.c pmu.c fpsimd.c \
  abort.c insn_decode.c vpsci.c counter.c host_irq.c pmu_sysreg.c cpu.c) drivers/gicv3.c drivers/pl011.c
else ifeq ($(ARCH),x86_64)
CROSS :=
EFI_INC := /usr/include/efi
EFI_LIB := /usr/lib
EFI_CRT0 := $(EFI_LIB)/crt0-efi-x86_64.o
ARCH_CFLAGS := -mno-red-zone -mgeneral-regs-only -maccumulate-outgoing-args -DGNU_EFI_USE_MS_ABI
ARCH_LDFLAGS := -z nodynamic-undefined-weak
# binutils 2.40 packs relative relocations on x86-64 only (aarch64: tools/efi-relr.py after the link).
ARCH_RELR := -z pack-relative-relocs
ARCH_HOT_SRCS := $(addprefix arch/x86_64/,svm/svm.c svm/npt.c vmx/vmx.c guest.c emulate.c insn_decode.c \
  insn_alu.c guest_walk.c vlapic.c lapic.c cpuid.c msr.c cr.c fpu.c tsc.c percpu.c vioapic.c exit.c \
  exception.c exit_table.c event.c svm/svm_fast.c)
else
$(error ARCH must be aarch64 or x86_64)
endif

CC := $(CROSS)gcc
LD := $(CROSS)ld
OBJCOPY := $(CROSS)objcopy
LIBGCC := $(shell $(CC) -print-libgcc-file-name 2>/dev/null)

# Our code: freestanding, PIC (UEFI relocates us), no FP/SIMD registers
# (newlib's own code may use them; see docs/architecture.md). Sized for the 256 KiB image budget
# (issue 16): -Os with one section per function and object so the link drops what nothing uses;
# the exit path (HOT_SRCS) is -O2.
CFLAGS := -std=gnu11 -Os -g -Wall -Wextra -Werror -ffreestanding -fpic -fshort-wchar \
  -fno-stack-protector -fno-strict-aliasing -fno-builtin-printf -ffunction-sections -fdata-sections $(ARCH_CFLAGS) \
  -Iarch/$(ARCH)/include -Iinclude -isystem $(NEWLIB)/include \
  -I$(EFI_INC) -I$(EFI_INC)/$(ARCH) -I$(LIBFDT_SRC) -MMD -MP
# Link-time optimisation (issue 16: size): the whole image is one unit at the link, so code
# only one caller needs is inlined or dropped and constants propagate across files. Each file
# keeps its own -Os / -O2 (GCC streams the optimisation level per function), so the exit path
# (HOT_SRCS) is still -O2. LTO=0 builds without it.
LTO ?= 1
ifeq ($(LTO),1)
CFLAGS += -flto=auto
endif
LIBFDT_CFLAGS := $(filter-out -Wextra -Werror -MMD -MP,$(CFLAGS)) -w

# Each arch lists the host drivers it needs in arch/$(ARCH)/drivers.mk (DRIVERS := ...).
DRIVERS :=
-include arch/$(ARCH)/drivers.mk
SRCS := $(wildcard boot/*.c kernel/*.c arch/$(ARCH)/*.c arch/$(ARCH)/*/*.c) $(DRIVERS)
ASMS := $(wildcard arch/$(ARCH)/*.S arch/$(ARCH)/*/*.S)
OBJS := $(patsubst %,$(B)/%.o,$(SRCS) $(ASMS))
LIBFDT_OBJS := $(patsubst $(LIBFDT_SRC)/%.c,$(B)/libfdt/%.o,$(wildcard $(LIBFDT_SRC)/*.c))
include kernel/lwip.mk
include kernel/mbedtls.mk
HOT_SRCS := $(ARCH_HOT_SRCS) $(addprefix kernel/,vcpu.c hypercall.c mmio_bus.c memslot.c memslot_run.c \
  vpl011.c vuart16550.c console_ring.c vm_console.c)
$(patsubst %,$(B)/%.o,$(HOT_SRCS)): CFLAGS += -O2

.PHONY: all efi deps run test bench clean unit fuzz guests
all: $(DEPS_STAMP)
	@for a in $(ARCHES); do $(MAKE) --no-print-directory ARCH=$$a efi || exit 1; done
	@$(MAKE) --no-print-directory guests

# Guest payloads (tests/guests/*.mk append to GUESTS_AARCH64 / GUESTS_X86_64).
GUESTS_AARCH64 :=
GUESTS_X86_64 :=
-include tests/guests/*.mk
guests: $(GUESTS_AARCH64) $(GUESTS_X86_64)

efi: $(B)/hv.efi

deps: $(DEPS_STAMP)
$(DEPS_STAMP): tools/deps.sh
	tools/deps.sh
	@touch $@

$(NEWLIB)/.stamp: | $(DEPS_STAMP)
	tools/build-newlib.sh $(ARCH) $(NEWLIB)

$(B)/%.c.o: %.c $(NEWLIB)/.stamp
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/%.S.o: %.S $(NEWLIB)/.stamp
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -D__ASSEMBLY__ -c $< -o $@

$(B)/libfdt/%.o: $(LIBFDT_SRC)/%.c $(NEWLIB)/.stamp
	@mkdir -p $(@D)
	$(CC) $(LIBFDT_CFLAGS) -c $< -o $@

# --gc-sections drops what nothing reaches from _start; hv.ver makes every symbol local (nothing
# links against the image), without which a -shared link keeps all of them.
$(B)/hv.so: $(OBJS) $(LIBFDT_OBJS) linker/efi-$(ARCH).lds linker/hv.ver
	$(CC) $(filter-out -MMD -MP -I% -isystem $(NEWLIB)/include,$(CFLAGS)) -nostdlib -shared \
	  -Wl,-Bsymbolic,-znocombreloc,--gc-sections,--version-script=linker/hv.ver \
	  $(ARCH_RELR) -T linker/efi-$(ARCH).lds $(addprefix -Wl$(comma),$(ARCH_LDFLAGS)) \
	  -o $@ $(EFI_CRT0) $(OBJS) $(LIBFDT_OBJS) \
	  -L$(EFI_LIB) -L$(NEWLIB)/lib -Wl,--start-group -lgnuefi -lc $(LIBGCC) -Wl,--end-group
	tools/check-relocs.sh $(ARCH) $@

ifeq ($(ARCH),aarch64)
$(B)/hv.efi: $(B)/hv.so tools/pe-fixup.py tools/efi-relr.py
	$(OBJCOPY) -j .text -j .sdata -j .data -j .dynamic -j .rodata -j .rel -j .rela \
	  -j .rel.* -j .rela.* -j .rel* -j .rela* -j .areloc -j .reloc -O binary $< $@.tmp
	python3 tools/efi-relr.py $@.tmp $<
	python3 tools/pe-fixup.py $@.tmp $$($(CROSS)nm $< | awk '$$3 == "_bss_end" { print $$1 }')
	mv $@.tmp $@
else
$(B)/hv.efi: $(B)/hv.so
	$(OBJCOPY) -j .text -j .sdata -j .data -j .bss -j .dynamic -j .dynsym -j .rel -j .rela -j .rel.* \
	  -j .rela.* -j .relr -j .reloc --strip-all --target efi-app-x86_64 --subsystem=10 $< $@
endif

-include $(OBJS:.o=.d)

.DELETE_ON_ERROR:

# ---- tests -------------------------------------------------------------
UNIT_CFLAGS := -g -O1 -Wall -Wextra -Werror -fsanitize=address,undefined -fno-sanitize-recover=all \
  -Iinclude -Itests/unit
UNIT_LDLIBS := -lcriterion
UNIT_TESTS :=
FUZZ_TARGETS :=
-include tests/unit/*.mk

unit: $(UNIT_TESTS)
fuzz: $(FUZZ_TARGETS)

# QEMU=10: every QEMU boot test on the QEMU 10 lane (deps/qemu10; tools/hvrun --qemu 10).
test: $(DEPS_STAMP)
	$(if $(QEMU),HVRUN_QEMU=$(QEMU) )tools/run-tests.sh

# Debian's Linux (from make deps) as a 2-vCPU VM with an interactive busybox shell;
# `poweroff` in the guest ends the VM and then the run. ARCH=aarch64 (default): the arm64
# kernel on a GICv4 host; ARCH=x86_64: the amd64 bzImage under SVM.
ifeq ($(ARCH),aarch64)
run: all
	tools/build-initramfs.sh --if-stale
	tools/hvrun --arch aarch64 --gic 4 --smp 2 --interactive --config tests/configs/run-linux.cfg \
	  --file deps/linux-arm64/Image='\guests\Image' --file build/linux/initrd.gz='\guests\initrd.gz'
else
run: all
	tools/build-initramfs.sh --if-stale --arch x86_64
	tools/hvrun --arch x86_64 --smp 2 --interactive --config tests/configs/run-linux-x86_64.cfg \
	  --file deps/linux-amd64/bzImage='\guests\bzImage' --file build/linux/initrd-x86_64.gz='\guests\initrd.gz'
endif

bench: all
	tools/run-bench.sh

clean:
	rm -rf build/aarch64 build/x86_64 build/unit build/fuzz build/test
