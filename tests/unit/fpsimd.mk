# Make fragment for lazy FP/SIMD switching (arch/aarch64/fpsimd.c): CPTR_EL2 over fake system
# registers (HV_FAKE_SYSREG); the test supplies fpsimd_save/fpsimd_load (fpsimd.S) and this_cpu.
UNIT_TESTS += build/unit/test_fpsimd
build/unit/test_fpsimd: tests/unit/test_fpsimd.c tests/unit/fake_sysreg.c tests/unit/fake_sysreg.h \
  arch/aarch64/fpsimd.c arch/aarch64/include/guest.h arch/aarch64/include/cpu_data.h arch/aarch64/include/sysreg.h
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -DHV_FAKE_SYSREG -Iarch/aarch64/include -o $@ tests/unit/test_fpsimd.c \
	  tests/unit/fake_sysreg.c arch/aarch64/fpsimd.c $(UNIT_LDLIBS)
