# Make fragment for guest SMM's pure parts: the SMRAM state-save map (arch/x86_64/smm_state.c) and the
# RSM checks (arch/x86_64/rsm_check.c): unit test (Criterion) and a libFuzzer target over the map.
X86_SMM_SRCS := arch/x86_64/smm_state.c arch/x86_64/rsm_check.c
UNIT_TESTS += build/unit/test_x86_smm
build/unit/test_x86_smm: tests/unit/test_x86_smm.c $(X86_SMM_SRCS) arch/x86_64/include/x86_smm.h
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -Iarch/x86_64/include -o $@ tests/unit/test_x86_smm.c $(X86_SMM_SRCS) $(UNIT_LDLIBS)

FUZZ_TARGETS += build/fuzz/fuzz_x86_rsm
build/fuzz/fuzz_x86_rsm: tests/fuzz/fuzz_x86_rsm.c tests/fuzz/fuzz_check.h $(X86_SMM_SRCS) arch/x86_64/include/x86_smm.h
	@mkdir -p $(@D)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Iarch/x86_64/include -o $@ tests/fuzz/fuzz_x86_rsm.c $(X86_SMM_SRCS)

# smm.c's flows (SMI delivery, the latch, RSM, relocation, the #UD decode, the MSRs) over a fake backend
# and real memslots in host memory.
UNIT_TESTS += build/unit/test_x86_smm_flow
build/unit/test_x86_smm_flow: tests/unit/test_x86_smm_flow.c arch/x86_64/smm.c $(X86_SMM_SRCS) kernel/memslot.c kernel/mmio_bus.c tests/unit/fake_arch.c arch/x86_64/include/arch_vm.h arch/x86_64/include/x86_vcpu.h
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -Iarch/x86_64/include -o $@ tests/unit/test_x86_smm_flow.c arch/x86_64/smm.c $(X86_SMM_SRCS) kernel/memslot.c kernel/mmio_bus.c tests/unit/fake_arch.c $(UNIT_LDLIBS)
