# Make fragment for the backends' exit tables (arch/x86_64/exit_table.c).
UNIT_TESTS += build/unit/test_x86_exit_table
build/unit/test_x86_exit_table: tests/unit/test_x86_exit_table.c arch/x86_64/exit_table.c arch/x86_64/include/x86_vcpu.h
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -Iarch/x86_64/include -o $@ tests/unit/test_x86_exit_table.c arch/x86_64/exit_table.c $(UNIT_LDLIBS)
