# Make fragment for PCI configuration mechanism #1 with RST_CNT (arch/x86_64/vpci_conf1.c) and the 8042
# (arch/x86_64/vi8042.c) through the VM's port bus: unit test (Criterion).
X86_PC_PORTS_SRCS := arch/x86_64/vpci_conf1.c arch/x86_64/vi8042.c kernel/vpci.c kernel/mmio_bus.c tests/unit/fake_arch.c
UNIT_TESTS += build/unit/test_x86_pc_ports
build/unit/test_x86_pc_ports: tests/unit/test_x86_pc_ports.c $(X86_PC_PORTS_SRCS) arch/x86_64/include/x86_vplatform.h include/vpci.h
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -Iarch/x86_64/include -o $@ tests/unit/test_x86_pc_ports.c $(X86_PC_PORTS_SRCS) $(UNIT_LDLIBS)
