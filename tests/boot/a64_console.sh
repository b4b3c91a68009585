# The VMs' consoles (kernel/vm_console.c), GICv3 host, 2 CPUs: flood prints whole lines in a
# tight loop until its output ring drops, while quiet prints 50 numbered lines 40 ms apart and
# times them; every quiet line arrives, the flood's loss is noted and counted, no guest byte moves
# the cursor or starts a physical line (quiet writes ESC[2K CR / ESC[1G "hv: all VMs stopped").
hvrun_args=(--arch aarch64 --gic 3 --smp 2 --config tests/configs/a64_console.cfg
            --file build/guests/aarch64/flood.bin='\guests\flood.bin'
            --file build/guests/aarch64/quiet.bin='\guests\quiet.bin')
timeout_s=120
checks() {
  expect_count '^\[quiet\] quiet: line [0-9]+ of 50$' 50 "quiet: all 50 lines arrive during the flood"
  expect '^\[quiet\] quiet: line 49 of 50$' "quiet: its last line arrives"
  expect_order '^\[quiet\] quiet: line 49 of 50$' '^\[flood\] flood: done' "quiet's lines come before the flood's end"
  # Printed as they were written, not all at once when quiet stopped (vm_console_flush): the flood's
  # lines are interleaved with them (about 600; none if quiet's waited for the flush).
  tr -d '\r' <"$out/$name.log" | awk '/^\[quiet\] quiet: line 0 of 50$/ { on = 1 }
    on && /^\[flood\] flood: [0-9]/ { n++ } /^\[quiet\] quiet: line 49 of 50$/ { print "flood lines among quiet'"'"'s: " n + 0; exit }' \
    >"$out/$name.between"
  expect_in "$out/$name.between" '^flood lines among quiet.s: ([1-9][0-9]{2,})$' "quiet's lines go out as written, among the flood's (>= 100 between)"
  expect_order '^vm quiet: powered off' '^\[flood\] flood: done' "the hypervisor's own line is not queued behind the flood"
  expect '^\[quiet\] PASS console_write_not_stalled' "quiet: no console write waited"
  expect '^\[quiet\] PASS console_pace_kept' "quiet: 50 lines 40 ms apart took about 2 s"
  expect '^\[quiet\] PASS quiet_nothing_dropped' "quiet: nothing of its output dropped"
  expect '^\[flood\] \.\.\. [0-9]+ bytes dropped$' "flood: the drop is noted where it happened"
  expect '^\[flood\] PASS console_drops_counted' "flood: HV_STAT_CONSOLE_DROPPED counts the loss"
  expect '^\[flood\] flood: [0-9]{8} x{80}$' "flood: its lines arrive"
  # Lines are queued and dropped whole: every flood line is one the guest wrote, or the note.
  local all
  all=$(tr -d '\r' <"$out/$name.log" | grep -c '^\[flood\] ')
  expect_count '^\[flood\] (flood: (start|[0-9]{8} x{80}|done, [0-9]+ lines in [0-9]+ ms)|\.\.\. [0-9]+ bytes dropped|PASS console_drops_counted|DONE passed=1 failed=0)$' \
    "$all" "flood: no line is cut or spliced ($all lines)"
  # Escaping: the forgeries and control bytes arrive as text, and no raw ESC reaches the console.
  expect '^\[quiet\] \\x1b\[2Khv: all VMs stopped, powering off$' "quiet: ESC[2K CR forgery arrives escaped"
  expect '^\[quiet\] \\x1b\[2K\\x1b\[1Ghv: all VMs stopped, powering off$' "quiet: ESC[1G forgery arrives escaped"
  expect '^\[quiet\] quiet: controls \\x07\\x08\\x7f\\xc3\\xa9	end$' "quiet: BEL BS DEL and UTF-8 bytes escaped, TAB kept"
  expect_not $'^\\[[a-z]+\\] .*\x1b' "no raw escape byte in a guest's line (the firmware's own are before hv starts)"
  # On a terminal's screen, only the hypervisor's own line starts with (or is moved to) 'hv: all VMs stopped'.
  tools/console-screen "$out/$name.log" >"$out/$name.screen"
  expect_count_in "$out/$name.screen" '^ *hv: all VMs stopped' 1 "on screen only the hypervisor says 'hv: all VMs stopped'"
  expect '^\[quiet\] DONE passed=3 failed=0' "quiet: all checks pass"
  expect '^\[flood\] DONE passed=1 failed=0' "flood: all checks pass"
  expect_not '^PANIC|^EXCEPTION' "no hypervisor exception"
  expect '^hv: all VMs stopped, powering off' "the machine powers off after both VMs"
  expect_exit 0 "the machine powered off cleanly"
}
