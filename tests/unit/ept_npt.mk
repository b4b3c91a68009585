UNIT_TESTS += build/unit/test_ept_npt
build/unit/test_ept_npt: tests/unit/test_ept_npt.c tests/unit/fake_pt_env.h kernel/pgtable.c arch/x86_64/vmx/ept.c arch/x86_64/svm/npt.c include/pgtable.h include/stage2.h
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -o $@ tests/unit/test_ept_npt.c kernel/pgtable.c arch/x86_64/vmx/ept.c arch/x86_64/svm/npt.c $(UNIT_LDLIBS)
