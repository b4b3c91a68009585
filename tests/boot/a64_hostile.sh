# aarch64 on QEMU 10 (WFxT, MOPS, HCX), GICv4 host, 2 CPUs: the guest-boundary holes of issue 15.
# Refused at VM start, each error naming its hv.cfg line, while the others run: a `device` over
# host RAM, an assigned function whose requester ID is a DeviceID reserved for the VMs' emulated
# events (edu behind the 7th PCI bridge at 07:1f.0) and one beyond the physical ITS's DeviceIDs
# (edu at 08:01.0). vm hostile (tests/guests/aarch64/hostile.c): 20000 trapped EL0 PMU reads
# under its EL1 handler, the hypervisor's AT of the guest's PC walking into a table on a
# passed-through address with nothing behind it, CNTV_CVAL = ~0 while idling, WFIT, MOPS.
# The AT fixup itself is proven by `selftest = at-abort`: a guest cannot make the walk abort
# under QEMU (HCR_EL2.PTW: a walk into Device memory is a stage-2 permission fault in PAR_EL1).
bridges=()
for n in 1 2 3 4 5 6 7 8; do
  bridges+=(-device "pci-bridge,id=br$n,chassis_nr=$n,bus=pcie.0,addr=$(printf 0x%x $((0x10 + n)))")
done
hvrun_args=(--arch aarch64 --qemu 10 --gic 4 --smp 2 --config tests/configs/a64_hostile.cfg
            --file build/guests/aarch64/hostile.bin='\guests\hostile.bin'
            --file build/guests/aarch64/hello.bin='\guests\hello.bin'
            -- "${bridges[@]}" -device edu,bus=br7,addr=0x1f -device edu,bus=br8,addr=1)
timeout_s=180
checks() {
  expect '^hv.cfg:10: error: vm .overram.: device 0x48000000\+0x1000000 overlaps host RAM 0x' \
         "device_over_ram_refused: the error names line 10 and the RAM it overlaps"
  expect '^vm overram: not started' "device_over_ram_refused: vm overram does not start"
  expect '^hv.cfg:17: error: vm .devid-reserved.: pci 07:1f.0: requester ID 0x07f8 is a DeviceID the physical ITS reserves' \
         "devid_collision_refused: a requester ID equal to a VM's emulated-event DeviceID is refused, naming line 17"
  expect '^vm devid-reserved: not started' "devid_collision_refused: vm devid-reserved does not start"
  expect '^hv.cfg:23: error: vm .devid-beyond.: pci 08:01.0: requester ID 0x0808 is beyond the physical ITS' \
         "devid_beyond_its_refused: naming line 23"
  expect '^vm devid-beyond: not started' "devid_beyond_its_refused: vm devid-beyond does not start"
  expect '^\[hostile\] PASS el0_trap_loop_not_stopped' "el0_trap_loop: 20000 EL0 traps under the guest's handler, VM not stopped"
  expect_not '^vm hostile: fault loop' "el0_trap_loop: no fault loop reported"
  expect '^hv: selftest: AT S1E1R over a table at 0xb000000 took an external abort at EL2: fixed up as a failed translation' \
         "at_abort_survives: an AT whose walk reads an address with nothing behind it takes the abort at EL2 and goes on"
  expect '^\[hostile\] PASS at_walk_into_device_aborts' \
         "at_walk_hostile: the guest's tables pointed at a passed-through address under its PC: it gets the external abort of the failed decode"
  expect '^\[hostile\] PASS cval_max_never_fires' "cval_max: the virtual timer with CVAL = ~0 never fires"
  expect '^\[hostile\] PASS cval_max_does_not_spin' "cval_max_no_spin: 100 ms idle with CVAL = ~0 wakes the pCPU a few times, not thousands"
  expect '^\[hostile\] hostile: ID_AA64ISAR2_EL1 0x[0-9a-f]*1[0-9a-f]{3}2$' "QEMU 10: the guest sees WFxT (2) and MOPS (1)"
  expect '^\[hostile\] PASS wfit_2ms_deadline' "wfit_2ms: WFIT with a 2 ms deadline returns in about 2 ms"
  expect '^\[hostile\] hostile: MOPS advertised' "mops: advertised on QEMU 10 (HCX: HCRX_EL2.MSCEn)"
  expect '^\[hostile\] PASS mops_works_or_hidden' "mops: SET and CPY work"
  expect '^\[hostile\] DONE passed=[0-9]+ failed=0' "hostile: all checks pass"
  expect '^\[witness\] DONE passed=2 failed=0' "witness: the other VM runs to its end"
  expect_not '^\[[a-z-]+\] FAIL' "no guest check fails"
  expect_not '^PANIC|^EXCEPTION' "no hypervisor exception"
  expect '^hv: all VMs stopped, powering off' "the machine powers off after the last VM"
  expect_exit 0 "the machine powered off cleanly"
}
