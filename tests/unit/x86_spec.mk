# Make fragment for the x86 speculative-execution policy (arch/x86_64/spec.c: x86_spec_decide).
UNIT_TESTS += build/unit/test_x86_spec
build/unit/test_x86_spec: tests/unit/test_x86_spec.c arch/x86_64/spec_policy.c arch/x86_64/include/x86_spec.h
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -Iarch/x86_64/include -o $@ tests/unit/test_x86_spec.c arch/x86_64/spec_policy.c $(UNIT_LDLIBS)
