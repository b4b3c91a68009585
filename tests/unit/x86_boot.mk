# Make fragment for the x86 guest boot path: the Multiboot and Linux loaders and the guest page-table walker.
UNIT_TESTS += build/unit/test_multiboot
build/unit/test_multiboot: tests/unit/test_multiboot.c tests/unit/fake_arch.c arch/x86_64/multiboot.c arch/x86_64/linux_boot.c arch/x86_64/e820.c arch/x86_64/boot_loader.c kernel/memslot.c arch/x86_64/include/x86_boot.h include/memslot.h
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -Iarch/x86_64/include -o $@ tests/unit/test_multiboot.c tests/unit/fake_arch.c arch/x86_64/multiboot.c arch/x86_64/linux_boot.c arch/x86_64/e820.c arch/x86_64/boot_loader.c kernel/memslot.c $(UNIT_LDLIBS)

UNIT_TESTS += build/unit/test_x86_guest_walk
build/unit/test_x86_guest_walk: tests/unit/test_x86_guest_walk.c tests/unit/fake_arch.c arch/x86_64/guest_walk.c kernel/memslot.c arch/x86_64/include/x86_guest_walk.h include/memslot.h
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -Iarch/x86_64/include -o $@ tests/unit/test_x86_guest_walk.c tests/unit/fake_arch.c arch/x86_64/guest_walk.c kernel/memslot.c $(UNIT_LDLIBS)

UNIT_TESTS += build/unit/test_linux_boot
build/unit/test_linux_boot: tests/unit/test_linux_boot.c tests/unit/fake_arch.c arch/x86_64/linux_boot.c arch/x86_64/multiboot.c arch/x86_64/e820.c arch/x86_64/boot_loader.c kernel/memslot.c arch/x86_64/include/x86_boot.h include/memslot.h
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -Iarch/x86_64/include -o $@ tests/unit/test_linux_boot.c tests/unit/fake_arch.c arch/x86_64/linux_boot.c arch/x86_64/multiboot.c arch/x86_64/e820.c arch/x86_64/boot_loader.c kernel/memslot.c $(UNIT_LDLIBS)

FUZZ_TARGETS += build/fuzz/fuzz_x86_boot
build/fuzz/fuzz_x86_boot: tests/fuzz/fuzz_x86_boot.c tests/fuzz/fuzz_check.h tests/unit/fake_arch.c arch/x86_64/linux_boot.c arch/x86_64/multiboot.c arch/x86_64/e820.c arch/x86_64/boot_loader.c kernel/memslot.c arch/x86_64/include/x86_boot.h
	@mkdir -p $(@D)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Iinclude -Iarch/x86_64/include -o $@ tests/fuzz/fuzz_x86_boot.c tests/unit/fake_arch.c arch/x86_64/linux_boot.c arch/x86_64/multiboot.c arch/x86_64/e820.c arch/x86_64/boot_loader.c kernel/memslot.c
