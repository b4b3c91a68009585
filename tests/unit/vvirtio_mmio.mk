# Make fragment for the emulated virtio-mmio transports (kernel/vvirtio_mmio.c) on a VM's MMIO
# bus (kernel/mmio_bus.c): unit test (Criterion).
UNIT_TESTS += build/unit/test_vvirtio_mmio
build/unit/test_vvirtio_mmio: tests/unit/test_vvirtio_mmio.c kernel/vvirtio_mmio.c kernel/mmio_bus.c \
  include/vvirtio_mmio.h include/mmio_bus.h
	@mkdir -p $(@D)
	$(HOSTCC) $(UNIT_CFLAGS) -o $@ tests/unit/test_vvirtio_mmio.c kernel/vvirtio_mmio.c kernel/mmio_bus.c $(UNIT_LDLIBS)
