# Make fragment for the per-VM SMMU stage 2 (arch/aarch64/smmu_s2.c) over a fake SMMUv3 driver,
# with the real walker, stage-2 format and memslots.
SMMU_S2_SRCS := arch/aarch64/smmu_s2.c kernel/pgtable.c arch/aarch64/stage2.c kernel/memslot.c
UNIT_TESTS += build/unit/test_smmu_s2
build/unit/test_smmu_s2: tests/unit/test_smmu_s2.c tests/unit/fake_arch.c tests/unit/fake_kernel.c $(SMMU_S2_SRCS) \
  arch/aarch64/include/smmu_s2.h drivers/smmuv3.h arch/aarch64/include/host_platform.h include/memslot.h
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -DHV_FAKE_SYSREG -Iarch/aarch64/include -Idrivers -o $@ tests/unit/test_smmu_s2.c \
	  tests/unit/fake_arch.c tests/unit/fake_kernel.c $(SMMU_S2_SRCS) $(UNIT_LDLIBS)
