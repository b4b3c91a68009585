# Two x86_64 VMs under VMX (Bochs), one vCPU each on a 2-CPU host: EPT isolation, the same
# payloads and checks as under SVM (tests/boot/x86_isolation_common.inc).
source tests/boot/x86_isolation_common.inc
hvrun_args=(--arch x86_64 --emulator bochs "${x86_isolation_hvrun_args[@]}")
timeout_s=900
checks() {
  expect '^x86: guests run under vmx with ept' "VMX backend"
  x86_isolation_checks
}
