# The 5 GiB x86_64 VM under VMX in Bochs (tests/boot/x86_bigmem_common.inc). A 12 GiB machine: the
# hypervisor takes each VM's RAM in one piece, and under Bochs's firmware the largest free range of
# an 8 GiB machine is under 5 GiB (Bochs allocates 2 GiB up front and pages the rest).
source tests/boot/x86_bigmem_common.inc
hvrun_args=(--arch x86_64 --emulator bochs --mem 12288 "${x86_bigmem_hvrun_args[@]}")
timeout_s=600
checks() {
  expect '^x86: guests run under vmx with ept' "VMX backend"
  x86_bigmem_checks
}
