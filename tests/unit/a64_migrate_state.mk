# The aarch64 live-migration state's layout and checks (arch/aarch64/migrate_state.c, pure).
UNIT_TESTS += build/unit/test_a64_migrate_state
build/unit/test_a64_migrate_state: tests/unit/test_a64_migrate_state.c arch/aarch64/migrate_state.c \
  arch/aarch64/include/migrate_state.h tests/unit/fake_sysreg.h
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -DHV_FAKE_SYSREG -Iarch/aarch64/include -Idrivers -o $@ tests/unit/test_a64_migrate_state.c \
	  arch/aarch64/migrate_state.c $(UNIT_LDLIBS)

# Save and load (arch/aarch64/migrate_save.c) over fake system registers; the vGIC, PMU, FP and
# UART entry points it calls are stubs in the test.
UNIT_TESTS += build/unit/test_a64_migrate_save
build/unit/test_a64_migrate_save: tests/unit/test_a64_migrate_save.c arch/aarch64/migrate_save.c \
  arch/aarch64/migrate_state.c arch/aarch64/include/migrate_state.h include/arch_migrate.h tests/unit/fake_sysreg.c \
  tests/unit/fake_sysreg.h
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -DHV_FAKE_SYSREG -Iarch/aarch64/include -Idrivers -o $@ tests/unit/test_a64_migrate_save.c \
	  arch/aarch64/migrate_save.c arch/aarch64/migrate_state.c tests/unit/fake_sysreg.c $(UNIT_LDLIBS)
