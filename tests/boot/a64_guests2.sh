# aarch64 guests at EL1, GICv4 host, 4 CPUs: a hostile guest (100000 bogus HVCs, then a
# fault loop) is stopped without disturbing a VM that resets itself, and hello runs as a
# raw binary with a configured DTB and as an arm64 Image (Linux boot protocol).
hvrun_args=(--arch aarch64 --gic 4 --smp 4 --config tests/configs/a64_guests2.cfg
            --file build/guests/aarch64/crash.bin='\guests\crash.bin'
            --file build/guests/aarch64/reset.bin='\guests\reset.bin'
            --file build/guests/aarch64/hello.bin='\guests\hello.bin'
            --file build/guests/aarch64/hello.img='\guests\hello.img'
            --file build/guests/aarch64/custom.dtb='\guests\custom.dtb')
timeout_s=180
checks() {
  expect '^\[crash\] crash: storm done, 100000 of 100000 NOT_SUPPORTED' "crash: every bogus HVC answers NOT_SUPPORTED"
  expect '^vm crash: fault loop at PC 0x1200, stopping' "crash: the fault loop is detected at its vector"
  expect '^vm crash: crashed, stopped' "crash: stopped (on_crash = stop)"
  expect_count '^\[reset\] reset: first boot' 1 "reset: first boot runs once"
  expect '^vm reset: reset, reloading from its images' "reset: SYSTEM_RESET reloads the VM"
  expect '^\[reset\] PASS system_reset_reloads_image' "reset: image reloaded, RAM outside it kept"
  expect '^\[reset\] PASS system_reset_resets_its' "reset: the ITS is back at reset (disabled)"
  expect '^\[reset\] DONE passed=2 failed=0' "reset: all checks pass"
  expect '^vm crash: raw binary at 0x40080000, DTB at 0x40200000' "crash: raw binary at RAM + 0x80000, DTB 2 MiB-aligned above it"
  expect '^vm hello: raw binary at 0x40080000, DTB at 0x40200000 \([0-9]+ bytes\), from the configuration' "hello: the configured DTB is used"
  expect '^vm hello-img: arm64 Image at 0x4007ffc0, DTB at 0x40400000' "hello-img: Image at RAM + text_offset, DTB above its image_size"
  expect '^\[hello\] PASS el1' "hello: runs at EL1"
  expect '^\[hello\] PASS dtb_magic' "hello: x0 points at the configured DTB"
  expect '^\[hello\] DONE passed=2 failed=0' "hello: all checks pass"
  expect '^\[hello-img\] DONE passed=2 failed=0' "hello-img: the Image runs, all checks pass"
  expect '^vm reset: powered off' "reset powers off"
  expect '^vm hello: powered off' "hello powers off"
  expect '^vm hello-img: powered off' "hello-img powers off"
  expect_not '^\[[a-z]+\] FAIL' "no guest check fails"
  expect_not '^PANIC|^EXCEPTION' "no hypervisor exception"
  expect '^hv: all VMs stopped, powering off' "the machine powers off after the last VM"
  expect_exit 0 "the machine powered off cleanly"
}
