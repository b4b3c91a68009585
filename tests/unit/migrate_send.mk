# Pre-copy into the receiver over the stream (kernel/migrate_send.c, migrate_recv.c,
# migrate_stream.c) with real memslots, dirty logging and the aarch64 stage-2 format.
UNIT_TESTS += build/unit/test_migrate_send
build/unit/test_migrate_send: tests/unit/test_migrate_send.c tests/unit/fake_arch.c tests/unit/fake_pt_env.h \
  kernel/migrate_send.c kernel/migrate_recv.c kernel/migrate_stream.c kernel/dirty_log.c kernel/memslot_run.c \
  kernel/memslot.c kernel/pgtable.c arch/aarch64/stage2.c include/migrate_send.h include/migrate_recv.h \
  include/migrate_stream.h
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -o $@ tests/unit/test_migrate_send.c tests/unit/fake_arch.c kernel/migrate_send.c \
	  kernel/migrate_recv.c kernel/migrate_stream.c kernel/dirty_log.c kernel/memslot_run.c kernel/memslot.c \
	  kernel/pgtable.c arch/aarch64/stage2.c $(UNIT_LDLIBS)
