# tests/guests/x86_64.mk: freestanding Multiboot v1 test payloads for x86_64 (tests/guests/x86_64/README.md).
# Included by the top-level Makefile; standalone: make -f tests/guests/x86_64.mk guests-x86_64
# Rules here must not become the includer's default goal: remember it, restore it at the end.
GX64_PREV_GOAL := $(.DEFAULT_GOAL)
GX64_CC ?= gcc
GX64_OBJCOPY ?= objcopy
GX64_SRC := tests/guests/x86_64
GX64_OUT := build/guests/x86_64
GX64_PAYLOADS := hello basics probe secret bench idle core bigmem lowseg pc excloop smm flood quiet nvmx
# Programs both arches build, from tests/guests/common/programs/.
GX64_SHARED := flood quiet

# 64-bit code below 2 GiB (-mcmodel=small, the default), no SSE (interrupt handlers do not
# save it), no red zone (interrupts push onto the stack in use).
GX64_CFLAGS := -m64 -std=gnu11 -O2 -g -Wall -Wextra -Werror -ffreestanding -nostdlib -fno-pic -fno-pie \
  -static -fno-stack-protector -fno-asynchronous-unwind-tables -mno-red-zone -mgeneral-regs-only \
  -I$(GX64_SRC)/rt -Itests/guests/common -Iinclude -MMD -MP
GX64_LDFLAGS := -m64 -nostdlib -static -no-pie -Wl,-m,elf_x86_64 -Wl,--build-id=none \
  -Wl,-z,max-page-size=4096 -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments -T $(GX64_SRC)/rt/guest.lds

GX64_RT_SRCS := $(wildcard $(GX64_SRC)/rt/*.c $(GX64_SRC)/rt/*.S)
GX64_RT_OBJS := $(patsubst $(GX64_SRC)/%,$(GX64_OUT)/%.o,$(GX64_RT_SRCS))
# Shared by both runtimes (printf engine, string functions).
GX64_COMMON_OBJS := $(patsubst tests/guests/common/%,$(GX64_OUT)/common/%.o,$(wildcard tests/guests/common/*.c))
GX64_MAIN_OBJS := $(patsubst %,$(GX64_OUT)/%.c.o,$(filter-out $(GX64_SHARED),$(GX64_PAYLOADS)))
GX64_SHARED_OBJS := $(GX64_SHARED:%=$(GX64_OUT)/%.c.o)
GX64_ELF64S := $(GX64_PAYLOADS:%=$(GX64_OUT)/%.elf64)
GUESTS_X86_64 += $(GX64_PAYLOADS:%=$(GX64_OUT)/%.elf)

.PHONY: guests-x86_64
guests-x86_64: $(GX64_PAYLOADS:%=$(GX64_OUT)/%.elf)

# Static pattern rules: they match only these files, so they cannot collide with the
# top-level rules.
$(GX64_COMMON_OBJS): $(GX64_OUT)/common/%.o: tests/guests/common/%
	@mkdir -p $(@D)
	$(GX64_CC) $(GX64_CFLAGS) -c $< -o $@

$(GX64_RT_OBJS) $(GX64_MAIN_OBJS): $(GX64_OUT)/%.o: $(GX64_SRC)/%
	@mkdir -p $(@D)
	$(GX64_CC) $(GX64_CFLAGS) -c $< -o $@

# Their dependencies go to NAME.c.dep: a NAME.c.d left by an older tree names a source that moved.
$(GX64_SHARED_OBJS): $(GX64_OUT)/%.o: tests/guests/common/programs/%
	@mkdir -p $(@D)
	$(GX64_CC) $(GX64_CFLAGS) -MF $(@:.o=.dep) -c $< -o $@

# NAME.elf64 keeps the x86-64 symbols for gdb.
$(GX64_ELF64S): $(GX64_OUT)/%.elf64: $(GX64_OUT)/%.c.o $(GX64_RT_OBJS) $(GX64_COMMON_OBJS) $(GX64_SRC)/rt/guest.lds
	$(GX64_CC) $(GX64_LDFLAGS) -o $@ $< $(GX64_RT_OBJS) $(GX64_COMMON_OBJS) -lgcc

# Multiboot loaders (QEMU's -kernel among them) take only 32-bit ELF: same bytes and
# addresses, ELF32 headers; the entry point is the 32-bit _start32.
$(GX64_PAYLOADS:%=$(GX64_OUT)/%.elf): $(GX64_OUT)/%.elf: $(GX64_OUT)/%.elf64
	$(GX64_OBJCOPY) -O elf32-i386 $< $@

-include $(GX64_RT_OBJS:.o=.d) $(GX64_MAIN_OBJS:.o=.d) $(GX64_SHARED_OBJS:.o=.dep) $(GX64_COMMON_OBJS:.o=.d)

.DEFAULT_GOAL := $(GX64_PREV_GOAL)
