# Make fragment for the VMs' console output: the pure ring and escaping (kernel/console_ring.c), and
# the drain's fairness and rate over it (kernel/vm_console.c with tests/unit/test_vm_console.c's fakes).
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
