# Make fragment for the x86 vCPU core's shared rules (arch/x86_64/event.c, cpu_state.c, msr_map.c) over a fake backend.
UNIT_TESTS += build/unit/test_x86_vcpu_core
build/unit/test_x86_vcpu_core: tests/unit/test_x86_vcpu_core.c arch/x86_64/event.c arch/x86_64/cpu_state.c arch/x86_64/msr_map.c arch/x86_64/include/x86_vcpu.h arch/x86_64/include/arch_vm.h
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -Iarch/x86_64/include -o $@ tests/unit/test_x86_vcpu_core.c arch/x86_64/event.c arch/x86_64/cpu_state.c arch/x86_64/msr_map.c $(UNIT_LDLIBS)
