# Run-time memslots and dirty logging over the aarch64 stage-2 format (kernel/memslot_run.c,
# kernel/dirty_log.c): host unit test with sanitizers.
UNIT_TESTS += build/unit/test_dirty_log
build/unit/test_dirty_log: tests/unit/test_dirty_log.c tests/unit/fake_arch.c tests/unit/fake_pt_env.h \
  kernel/dirty_log.c kernel/memslot_run.c kernel/memslot.c kernel/pgtable.c arch/aarch64/stage2.c \
  include/dirty_log.h include/memslot_run.h include/memslot.h include/pgtable.h
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -o $@ tests/unit/test_dirty_log.c tests/unit/fake_arch.c kernel/dirty_log.c \
	  kernel/memslot_run.c kernel/memslot.c kernel/pgtable.c arch/aarch64/stage2.c $(UNIT_LDLIBS)
