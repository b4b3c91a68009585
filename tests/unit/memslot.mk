UNIT_TESTS += build/unit/test_memslot
build/unit/test_memslot: tests/unit/test_memslot.c tests/unit/fake_arch.c kernel/memslot.c kernel/mmio_bus.c include/memslot.h include/mmio_bus.h
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -o $@ tests/unit/test_memslot.c tests/unit/fake_arch.c kernel/memslot.c kernel/mmio_bus.c $(UNIT_LDLIBS)
