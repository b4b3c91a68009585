# Make fragment for GICv4 direct injection (arch/aarch64/vgic_v4_mirror.c, vgic_v4_vpe.c,
# vgic_v4_prop.c) over a fake physical ITS (tests/unit/fake_gits.c), driven through the emulated
# ITS and its binding (vgic_its_cmd.c, vgic_its.c) and the vGIC: unit test (Criterion) and
# libFuzzer target. VGIC_UNIT_SRCS comes from vgic.mk.
V4_UNIT_SRCS = tests/unit/fake_arch.c tests/unit/fake_kernel.c tests/unit/fake_gits.c tests/unit/fake_vm_env.c \
  arch/aarch64/vgic_v4_mirror.c arch/aarch64/vgic_v4_vpe.c arch/aarch64/vgic_v4_prop.c \
  arch/aarch64/vgic_its.c arch/aarch64/vgic_its_cmd.c $(VGIC_UNIT_SRCS)
V4_UNIT_HDRS = tests/unit/fake_gits.h tests/unit/fake_vm_env.h arch/aarch64/include/vgic_v4.h \
  arch/aarch64/include/vgic_its.h arch/aarch64/include/vgic_internal.h drivers/gicv3_its.h

UNIT_TESTS += build/unit/test_vgic_v4
build/unit/test_vgic_v4: tests/unit/test_vgic_v4.c $(V4_UNIT_SRCS) $(V4_UNIT_HDRS)
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -Iarch/aarch64/include -Idrivers -o $@ tests/unit/test_vgic_v4.c \
	  $(V4_UNIT_SRCS) $(UNIT_LDLIBS)

FUZZ_TARGETS += build/fuzz/fuzz_vgic_v4
build/fuzz/fuzz_vgic_v4: tests/fuzz/fuzz_vgic_v4.c tests/fuzz/fuzz_check.h $(V4_UNIT_SRCS) $(V4_UNIT_HDRS)
	@mkdir -p $(@D)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Iarch/aarch64/include \
	  -Iinclude -Idrivers -Itests/unit -o $@ tests/fuzz/fuzz_vgic_v4.c $(V4_UNIT_SRCS)
