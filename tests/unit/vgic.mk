# Make fragment for the vGICv3's register model and interrupt state (arch/aarch64/vgic*.c, without
# the list registers and system registers: vgic_lr.mk tests those over fake ICH_* registers).
VGIC_UNIT_SRCS := arch/aarch64/vgic.c arch/aarch64/vgic_mmio.c arch/aarch64/vgic_dist.c \
  arch/aarch64/vgic_redist.c arch/aarch64/vgic_lpi.c
UNIT_TESTS += build/unit/test_vgic
build/unit/test_vgic: tests/unit/test_vgic.c tests/unit/fake_arch.c tests/unit/fake_kernel.c $(VGIC_UNIT_SRCS) \
  arch/aarch64/include/vgic.h arch/aarch64/include/vgic_internal.h arch/aarch64/include/vgic_state.h
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -Iarch/aarch64/include -Idrivers -o $@ tests/unit/test_vgic.c tests/unit/fake_arch.c tests/unit/fake_kernel.c \
	  $(VGIC_UNIT_SRCS) $(UNIT_LDLIBS)
