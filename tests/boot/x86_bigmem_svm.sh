# A 5 GiB x86_64 VM under SVM on an 8 GiB QEMU host (tests/guests/x86_64/bigmem.c): the RAM past
# 3 GiB sits above 4 GiB (e820 and the memslots agree), the IOAPIC and LAPIC stay reachable in the
# 32-bit PCI hole. x86_bigmem_vmx runs the same VM under VMX in Bochs.
hvrun_args=(--arch x86_64 --smp 1 --mem 8192 --config tests/configs/x86_bigmem.cfg
            --file build/guests/x86_64/bigmem.elf='\guests\bigmem.elf')
timeout_s=180
checks() {
  expect '^vm bigmem: 1 vCPUs, 5120 MiB' "a 5 GiB VM loads"
  local t
  for t in e820_ram_above_4g ram_above_4g_holds_data apics_answer_in_the_hole; do
    expect "^\[bigmem\] PASS $t\$" "bigmem: $t"
  done
  expect '^\[bigmem\] DONE passed=3 failed=0' "bigmem: every check passed"
  expect_not 'crashed|unhandled exit|PANIC' "no VM crash, no panic"
  expect_exit 0 "the machine powered off cleanly"
}
