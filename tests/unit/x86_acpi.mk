# Make fragment for the guest ACPI platform: AML builder, tables (read back with drivers/acpi.c), e820, PM1.
X86_ACPI_SRCS := arch/x86_64/aml.c arch/x86_64/acpi_guest.c arch/x86_64/vpm1.c arch/x86_64/e820.c drivers/acpi.c \
  kernel/memslot.c kernel/mmio_bus.c tests/unit/fake_arch.c
UNIT_TESTS += build/unit/test_x86_acpi
build/unit/test_x86_acpi: tests/unit/test_x86_acpi.c $(X86_ACPI_SRCS) arch/x86_64/include/aml.h arch/x86_64/include/x86_vplatform.h arch/x86_64/include/x86_boot.h arch/x86_64/include/arch_vm.h drivers/acpi.h
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -D_GNU_SOURCE -Iarch/x86_64/include -Idrivers -o $@ tests/unit/test_x86_acpi.c $(X86_ACPI_SRCS) $(UNIT_LDLIBS)
