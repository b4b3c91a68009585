# Make fragment for nested VMX's pure parts (arch/x86_64/vmx/vmcs12*.c, nested_caps.c): unit tests and the
# vmcs12 accessor's libFuzzer target.
UNIT_TESTS += build/unit/test_vmcs12
build/unit/test_vmcs12: tests/unit/test_vmcs12.c arch/x86_64/vmx/vmcs12.c arch/x86_64/vmx/vmcs12.h
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -Iarch/x86_64/vmx -o $@ tests/unit/test_vmcs12.c arch/x86_64/vmx/vmcs12.c $(UNIT_LDLIBS)

FUZZ_TARGETS += build/fuzz/fuzz_vmcs12
build/fuzz/fuzz_vmcs12: tests/fuzz/fuzz_vmcs12.c tests/fuzz/fuzz_check.h arch/x86_64/vmx/vmcs12.c arch/x86_64/vmx/vmcs12.h
	@mkdir -p $(@D)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Iarch/x86_64/vmx -o $@ tests/fuzz/fuzz_vmcs12.c arch/x86_64/vmx/vmcs12.c

UNIT_TESTS += build/unit/test_vmcs12_check
build/unit/test_vmcs12_check: tests/unit/test_vmcs12_check.c arch/x86_64/vmx/vmcs12_check.c arch/x86_64/vmx/vmcs12_check.h arch/x86_64/vmx/nested_caps.c arch/x86_64/include/x86_nested_caps.h arch/x86_64/vmx/vmcs12.h arch/x86_64/vmx/nested_ept.c
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -Iarch/x86_64/vmx -Iarch/x86_64/include -o $@ tests/unit/test_vmcs12_check.c arch/x86_64/vmx/vmcs12_check.c arch/x86_64/vmx/nested_caps.c arch/x86_64/vmx/nested_ept.c $(UNIT_LDLIBS)

UNIT_TESTS += build/unit/test_vmcs12_reflect
build/unit/test_vmcs12_reflect: tests/unit/test_vmcs12_reflect.c arch/x86_64/vmx/vmcs12_reflect.c arch/x86_64/vmx/vmcs12_reflect.h arch/x86_64/vmx/vmcs12.h
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -Iarch/x86_64/vmx -Iarch/x86_64/include -o $@ tests/unit/test_vmcs12_reflect.c arch/x86_64/vmx/vmcs12_reflect.c $(UNIT_LDLIBS)

UNIT_TESTS += build/unit/test_nested_ept
build/unit/test_nested_ept: tests/unit/test_nested_ept.c arch/x86_64/vmx/nested_ept.c arch/x86_64/vmx/nested_ept.h arch/x86_64/vmx/nested_shadow.c arch/x86_64/vmx/nested_shadow.h arch/x86_64/vmx/nested_caps.c arch/x86_64/vmx/ept.c kernel/pgtable.c
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -Iarch/x86_64/vmx -Iarch/x86_64/include -o $@ tests/unit/test_nested_ept.c arch/x86_64/vmx/nested_ept.c arch/x86_64/vmx/nested_shadow.c arch/x86_64/vmx/nested_caps.c arch/x86_64/vmx/ept.c kernel/pgtable.c $(UNIT_LDLIBS)
