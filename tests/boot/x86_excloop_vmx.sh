# #DB and #AC loops in event delivery under VMX (Bochs; tests/boot/x86_excloop_common.inc): #AC
# during #AC delivery is seen in delivery (IDT-vectoring information); the #DB a data breakpoint on
# the #DB frame raises comes after the delivery, at the guest's #DB handler entry.
source tests/boot/x86_excloop_common.inc
hvrun_args=(--arch x86_64 --emulator bochs "${x86_excloop_hvrun_args[@]}"
            --config tests/configs/x86_excloop_vmx.cfg)
timeout_s=900
checks() {
  expect '^x86: guests run under vmx with ept' "VMX backend"
  x86_excloop_stopped dbloop '#DB'
  x86_excloop_stopped acloop '#AC'
  x86_excloop_checks
}
