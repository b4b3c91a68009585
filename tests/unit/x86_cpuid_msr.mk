# Make fragment for the x86 CPUID/MSR policy, the virtual LAPIC's MSRs and kvmclock over a fake host CPU (fake_x86.c).
X86_POLICY_SRCS := arch/x86_64/cpuid.c arch/x86_64/msr.c arch/x86_64/vmx/nested_caps.c arch/x86_64/vlapic.c arch/x86_64/kvmclock.c kernel/memslot.c kernel/mmio_bus.c tests/unit/fake_x86.c tests/unit/fake_arch.c
UNIT_TESTS += build/unit/test_x86_cpuid_msr
build/unit/test_x86_cpuid_msr: tests/unit/test_x86_cpuid_msr.c $(X86_POLICY_SRCS) tests/unit/fake_x86.h arch/x86_64/include/x86_cpuid.h arch/x86_64/include/arch_vm.h arch/x86_64/include/x86_vplatform.h
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -DHV_FAKE_CPUID -Iarch/x86_64/include -o $@ tests/unit/test_x86_cpuid_msr.c $(X86_POLICY_SRCS) $(UNIT_LDLIBS)

UNIT_TESTS += build/unit/test_x86_kvmclock
build/unit/test_x86_kvmclock: tests/unit/test_x86_kvmclock.c $(X86_POLICY_SRCS) tests/unit/fake_x86.h arch/x86_64/include/arch_vm.h arch/x86_64/include/x86_vplatform.h
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -DHV_FAKE_CPUID -Iarch/x86_64/include -o $@ tests/unit/test_x86_kvmclock.c $(X86_POLICY_SRCS) $(UNIT_LDLIBS)
