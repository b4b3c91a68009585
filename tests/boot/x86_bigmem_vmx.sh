# The 5 GiB x86_64 VM of x86_bigmem_svm under VMX in Bochs (tests/guests/x86_64/bigmem.c): the RAM
# past 3 GiB sits above 4 GiB, the IOAPIC and LAPIC stay reachable in the 32-bit PCI hole. A 12 GiB
# machine: the hypervisor takes each VM's RAM in one piece, and under Bochs's firmware the largest
# free range of an 8 GiB machine is under 5 GiB (Bochs allocates 2 GiB up front, pages the rest).
hvrun_args=(--arch x86_64 --emulator bochs --smp 1 --mem 12288 --config tests/configs/x86_bigmem.cfg
            --file build/guests/x86_64/bigmem.elf='\guests\bigmem.elf')
timeout_s=600
checks() {
  expect '^x86: guests run under vmx with ept' "VMX backend"
  expect '^vm bigmem: 1 vCPUs, 5120 MiB' "a 5 GiB VM loads"
  local t
  for t in e820_ram_above_4g ram_above_4g_holds_data apics_answer_in_the_hole; do
    expect "^\[bigmem\] PASS $t\$" "bigmem: $t"
  done
  expect '^\[bigmem\] DONE passed=3 failed=0' "bigmem: every check passed"
  expect_not 'crashed|unhandled exit|PANIC' "no VM crash, no panic"
  expect_exit 0 "the machine powered off cleanly"
}
