# Guest SMM under VMX (Bochs; tests/boot/x86_smm_common.inc): RSM through the #UD it raises in VMX
# non-root operation.
source tests/boot/x86_smm_common.inc
hvrun_args=(--arch x86_64 --emulator bochs "${x86_smm_hvrun_args[@]}")
timeout_s=900
checks() {
  expect '^x86: guests run under vmx with ept' "VMX backend"
  x86_smm_checks
}
