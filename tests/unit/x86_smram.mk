# Make fragment for SMRAM's host bridge registers and memory views (arch/x86_64/smram.c) through PCI
# configuration mechanism #1 (vpci_conf1.c), over real memslots and NPT tables in host memory.
X86_SMRAM_SRCS := arch/x86_64/smram.c arch/x86_64/vpci_conf1.c arch/x86_64/svm/npt.c kernel/vpci.c kernel/mmio_bus.c \
  kernel/memslot.c kernel/pgtable.c tests/unit/fake_arch.c
UNIT_TESTS += build/unit/test_x86_smram
build/unit/test_x86_smram: tests/unit/test_x86_smram.c $(X86_SMRAM_SRCS) arch/x86_64/include/arch_vm.h arch/x86_64/include/x86_vcpu.h
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -Iarch/x86_64/include -o $@ tests/unit/test_x86_smram.c $(X86_SMRAM_SRCS) $(UNIT_LDLIBS)
