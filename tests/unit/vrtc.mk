# Make fragment for the emulated MC146818A RTC/CMOS (arch/x86_64/vrtc.c): unit test (Criterion).
UNIT_TESTS += build/unit/test_vrtc
build/unit/test_vrtc: tests/unit/test_vrtc.c arch/x86_64/vrtc.c arch/x86_64/include/x86_vplatform.h drivers/mc146818.h \
  tests/unit/fake_kernel.c tests/unit/fake_arch.c
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -Iarch/x86_64/include -Idrivers -o $@ tests/unit/test_vrtc.c arch/x86_64/vrtc.c \
	  tests/unit/fake_kernel.c tests/unit/fake_arch.c $(UNIT_LDLIBS)
