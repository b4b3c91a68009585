# Make fragment for the guest timer deadline conversion (arch/aarch64/include/cnt_deadline.h).
UNIT_TESTS += build/unit/test_cnt_deadline
build/unit/test_cnt_deadline: tests/unit/test_cnt_deadline.c arch/aarch64/include/cnt_deadline.h
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -Iarch/aarch64/include -o $@ tests/unit/test_cnt_deadline.c $(UNIT_LDLIBS)
