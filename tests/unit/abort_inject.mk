# Make fragment for stage-2 abort decoding (arch/aarch64/abort.c) and exception injection
# (arch/aarch64/inject.c) over a fake vCPU and fake system registers (HV_FAKE_SYSREG).
ABORT_INJECT_SRCS := arch/aarch64/abort.c arch/aarch64/inject.c arch/aarch64/insn_decode.c kernel/memslot.c \
  kernel/memslot_run.c kernel/dirty_log.c kernel/pgtable.c arch/aarch64/stage2.c
UNIT_TESTS += build/unit/test_abort_inject
build/unit/test_abort_inject: tests/unit/test_abort_inject.c tests/unit/fake_arch.c tests/unit/fake_kernel.c tests/unit/fake_sysreg.c \
  tests/unit/fake_sysreg.h $(ABORT_INJECT_SRCS) arch/aarch64/include/guest.h arch/aarch64/include/sysreg.h \
  arch/aarch64/include/insn_decode.h include/memslot.h
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -DHV_FAKE_SYSREG -Iarch/aarch64/include -o $@ tests/unit/test_abort_inject.c \
	  tests/unit/fake_arch.c tests/unit/fake_kernel.c tests/unit/fake_sysreg.c $(ABORT_INJECT_SRCS) $(UNIT_LDLIBS)
