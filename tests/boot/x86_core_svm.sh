# The x86 vCPU core under SVM (QEMU TCG: no decode assists, so MOV to CR4 is decoded by the
# hypervisor): tests/boot/x86_core_common.inc.
source tests/boot/x86_core_common.inc
x86_core_ac=skip        # TCG has no alignment checking: ac_at_cpl3_reflected runs on VMX (Bochs)
hvrun_args=(--arch x86_64 "${x86_core_hvrun_args[@]}")
timeout_s=120
checks() {
  expect '^x86: guests run under svm with npt' "SVM backend"
  x86_core_checks
}
