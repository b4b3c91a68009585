# Make fragment for the x86 vCPU core's control-register policy (arch/x86_64/cr.c) over a fake backend.
UNIT_TESTS += build/unit/test_x86_cr
build/unit/test_x86_cr: tests/unit/test_x86_cr.c arch/x86_64/cr.c arch/x86_64/include/x86_vcpu.h
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -Iarch/x86_64/include -o $@ tests/unit/test_x86_cr.c arch/x86_64/cr.c $(UNIT_LDLIBS)
