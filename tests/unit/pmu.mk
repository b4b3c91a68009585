# Make fragment for the emulated PMU's counter arithmetic (arch/aarch64/pmu.c, pure).
UNIT_TESTS += build/unit/test_pmu
build/unit/test_pmu: tests/unit/test_pmu.c arch/aarch64/pmu.c arch/aarch64/include/pmu.h
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -Iarch/aarch64/include -o $@ tests/unit/test_pmu.c arch/aarch64/pmu.c $(UNIT_LDLIBS)
