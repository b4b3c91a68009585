# Two x86_64 VMs under SVM (QEMU TCG), one vCPU each on a 2-CPU host: NPT isolation
# (tests/boot/x86_isolation_common.inc).
source tests/boot/x86_isolation_common.inc
hvrun_args=(--arch x86_64 "${x86_isolation_hvrun_args[@]}")
timeout_s=180
checks() {
  expect '^x86: guests run under svm with npt' "SVM backend"
  x86_isolation_checks
}
