# tests/guests/aarch64.mk: freestanding EL1 test payloads for aarch64 (tests/guests/aarch64/README.md).
# Included by the top-level Makefile; standalone: make -f tests/guests/aarch64.mk guests-aarch64
# Rules here must not become the includer's default goal: remember it, restore it at the end.
GA64_PREV_GOAL := $(.DEFAULT_GOAL)
GA64_CROSS ?= aarch64-linux-gnu-
GA64_SRC := tests/guests/aarch64
GA64_OUT := build/guests/aarch64
GA64_PAYLOADS := hello basics reset probe secret crash bench its pmu gic passthrough idle flood quiet edu fastpath hostile memslot migrate
# Programs both arches build, from tests/guests/common/programs/.
GA64_SHARED := flood quiet

GA64_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -ffreestanding -nostdlib -fno-pic -static \
  -fno-stack-protector -mgeneral-regs-only -mstrict-align -I$(GA64_SRC)/rt -Itests/guests/common -Iinclude -MMD -MP
GA64_LDFLAGS := -nostdlib -static -Wl,--build-id=none -Wl,--no-warn-rwx-segments -T $(GA64_SRC)/rt/guest.lds

GA64_RT_SRCS := $(wildcard $(GA64_SRC)/rt/*.c $(GA64_SRC)/rt/*.S)
GA64_RT_OBJS := $(patsubst $(GA64_SRC)/%,$(GA64_OUT)/%.o,$(GA64_RT_SRCS))
# Shared by both runtimes (printf engine, string functions).
GA64_COMMON_OBJS := $(patsubst tests/guests/common/%,$(GA64_OUT)/common/%.o,$(wildcard tests/guests/common/*.c))
GA64_MAIN_OBJS := $(patsubst %,$(GA64_OUT)/%.c.o,$(filter-out $(GA64_SHARED),$(GA64_PAYLOADS)))
GA64_SHARED_OBJS := $(GA64_SHARED:%=$(GA64_OUT)/%.c.o)
GA64_ELFS := $(GA64_PAYLOADS:%=$(GA64_OUT)/%.elf)
GUESTS_AARCH64 += $(GA64_PAYLOADS:%=$(GA64_OUT)/%.bin)

.PHONY: guests-aarch64
guests-aarch64: $(GA64_PAYLOADS:%=$(GA64_OUT)/%.bin)

# Static pattern rules: they match only these files, so they cannot collide with the
# top-level rules, and the .elf files are kept for debugging.
$(GA64_COMMON_OBJS): $(GA64_OUT)/common/%.o: tests/guests/common/%
	@mkdir -p $(@D)
	$(GA64_CROSS)gcc $(GA64_CFLAGS) -c $< -o $@

$(GA64_RT_OBJS) $(GA64_MAIN_OBJS): $(GA64_OUT)/%.o: $(GA64_SRC)/%
	@mkdir -p $(@D)
	$(GA64_CROSS)gcc $(GA64_CFLAGS) -c $< -o $@

# Their dependencies go to NAME.c.dep: a NAME.c.d left by an older tree names a source that moved.
$(GA64_SHARED_OBJS): $(GA64_OUT)/%.o: tests/guests/common/programs/%
	@mkdir -p $(@D)
	$(GA64_CROSS)gcc $(GA64_CFLAGS) -MF $(@:.o=.dep) -c $< -o $@

$(GA64_ELFS): $(GA64_OUT)/%.elf: $(GA64_OUT)/%.c.o $(GA64_RT_OBJS) $(GA64_COMMON_OBJS) $(GA64_SRC)/rt/guest.lds
	$(GA64_CROSS)gcc $(GA64_LDFLAGS) -o $@ $< $(GA64_RT_OBJS) $(GA64_COMMON_OBJS) -lgcc

# .bss is written out too (see guest.lds): the file then spans the whole image.
$(GA64_PAYLOADS:%=$(GA64_OUT)/%.bin): $(GA64_OUT)/%.bin: $(GA64_OUT)/%.elf
	$(GA64_CROSS)objcopy -O binary --set-section-flags .bss=alloc,load,contents $< $@

# hello.img: hello.bin inside an arm64 Image header, for the Linux boot protocol loader.
GUESTS_AARCH64 += $(GA64_OUT)/hello.img
guests-aarch64: $(GA64_OUT)/hello.img
$(GA64_OUT)/hello.img: $(GA64_OUT)/hello.bin $(GA64_SRC)/mkimage.py
	python3 $(GA64_SRC)/mkimage.py $< $@

# custom.dtb: a configured device tree (hv.cfg `dtb`) for the boot tests.
GUESTS_AARCH64 += $(GA64_OUT)/custom.dtb
guests-aarch64: $(GA64_OUT)/custom.dtb
$(GA64_OUT)/custom.dtb: $(GA64_SRC)/custom.dts
	@mkdir -p $(@D)
	dtc -q -I dts -O dtb -o $@ $<

-include $(GA64_RT_OBJS:.o=.d) $(GA64_MAIN_OBJS:.o=.d) $(GA64_SHARED_OBJS:.o=.dep) $(GA64_COMMON_OBJS:.o=.d)

.DEFAULT_GOAL := $(GA64_PREV_GOAL)
