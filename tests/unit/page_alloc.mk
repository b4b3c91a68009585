UNIT_TESTS += build/unit/test_page_alloc
build/unit/test_page_alloc: tests/unit/test_page_alloc.c kernel/page_alloc.c include/page_alloc.h
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -o $@ tests/unit/test_page_alloc.c kernel/page_alloc.c $(UNIT_LDLIBS)
