# Make fragment for the x86 vCPU start state both backends load (arch/x86_64/cpu_reset.c).
UNIT_TESTS += build/unit/test_x86_cpu_reset
build/unit/test_x86_cpu_reset: tests/unit/test_x86_cpu_reset.c arch/x86_64/cpu_reset.c arch/x86_64/include/x86_boot.h arch/x86_64/include/x86_smm.h arch/x86_64/include/x86_regs.h
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -Iarch/x86_64/include -o $@ tests/unit/test_x86_cpu_reset.c arch/x86_64/cpu_reset.c $(UNIT_LDLIBS)
