# Guest SMM under SVM (QEMU TCG; tests/boot/x86_smm_common.inc): RSM through its intercept.
source tests/boot/x86_smm_common.inc
hvrun_args=(--arch x86_64 "${x86_smm_hvrun_args[@]}")
timeout_s=240
checks() {
  expect '^x86: guests run under svm with npt' "SVM backend"
  x86_smm_checks
}
