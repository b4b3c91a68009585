# The x86 vCPU core under VMX (Bochs): the same payload and checks as under SVM
# (tests/boot/x86_core_common.inc).
source tests/boot/x86_core_common.inc
hvrun_args=(--arch x86_64 --emulator bochs "${x86_core_hvrun_args[@]}")
timeout_s=600
checks() {
  expect '^x86: guests run under vmx with ept' "VMX backend"
  x86_core_checks
}
