# Make fragment for the emulated 16550A's register model (kernel/vuart16550.c): unit test (Criterion).
UNIT_TESTS += build/unit/test_vuart16550
build/unit/test_vuart16550: tests/unit/test_vuart16550.c kernel/vuart16550.c include/vuart16550.h tests/unit/fake_arch.c
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -Iarch/x86_64/include -o $@ tests/unit/test_vuart16550.c kernel/vuart16550.c \
	  tests/unit/fake_arch.c $(UNIT_LDLIBS)
