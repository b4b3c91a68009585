# x86_64 guests under VMX (Bochs, corei7_skylake_x: EPT, VPID, unrestricted guest), hello and pc on 1 vCPU each,
# basics on 2: the same payloads and checks as x86_guests_svm.sh, through the VMX backend.
hvrun_args=(--arch x86_64 --emulator bochs --smp 4 --config tests/configs/x86_guests.cfg
            --file build/guests/x86_64/hello.elf='\guests\hello.elf'
            --file build/guests/x86_64/basics.elf='\guests\basics.elf'
            --file build/guests/x86_64/pc.elf='\guests\pc.elf'
            --file build/linux/bzImage-truncated='\guests\bzImage-truncated')
timeout_s=900
source tests/boot/x86_guests_common.inc
checks() {
  expect '^x86: guests run under vmx with ept' "VMX backend chosen from CPUID, EPT format"
  expect '^\[basics\] basics: .*CPUID vendor GenuineIntel$' "basics sees the host's vendor (cpuid_vendor unset)"
  x86_guests_checks
}
