# #DB and #AC loops in event delivery under SVM (QEMU TCG; tests/boot/x86_excloop_common.inc). TCG
# shows neither: it does no alignment checking (no #AC at all), and when the delivery of an injected
# #DB hits a data breakpoint, QEMU 7.2 loses the #DB, raises it instructions later, or aborts (an
# assertion in softmmu/cpus.c). The payload says so for each; x86_excloop_vmx.sh (Bochs) shows
# both loops stopped.
source tests/boot/x86_excloop_common.inc
hvrun_args=(--arch x86_64 "${x86_excloop_hvrun_args[@]}"
            --config tests/configs/x86_excloop_svm.cfg)
timeout_s=120
checks() {
  expect '^x86: guests run under svm with npt' "SVM backend"
  expect '^\[dbloop\] SKIP db_in_delivery_loops \(QEMU TCG mishandles a data breakpoint hit in event delivery\)$' \
    "dbloop: the #DB loop is not run on QEMU TCG, said so"
  expect '^\[acloop\] SKIP ac_in_delivery_loops \(this CPU raises no #AC\)$' "acloop: TCG raises no #AC, said so"
  expect_not '^\[(dbloop|acloop)\] FAIL' "no loop payload fails"
  expect_not 'raised during its own delivery' "no loop stopped where none formed"
  x86_excloop_checks
}
