# A 5 GiB x86_64 VM under SVM on an 8 GiB QEMU host: tests/boot/x86_bigmem_common.inc.
source tests/boot/x86_bigmem_common.inc
hvrun_args=(--arch x86_64 --mem 8192 "${x86_bigmem_hvrun_args[@]}")
timeout_s=180
checks() {
  expect '^x86: guests run under svm with npt' "SVM backend"
  x86_bigmem_checks
}
