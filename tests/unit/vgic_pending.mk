# Make fragment for the vGIC's pending tracking (arch/aarch64/vgic.c vgic_track_*, vgic_lr.c) over a
# fake ICH_* register file. VGIC_UNIT_SRCS: vgic.mk (sorted before this one).
UNIT_TESTS += build/unit/test_vgic_pending
build/unit/test_vgic_pending: tests/unit/test_vgic_pending.c tests/unit/fake_arch.c tests/unit/fake_kernel.c \
  tests/unit/fake_sysreg.c tests/unit/fake_sysreg.h arch/aarch64/vgic_lr.c $(VGIC_UNIT_SRCS) arch/aarch64/include/sysreg.h \
  arch/aarch64/include/vgic.h arch/aarch64/include/vgic_internal.h arch/aarch64/include/vgic_state.h
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -DHV_FAKE_SYSREG -Iarch/aarch64/include -Idrivers -o $@ tests/unit/test_vgic_pending.c \
	  tests/unit/fake_arch.c tests/unit/fake_kernel.c tests/unit/fake_sysreg.c arch/aarch64/vgic_lr.c $(VGIC_UNIT_SRCS) $(UNIT_LDLIBS)
