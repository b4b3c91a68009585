UNIT_TESTS += build/unit/test_stage2
build/unit/test_stage2: tests/unit/test_stage2.c tests/unit/fake_pt_env.h kernel/pgtable.c arch/aarch64/stage2.c include/pgtable.h include/stage2.h
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -o $@ tests/unit/test_stage2.c kernel/pgtable.c arch/aarch64/stage2.c $(UNIT_LDLIBS)
