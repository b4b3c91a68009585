# Make fragment for the vGIC's list registers (arch/aarch64/vgic_lr.c) over a fake ICH_* register
# file (tests/unit/fake_sysreg.c, selected in sysreg.h by HV_FAKE_SYSREG). VGIC_UNIT_SRCS: vgic.mk
# (included before this one: make sorts the tests/unit/*.mk glob).
UNIT_TESTS += build/unit/test_vgic_lr
build/unit/test_vgic_lr: tests/unit/test_vgic_lr.c tests/unit/fake_arch.c tests/unit/fake_kernel.c tests/unit/fake_sysreg.c \
  tests/unit/fake_sysreg.h arch/aarch64/vgic_lr.c arch/aarch64/vgic_sysreg.c $(VGIC_UNIT_SRCS) arch/aarch64/include/sysreg.h \
  arch/aarch64/include/vgic.h arch/aarch64/include/vgic_internal.h arch/aarch64/include/vgic_state.h
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -DHV_FAKE_SYSREG -Iarch/aarch64/include -Idrivers -o $@ tests/unit/test_vgic_lr.c \
	  tests/unit/fake_arch.c tests/unit/fake_kernel.c tests/unit/fake_sysreg.c arch/aarch64/vgic_lr.c arch/aarch64/vgic_sysreg.c $(VGIC_UNIT_SRCS) $(UNIT_LDLIBS)
