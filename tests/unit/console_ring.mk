# Make fragment for the console: the VMs' output rings and escaping (kernel/console_ring.c), the drain
# (kernel/vm_console.c over test_vm_console.c's fakes) and the panic path of kernel/console.c.
UNIT_TESTS += build/unit/test_console_ring
build/unit/test_console_ring: tests/unit/test_console_ring.c kernel/console_ring.c include/console_ring.h
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -o $@ tests/unit/test_console_ring.c kernel/console_ring.c $(UNIT_LDLIBS)

UNIT_TESTS += build/unit/test_vm_console
build/unit/test_vm_console: tests/unit/test_vm_console.c kernel/vm_console.c kernel/console_ring.c \
  include/console_ring.h include/vm.h
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -Iarch/aarch64/include -Idrivers -o $@ tests/unit/test_vm_console.c \
	  kernel/vm_console.c kernel/console_ring.c $(UNIT_LDLIBS)

UNIT_TESTS += build/unit/test_console
build/unit/test_console: tests/unit/test_console.c kernel/console.c include/kernel.h include/spinlock.h
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -o $@ tests/unit/test_console.c kernel/console.c $(UNIT_LDLIBS)
