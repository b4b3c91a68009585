# Make fragment for the ID register allow-list (arch/aarch64/id_regs.c).
UNIT_TESTS += build/unit/test_id_regs
build/unit/test_id_regs: tests/unit/test_id_regs.c arch/aarch64/id_regs.c arch/aarch64/include/id_regs.h
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -Iarch/aarch64/include -o $@ tests/unit/test_id_regs.c arch/aarch64/id_regs.c $(UNIT_LDLIBS)
