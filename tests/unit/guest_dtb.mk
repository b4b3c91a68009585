# Make fragment for the aarch64 guest device tree (generated or patched with libfdt).
GUEST_DTB_LIBFDT := $(wildcard deps/src/libfdt/fdt*.c)
UNIT_TESTS += build/unit/test_guest_dtb
build/unit/test_guest_dtb: tests/unit/test_guest_dtb.c tests/unit/fake_kernel.c arch/aarch64/guest_dtb.c arch/aarch64/include/guest_dtb.h $(GUEST_DTB_LIBFDT)
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -Iarch/aarch64/include -Ideps/src/libfdt -o $@ tests/unit/test_guest_dtb.c tests/unit/fake_kernel.c \
	  arch/aarch64/guest_dtb.c $(GUEST_DTB_LIBFDT) $(UNIT_LDLIBS)
