/* Host unit tests for the hv.cfg parser (kernel/config.c). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "config.h"

#define ARM_RAM_BASE 0x40000000ull
#define MAX_LINES 32

struct capture {
    unsigned count;
    char lines[MAX_LINES][512];
};

static struct capture cap;
static struct hv_config cfg;

static void collect(void *ctx, const char *line)
{
    struct capture *c = ctx;
    cr_assert_lt(c->count, MAX_LINES, "too many reports");
    snprintf(c->lines[c->count++], sizeof(c->lines[0]), "%s", line);
}

static uint32_t parse_len_base(const char *text, size_t len, uint64_t ram_base)
{
    memset(&cap, 0, sizeof(cap));
    uint32_t n = config_parse(&cfg, "hv.cfg", text, len, ram_base, collect, &cap);
    cr_assert_eq(n, cap.count, "return value %u != reports %u", n, cap.count);
    return n;
}

static uint32_t parse_len(const char *text, size_t len)
{
    return parse_len_base(text, len, ARM_RAM_BASE);
}

static uint32_t parse(const char *text)
{
    return parse_len(text, strlen(text));
}

static const struct config_vm *vm_named(const char *name)
{
    for (uint32_t i = 0; i < cfg.vm_count; i++) {
        if (strcmp(cfg.vms[i].name, name) == 0)
            return &cfg.vms[i];
    }
    cr_assert_fail("vm '%s' not found", name);
    return NULL;
}

/* The common shape of every error test: exactly one report, with this exact text. */
static void expect_one_error(const char *text, const char *want)
{
    uint32_t n = parse(text);
    for (unsigned i = 0; i < cap.count; i++)
        cr_log_info("report: %s", cap.lines[i]);
    cr_assert_eq(n, 1, "expected 1 error, got %u", n);
    cr_assert_str_eq(cap.lines[0], want);
}

/* A valid VM placed around each error so we can check it is unaffected. */
#define GOOD_A "[vm good]\nmemory = 64M\nkernel = \\g\\Image\n"
#define GOOD_A_LINES 3

static void expect_good_vm_valid(void)
{
    const struct config_vm *g = vm_named("good");
    cr_assert(g->valid, "vm 'good' must stay valid");
    cr_assert_eq(g->memory_bytes, 64ull << 20);
    cr_assert_str_eq(g->kernel, "\\g\\Image");
}

Test(config, valid_two_vms_all_fields)
{
    const char *text =
        "# global settings\n"
        "console = serial\n"
        "focus = linux0\n"
        "\n"
        "[vm linux0]\n"
        "cpus    = 2\n"
        "memory  = 256M\n"
        "kernel  = \\guests\\Image\n"
        "initrd  = \\guests\\initrd.gz\n"
        "dtb     = \\guests\\board.dtb\n"
        "cmdline = console=ttyAMA0 root=/dev/ram\n"
        "region  = 0x50000000 16M ro\n"
        "on_crash = stop\n"
        "\n"
        "  # indented comment\n"
        "[vm rtos_1]\n"
        "\tkernel = \\rtos\\rtos.bin\t\n"
        "memory = 0x200000\n"
        "cpus = 1\n"
        "region = 0x9000000 4K\n"
        "region = 0x9001000 8KiB rw\n"
        "on_crash = reset\n";

    cr_assert_eq(parse(text), 0);
    cr_assert_str_eq(cfg.console, "serial");
    cr_assert_str_eq(cfg.focus, "linux0");
    cr_assert_eq(cfg.vm_count, 2);

    const struct config_vm *a = &cfg.vms[0];
    cr_assert_str_eq(a->name, "linux0");
    cr_assert_eq(a->line, 5);
    cr_assert(a->valid);
    cr_assert_eq(a->cpu_count, 2);
    cr_assert_eq(a->memory_bytes, 256ull << 20);
    cr_assert_str_eq(a->kernel, "\\guests\\Image");
    cr_assert_eq(a->kernel_line, 8);
    cr_assert_str_eq(a->initrd, "\\guests\\initrd.gz");
    cr_assert_eq(a->initrd_line, 9);
    cr_assert_str_eq(a->dtb, "\\guests\\board.dtb");
    cr_assert_eq(a->dtb_line, 10);
    cr_assert_str_eq(a->cmdline, "console=ttyAMA0 root=/dev/ram");
    cr_assert_eq(a->region_count, 1);
    cr_assert_eq(a->regions[0].gpa, 0x50000000ull);
    cr_assert_eq(a->regions[0].size_bytes, 16ull << 20);
    cr_assert(a->regions[0].read_only);
    cr_assert_eq(a->regions[0].line, 12);
    cr_assert_eq(a->on_crash, CONFIG_ON_CRASH_STOP);

    const struct config_vm *b = &cfg.vms[1];
    cr_assert_str_eq(b->name, "rtos_1");
    cr_assert_eq(b->line, 16);
    cr_assert(b->valid);
    cr_assert_eq(b->cpu_count, 1);
    cr_assert_eq(b->memory_bytes, 2ull << 20);
    cr_assert_str_eq(b->kernel, "\\rtos\\rtos.bin");
    cr_assert_eq(b->kernel_line, 17);
    cr_assert_str_eq(b->initrd, "");
    cr_assert_eq(b->initrd_line, 0);
    cr_assert_str_eq(b->dtb, "");
    cr_assert_str_eq(b->cmdline, "");
    cr_assert_eq(b->region_count, 2);
    cr_assert_eq(b->regions[0].gpa, 0x9000000ull);
    cr_assert_eq(b->regions[0].size_bytes, 4096ull);
    cr_assert_not(b->regions[0].read_only);
    cr_assert_eq(b->regions[1].gpa, 0x9001000ull);
    cr_assert_eq(b->regions[1].size_bytes, 8192ull);
    cr_assert_not(b->regions[1].read_only);
    cr_assert_eq(b->regions[1].line, 21);
    cr_assert_eq(b->on_crash, CONFIG_ON_CRASH_RESET);
}

Test(config, defaults)
{
    cr_assert_eq(parse("[vm a]\nmemory = 1M\nkernel = \\k\n"), 0);
    cr_assert_str_eq(cfg.console, "serial");
    cr_assert_str_eq(cfg.focus, "");
    cr_assert_eq(cfg.vm_count, 1);
    cr_assert_eq(cfg.vms[0].cpu_count, 1);
    cr_assert_eq(cfg.vms[0].on_crash, CONFIG_ON_CRASH_STOP);
    cr_assert_eq(cfg.vms[0].cpuid_vendor, CONFIG_CPUID_VENDOR_HOST);
    cr_assert_eq(cfg.vms[0].region_count, 0);
    cr_assert_str_eq(cfg.vms[0].cmdline, "");
}

Test(config, empty_input)
{
    cr_assert_eq(parse(""), 0);
    cr_assert_eq(cfg.vm_count, 0);
    cr_assert_eq(parse_len(NULL, 0), 0);
    cr_assert_eq(parse("\n\n# only comments\n   \n"), 0);
}

Test(config, null_report_still_counts)
{
    const char *text = "bogus\n[vm a]\n";
    cr_assert_eq(config_parse(&cfg, "hv.cfg", text, strlen(text), 0, NULL, NULL), 3);
}

/* ---- one test per error kind: exactly one line, exact text, neighbours unaffected ---- */

Test(config_errors, unknown_key_in_vm)
{
    expect_one_error("[vm a]\nmemory = 1M\nkernal = \\x\nkernel = \\k\n" GOOD_A,
                     "hv.cfg:3: error: unknown key 'kernal' in [vm a]");
    cr_assert_not(vm_named("a")->valid);
    expect_good_vm_valid();
}

Test(config_errors, unknown_key_global)
{
    expect_one_error("consol = serial\n" GOOD_A, "hv.cfg:1: error: unknown key 'consol' in global section");
    expect_good_vm_valid();
}

Test(config_errors, vm_key_in_global_section)
{
    expect_one_error("cpus = 2\n" GOOD_A, "hv.cfg:1: error: key 'cpus' is only allowed inside a [vm NAME] section");
    expect_good_vm_valid();
}

Test(config_errors, global_key_in_vm_section)
{
    expect_one_error(GOOD_A "[vm b]\nconsole = serial\nmemory = 1M\nkernel = \\k\n",
                     "hv.cfg:5: error: key 'console' is only allowed in the global section, not in [vm b]");
    cr_assert_not(vm_named("b")->valid);
    expect_good_vm_valid();
}

Test(config_errors, malformed_size)
{
    expect_one_error("[vm a]\nkernel = \\k\nmemory = 12Q\n" GOOD_A,
                     "hv.cfg:3: error: malformed size '12Q' for 'memory'");
    cr_assert_not(vm_named("a")->valid);
    expect_good_vm_valid();
}

Test(config_errors, size_errors_name_the_problem)
{
    expect_one_error("[vm a]\nkernel = \\k\nmemory = 0\n", "hv.cfg:3: error: size '0' for 'memory' must not be zero");
    expect_one_error("[vm a]\nkernel = \\k\nmemory = 1000000\n",
                     "hv.cfg:3: error: size '1000000' for 'memory' is not a multiple of 4K");
    expect_one_error("[vm a]\nkernel = \\k\nmemory = 99999999999G\n",
                     "hv.cfg:3: error: size '99999999999G' for 'memory' overflows 64 bits");
    expect_one_error("[vm a]\nkernel = \\k\nmemory = 512K\n", "hv.cfg:3: error: memory '512K' is below the 1M minimum");
    expect_one_error("[vm a]\nkernel = \\k\nmemory = 512 M\n", "hv.cfg:3: error: malformed size '512 M' for 'memory'");
}

Test(config_errors, memory_past_address_space)
{
    memset(&cap, 0, sizeof(cap));
    const char *text = "[vm a]\nkernel = \\k\nmemory = 0xfffffffffffff000\n";
    uint32_t n = parse_len_base(text, strlen(text), 0x2000);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(cap.lines[0], "hv.cfg:3: error: memory '0xfffffffffffff000' does not fit above RAM base 0x2000");
    /* At base 0 the same size exactly reaches the top and is fine. */
    cr_assert_eq(parse_len_base(text, strlen(text), 0), 0);
    cr_assert_eq(cfg.vms[0].memory_bytes, 0xfffffffffffff000ull);
}

Test(config_errors, bad_number)
{
    expect_one_error("[vm a]\nmemory = 1M\nkernel = \\k\ncpus = two\n" GOOD_A,
                     "hv.cfg:4: error: malformed number 'two' for 'cpus'");
    cr_assert_not(vm_named("a")->valid);
    expect_good_vm_valid();
    expect_one_error("[vm a]\nmemory = 1M\nkernel = \\k\ncpus = 0x2\n",
                     "hv.cfg:4: error: malformed number '0x2' for 'cpus'");
}

Test(config_errors, cpus_out_of_range)
{
    expect_one_error("[vm a]\nmemory = 1M\nkernel = \\k\ncpus = 9\n", "hv.cfg:4: error: value '9' for 'cpus' out of range 1..8");
    expect_one_error("[vm a]\nmemory = 1M\nkernel = \\k\ncpus = 0\n", "hv.cfg:4: error: value '0' for 'cpus' out of range 1..8");
    expect_one_error("[vm a]\nmemory = 1M\nkernel = \\k\ncpus = 99999999999999999999999\n",
                     "hv.cfg:4: error: value '99999999999999999999999' for 'cpus' out of range 1..8");
    cr_assert_eq(parse("[vm a]\nmemory = 1M\nkernel = \\k\ncpus = 8\n"), 0);
    cr_assert_eq(cfg.vms[0].cpu_count, 8);
}

Test(config_errors, bad_paths)
{
    expect_one_error("[vm a]\nmemory = 1M\nkernel = guests\\Image\n" GOOD_A,
                     "hv.cfg:3: error: malformed path 'guests\\Image' for 'kernel' (must start with '\\')");
    cr_assert_not(vm_named("a")->valid);
    expect_good_vm_valid();
    expect_one_error("[vm a]\nmemory = 1M\nkernel = \\k\ninitrd = \\guests/initrd\n",
                     "hv.cfg:4: error: malformed path '\\guests/initrd' for 'initrd' (no spaces or '/' allowed)");
    expect_one_error("[vm a]\nmemory = 1M\nkernel = \\k\ndtb = \\my board.dtb\n",
                     "hv.cfg:4: error: malformed path '\\my board.dtb' for 'dtb' (no spaces or '/' allowed)");
    expect_one_error("[vm a]\nmemory = 1M\nkernel = \\guests\\\n",
                     "hv.cfg:3: error: malformed path '\\guests\\' for 'kernel' (must name a file)");

    char text[512], path[200];
    memset(path, 'x', sizeof(path));
    path[0] = '\\';
    path[128] = '\0';
    snprintf(text, sizeof(text), "[vm a]\nmemory = 1M\nkernel = %s\n", path);
    expect_one_error(text, "hv.cfg:3: error: path for 'kernel' too long (128 chars, max 127)");
    path[127] = '\0';
    snprintf(text, sizeof(text), "[vm a]\nmemory = 1M\nkernel = %s\n", path);
    cr_assert_eq(parse(text), 0);
    cr_assert_eq(strlen(cfg.vms[0].kernel), 127);
}

Test(config_errors, bad_enum_values)
{
    expect_one_error("console = vga\n" GOOD_A, "hv.cfg:1: error: unknown console 'vga' (expected 'serial')");
    expect_good_vm_valid();
    expect_one_error("focus = a.b\n" GOOD_A, "hv.cfg:1: error: malformed vm name 'a.b' for 'focus'");
    expect_good_vm_valid();
    expect_one_error("[vm a]\nmemory = 1M\nkernel = \\k\non_crash = panic\n" GOOD_A,
                     "hv.cfg:4: error: unknown on_crash 'panic' (expected 'stop' or 'reset')");
    cr_assert_not(vm_named("a")->valid);
    expect_good_vm_valid();
}

Test(config, cpuid_vendor_parsed)
{
    cr_assert_eq(parse("[vm a]\nmemory = 1M\nkernel = \\k\ncpuid_vendor = intel\n"
                       "[vm b]\nmemory = 1M\nkernel = \\k\ncpuid_vendor = amd\n"
                       "[vm c]\nmemory = 1M\nkernel = \\k\ncpuid_vendor = host\n"), 0);
    cr_assert_eq(vm_named("a")->cpuid_vendor, CONFIG_CPUID_VENDOR_INTEL);
    cr_assert_eq(vm_named("b")->cpuid_vendor, CONFIG_CPUID_VENDOR_AMD);
    cr_assert_eq(vm_named("c")->cpuid_vendor, CONFIG_CPUID_VENDOR_HOST);
}

Test(config_errors, cpuid_vendor_unknown_or_global)
{
    expect_one_error("[vm a]\nmemory = 1M\nkernel = \\k\ncpuid_vendor = GenuineIntel\n" GOOD_A,
                     "hv.cfg:4: error: unknown cpuid_vendor 'GenuineIntel' (expected 'host', 'intel' or 'amd')");
    cr_assert_not(vm_named("a")->valid);
    expect_good_vm_valid();
    cr_assert_eq(parse("cpuid_vendor = amd\n" GOOD_A), 1);
    expect_good_vm_valid();
}

Test(config, smram_parsed)
{
    cr_assert_eq(parse("[vm a]\nmemory = 64M\nkernel = \\k\nsmram = 8M\n"
                       "[vm b]\nmemory = 64M\nkernel = \\k\n"), 0);
    cr_assert_eq(vm_named("a")->smram_bytes, 8ull << 20);
    cr_assert_eq(vm_named("b")->smram_bytes, 0, "no SMM unless asked for");
}

Test(config_errors, smram_not_whole_mib_or_too_big)
{
    expect_one_error("[vm a]\nmemory = 64M\nkernel = \\k\nsmram = 1536K\n" GOOD_A,
                     "hv.cfg:4: error: smram '1536K' is not 0 or a whole number of MiB up to 2048M");
    cr_assert_not(vm_named("a")->valid);
    expect_good_vm_valid();
    expect_one_error("[vm a]\nmemory = 64M\nsmram = 64M\nkernel = \\k\n" GOOD_A,
                     "hv.cfg:3: error: smram of vm 'a' leaves less than 1M of its memory outside SMRAM");
}

#define MGMT_ON "mgmt = dhcp\nmgmt_key = 00112233445566778899aabbccddeeff\n"

Test(config, incoming_parsed)
{
    cr_assert_eq(parse(MGMT_ON "[vm a]\nmemory = 64M\nkernel = \\k\nincoming = yes\n"
                       "[vm b]\nmemory = 64M\nkernel = \\k\nincoming = no\n"
                       "[vm c]\nmemory = 64M\nkernel = \\k\n"), 0);
    cr_assert(vm_named("a")->incoming);
    cr_assert_not(vm_named("b")->incoming);
    cr_assert_not(vm_named("c")->incoming, "started at boot unless asked for");
}

Test(config_errors, incoming_bad_value_or_no_mgmt)
{
    expect_one_error(MGMT_ON "[vm a]\nmemory = 64M\nkernel = \\k\nincoming = later\n" GOOD_A,
                     "hv.cfg:6: error: unknown incoming 'later' (expected 'yes' or 'no')");
    cr_assert_not(vm_named("a")->valid);
    expect_good_vm_valid();
    /* Without the management interface nothing could ever send it its state. */
    expect_one_error("[vm a]\nmemory = 64M\nincoming = yes\nkernel = \\k\n" GOOD_A,
                     "hv.cfg:3: error: vm 'a' is incoming but the management interface is off (it needs mgmt and mgmt_key)");
    cr_assert_not(vm_named("a")->valid);
    expect_one_error("mgmt = dhcp\n[vm a]\nmemory = 64M\nincoming = yes\nkernel = \\k\n" GOOD_A,
                     "hv.cfg:4: error: vm 'a' is incoming but the management interface is off (it needs mgmt and mgmt_key)");
}

Test(config, nested_parsed)
{
    cr_assert_eq(parse("[vm a]\nmemory = 1M\nkernel = \\k\nnested = vmx\n"
                       "[vm b]\nmemory = 1M\nkernel = \\k\nnested = none\n"
                       "[vm c]\nmemory = 1M\nkernel = \\k\n"), 0);
    cr_assert_eq(vm_named("a")->nested, CONFIG_NESTED_VMX);
    cr_assert_eq(vm_named("b")->nested, CONFIG_NESTED_NONE);
    cr_assert_eq(vm_named("c")->nested, CONFIG_NESTED_NONE);
}

Test(config_errors, nested_unknown)
{
    expect_one_error("[vm a]\nmemory = 1M\nkernel = \\k\nnested = svm\n" GOOD_A,
                     "hv.cfg:4: error: unknown nested 'svm' (expected 'vmx' or 'none')");
    cr_assert_not(vm_named("a")->valid);
    expect_good_vm_valid();
}

Test(config_errors, empty_value)
{
    expect_one_error("[vm a]\nmemory = 1M\nkernel =\n", "hv.cfg:3: error: missing value for 'kernel'");
    /* An empty cmdline is allowed and means "no command line". */
    cr_assert_eq(parse("[vm a]\nmemory = 1M\nkernel = \\k\ncmdline =\n"), 0);
}

Test(config_errors, duplicate_key)
{
    expect_one_error("[vm a]\nmemory = 1M\nkernel = \\k\nmemory = 2M\n" GOOD_A,
                     "hv.cfg:4: error: duplicate key 'memory' in [vm a] (first at line 2)");
    cr_assert_not(vm_named("a")->valid);
    cr_assert_eq(vm_named("a")->memory_bytes, 1ull << 20, "first value is kept");
    expect_good_vm_valid();
    expect_one_error("console = serial\nconsole = serial\n",
                     "hv.cfg:2: error: duplicate key 'console' in global section (first at line 1)");
}

Test(config_errors, duplicate_key_counts_bad_first_value)
{
    /* The first line already failed; the repeat is still a duplicate, and no "missing" follows. */
    uint32_t n = parse("[vm a]\nmemory = 12Q\nkernel = \\k\nmemory = 1M\n");
    cr_assert_eq(n, 2);
    cr_assert_str_eq(cap.lines[0], "hv.cfg:2: error: malformed size '12Q' for 'memory'");
    cr_assert_str_eq(cap.lines[1], "hv.cfg:4: error: duplicate key 'memory' in [vm a] (first at line 2)");
}

Test(config_errors, duplicate_vm_name)
{
    expect_one_error(GOOD_A "[vm a]\nmemory = 1M\nkernel = \\k\n[vm a]\nmemory = 1M\nkernel = \\k\n",
                     "hv.cfg:7: error: duplicate vm name 'a' (first at line 4)");
    cr_assert_eq(cfg.vm_count, 3);
    cr_assert(cfg.vms[1].valid, "the first 'a' stays valid");
    cr_assert_not(cfg.vms[2].valid);
    cr_assert_str_eq(cfg.vms[2].name, "a");
    expect_good_vm_valid();
}

Test(config_errors, too_many_vms)
{
    char text[2048] = "";
    size_t off = 0;
    for (int i = 0; i < 9; i++)
        off += (size_t)snprintf(text + off, sizeof(text) - off, "[vm v%d]\nmemory = 1M\nkernel = \\k\n", i);
    expect_one_error(text, "hv.cfg:25: error: too many vms: 'v8' exceeds the maximum of 8");
    cr_assert_eq(cfg.vm_count, 8);
    for (int i = 0; i < 8; i++)
        cr_assert(cfg.vms[i].valid);
}

Test(config_errors, too_many_vms_still_checks_lines)
{
    char text[2048] = "";
    size_t off = 0;
    for (int i = 0; i < 9; i++)
        off += (size_t)snprintf(text + off, sizeof(text) - off, "[vm v%d]\nmemory = 1M\nkernel = \\k\n", i);
    snprintf(text + off, sizeof(text) - off, "cpus = 99\nmemory = 2M\n");
    cr_assert_eq(parse(text), 3);
    cr_assert_str_eq(cap.lines[1], "hv.cfg:28: error: value '99' for 'cpus' out of range 1..8");
    cr_assert_str_eq(cap.lines[2], "hv.cfg:29: error: duplicate key 'memory' in [vm v8] (first at line 26)");
}

Test(config_errors, missing_required_keys)
{
    expect_one_error("[vm a]\nmemory = 1M\n" GOOD_A, "hv.cfg:1: error: vm 'a' is missing required key 'kernel'");
    cr_assert_not(vm_named("a")->valid);
    expect_good_vm_valid();
    expect_one_error(GOOD_A "\n[vm b]\nkernel = \\k\n", "hv.cfg:5: error: vm 'b' is missing required key 'memory'");
    cr_assert_not(vm_named("b")->valid);
    expect_good_vm_valid();
    /* Both missing: one line each, both at the header. */
    cr_assert_eq(parse("[vm e]\n"), 2);
    cr_assert_str_eq(cap.lines[0], "hv.cfg:1: error: vm 'e' is missing required key 'memory'");
    cr_assert_str_eq(cap.lines[1], "hv.cfg:1: error: vm 'e' is missing required key 'kernel'");
}

Test(config_errors, region_overlaps_ram)
{
    expect_one_error(GOOD_A "[vm b]\nmemory = 256M\nregion = 0x40000000 16M\nkernel = \\k\n",
                     "hv.cfg:6: error: region 0x40000000+16M overlaps RAM of vm 'b'");
    cr_assert_not(vm_named("b")->valid);
    expect_good_vm_valid();
    /* Overlap is checked at section end, so memory may come after region. */
    expect_one_error("[vm b]\nregion = 0x4ff00000 2M\nkernel = \\k\nmemory = 256M\n",
                     "hv.cfg:2: error: region 0x4ff00000+2M overlaps RAM of vm 'b'");
    /* Just past RAM and just below it are fine. */
    cr_assert_eq(parse("[vm b]\nregion = 0x50000000 2M\nregion = 0x3ffff000 4K\nkernel = \\k\nmemory = 256M\n"), 0);
    cr_assert_eq(cfg.vms[0].region_count, 2);
}

Test(config_errors, region_overlaps_ram_x86_base)
{
    const char *text = "[vm b]\nmemory = 1M\nkernel = \\k\nregion = 0xff000 64K\n";
    cr_assert_eq(parse_len_base(text, strlen(text), 0), 1);
    cr_assert_str_eq(cap.lines[0], "hv.cfg:4: error: region 0xff000+64K overlaps RAM of vm 'b'");
    /* On aarch64 the same region is far below RAM. */
    cr_assert_eq(parse(text), 0);
}

Test(config_errors, region_overlaps_region)
{
    expect_one_error("[vm b]\nmemory = 1M\nkernel = \\k\nregion = 0x10000000 256M\nregion = 0x1ffff000 4K ro\n" GOOD_A,
                     "hv.cfg:5: error: region 0x1ffff000+4K overlaps region 0x10000000+256M (line 4) of vm 'b'");
    cr_assert_not(vm_named("b")->valid);
    expect_good_vm_valid();
}

Test(config_errors, region_malformed)
{
    expect_one_error("[vm a]\nmemory = 1M\nkernel = \\k\nregion = 0x10000000\n",
                     "hv.cfg:4: error: malformed region '0x10000000' (expected 'GPA SIZE [ro|rw]')");
    expect_one_error("[vm a]\nmemory = 1M\nkernel = \\k\nregion = 1 2 3 4\n",
                     "hv.cfg:4: error: malformed region '1 2 3 4' (expected 'GPA SIZE [ro|rw]')");
    expect_one_error("[vm a]\nmemory = 1M\nkernel = \\k\nregion = 0x1000g 4K\n",
                     "hv.cfg:4: error: malformed address '0x1000g' for 'region'");
    expect_one_error("[vm a]\nmemory = 1M\nkernel = \\k\nregion = 0x10000800 4K\n",
                     "hv.cfg:4: error: address '0x10000800' for 'region' is not 4K aligned");
    expect_one_error("[vm a]\nmemory = 1M\nkernel = \\k\nregion = 0x10000000000000000 4K\n",
                     "hv.cfg:4: error: address '0x10000000000000000' for 'region' overflows 64 bits");
    expect_one_error("[vm a]\nmemory = 1M\nkernel = \\k\nregion = 0x10000000 3K\n",
                     "hv.cfg:4: error: size '3K' for 'region' is not a multiple of 4K");
    expect_one_error("[vm a]\nmemory = 1M\nkernel = \\k\nregion = 0x10000000 4K rx\n",
                     "hv.cfg:4: error: malformed region access 'rx' (expected 'ro' or 'rw')");
    expect_one_error("[vm a]\nmemory = 1M\nkernel = \\k\nregion = 0xfffffffffff00000 2M\n",
                     "hv.cfg:4: error: region 0xfffffffffff00000+2M extends past the 64-bit address space");
    /* Ending exactly at 2^64 is allowed. */
    cr_assert_eq(parse("[vm a]\nmemory = 1M\nkernel = \\k\nregion = 0xfffffffffff00000 1M\n"), 0);
    /* Decimal GPA, tabs between fields. */
    cr_assert_eq(parse("[vm a]\nmemory = 1M\nkernel = \\k\nregion = 4096\t4096\tro\n"), 0);
    cr_assert_eq(cfg.vms[0].regions[0].gpa, 4096);
    cr_assert(cfg.vms[0].regions[0].read_only);
}

Test(config_errors, too_many_regions)
{
    char text[1024] = "[vm a]\nmemory = 1M\nkernel = \\k\n";
    size_t off = strlen(text);
    for (int i = 0; i < 9; i++)
        off += (size_t)snprintf(text + off, sizeof(text) - off, "region = 0x%x 4K\n", 0x1000 * (i + 1));
    expect_one_error(text, "hv.cfg:12: error: too many regions in [vm a] (max 8)");
    cr_assert_eq(cfg.vms[0].region_count, 8);
    cr_assert_eq(cfg.vms[0].regions[7].gpa, 0x8000);
}

Test(config_errors, cmdline_too_long)
{
    char text[1100], cmd[600];
    memset(cmd, 'c', sizeof(cmd));
    cmd[512] = '\0';
    snprintf(text, sizeof(text), "[vm a]\nmemory = 1M\nkernel = \\k\ncmdline = %s\n" GOOD_A, cmd);
    expect_one_error(text, "hv.cfg:4: error: cmdline too long (512 chars, max 511)");
    expect_good_vm_valid();
    cmd[511] = '\0';
    snprintf(text, sizeof(text), "[vm a]\nmemory = 1M\nkernel = \\k\ncmdline = %s\n", cmd);
    cr_assert_eq(parse(text), 0);
    cr_assert_eq(strlen(cfg.vms[0].cmdline), 511);
}

Test(config_errors, line_too_long)
{
    static char text[4096];
    char big[1100];
    memset(big, 'x', sizeof(big));
    big[1024 - 10] = '\0'; /* "cmdline = " + 1014 chars = 1024 chars */
    snprintf(text, sizeof(text), "[vm a]\nmemory = 1M\nkernel = \\k\ncmdline = %s\n" GOOD_A, big);
    expect_one_error(text, "hv.cfg:4: error: line too long (1024 chars, max 1023)");
    cr_assert_not(vm_named("a")->valid);
    expect_good_vm_valid();
    /* A long line in the global section is reported and ignored, even a comment. */
    big[1024 - 10] = 'x';
    big[1030] = '\0';
    snprintf(text, sizeof(text), "# %s\n" GOOD_A, big);
    expect_one_error(text, "hv.cfg:1: error: line too long (1032 chars, max 1023)");
    expect_good_vm_valid();
    /* A required key on a too-long line does not also count as missing. */
    snprintf(text, sizeof(text), "[vm a]\nmemory = 1M\nkernel = \\%s\n" GOOD_A, big);
    expect_one_error(text, "hv.cfg:3: error: line too long (1040 chars, max 1023)");
    cr_assert_not(vm_named("a")->valid);
    expect_good_vm_valid();
}

Test(config_errors, garbage_line)
{
    expect_one_error("[vm a]\nmemory = 1M\nkernel = \\k\njust some words\n" GOOD_A,
                     "hv.cfg:4: error: expected 'key = value', '[vm NAME]' or '# comment', got 'just some words'");
    cr_assert_not(vm_named("a")->valid);
    expect_good_vm_valid();
    expect_one_error("hello\n" GOOD_A, "hv.cfg:1: error: expected 'key = value', '[vm NAME]' or '# comment', got 'hello'");
    expect_good_vm_valid();
}

Test(config_errors, malformed_key)
{
    expect_one_error("[vm a]\nmemory = 1M\nkernel = \\k\non crash = stop\n",
                     "hv.cfg:4: error: malformed key 'on crash'");
    expect_one_error("[vm a]\nmemory = 1M\nkernel = \\k\n= stop\n", "hv.cfg:4: error: missing key before '=' (value 'stop')");
}

Test(config_errors, malformed_header)
{
    /* The broken section's lines are skipped for storage but still checked. */
    expect_one_error(GOOD_A "[vm b\nmemory = 1M\nkernel = \\k\n",
                     "hv.cfg:4: error: malformed section header '[vm b' (expected '[vm NAME]')");
    cr_assert_eq(cfg.vm_count, 1);
    expect_good_vm_valid();
    expect_one_error("[machine b]\nmemory = 1M\n" GOOD_A,
                     "hv.cfg:1: error: malformed section header '[machine b]' (expected '[vm NAME]')");
    expect_good_vm_valid();
    expect_one_error("[vm]\n" GOOD_A, "hv.cfg:1: error: malformed section header '[vm]' (expected '[vm NAME]')");
    expect_one_error("[vm b] # note\n" GOOD_A,
                     "hv.cfg:1: error: malformed section header '[vm b] # note' (expected '[vm NAME]')");
    expect_one_error("[vm my.vm]\nmemory = 1M\nkernel = \\k\n" GOOD_A,
                     "hv.cfg:1: error: invalid vm name 'my.vm' (expected 1..31 chars of A-Z a-z 0-9 _ -)");
    cr_assert_eq(cfg.vm_count, 1);
    expect_good_vm_valid();
    expect_one_error("[vm aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]\n",
                     "hv.cfg:1: error: invalid vm name 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' (expected 1..31 chars of A-Z a-z 0-9 _ -)");
    /* Lines under a broken header are still checked and reported, naming that header. */
    cr_assert_eq(parse("[vm x.y]\nbogus = 1\n"), 2);
    cr_assert_str_eq(cap.lines[1], "hv.cfg:2: error: unknown key 'bogus' in [vm x.y]");
    /* 31 chars and blanks inside the brackets are fine. */
    cr_assert_eq(parse("[ vm  aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa ]\nmemory = 1M\nkernel = \\k\n"), 0);
    cr_assert_str_eq(cfg.vms[0].name, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
}

Test(config_errors, all_errors_of_one_vm_reported)
{
    uint32_t n = parse("[vm a]\ncpus = 9\nmemory = 1Q\nwhat = 1\n" GOOD_A "[vm c]\nmemory = 1M\nkernel = \\k\n");
    cr_assert_eq(n, 4);
    cr_assert_str_eq(cap.lines[0], "hv.cfg:2: error: value '9' for 'cpus' out of range 1..8");
    cr_assert_str_eq(cap.lines[1], "hv.cfg:3: error: malformed size '1Q' for 'memory'");
    cr_assert_str_eq(cap.lines[2], "hv.cfg:4: error: unknown key 'what' in [vm a]");
    cr_assert_str_eq(cap.lines[3], "hv.cfg:1: error: vm 'a' is missing required key 'kernel'");
    cr_assert_not(vm_named("a")->valid);
    expect_good_vm_valid();
    cr_assert(vm_named("c")->valid);
}

Test(config_errors, long_values_are_cut_in_messages)
{
    char text[300], val[200];
    memset(val, 'z', sizeof(val));
    val[150] = '\0';
    snprintf(text, sizeof(text), "[vm a]\nmemory = 1M\nkernel = \\k\non_crash = %s\n", val);
    expect_one_error(text, "hv.cfg:4: error: unknown on_crash 'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz...' "
                           "(expected 'stop' or 'reset')");
}

/* ---- line handling ---- */

Test(config_lines, crlf)
{
    const char *text = "console = serial\r\n[vm a]\r\nmemory = 1M\r\nkernel = \\k\r\ncmdline = quiet\r\n\r\nbad\r\n";
    cr_assert_eq(parse(text), 1);
    cr_assert_str_eq(cap.lines[0], "hv.cfg:7: error: expected 'key = value', '[vm NAME]' or '# comment', got 'bad'");
    cr_assert_str_eq(cfg.vms[0].kernel, "\\k");
    cr_assert_str_eq(cfg.vms[0].cmdline, "quiet");
    cr_assert_str_eq(cfg.console, "serial");
}

Test(config_lines, no_trailing_newline)
{
    cr_assert_eq(parse("[vm a]\nmemory = 1M\nkernel = \\guests\\Image"), 0);
    cr_assert_str_eq(cfg.vms[0].kernel, "\\guests\\Image");
    cr_assert_eq(parse("[vm a]\nkernel = \\k\nmemory = 1M\r"), 0);
    cr_assert_eq(cfg.vms[0].memory_bytes, 1ull << 20);
    cr_assert_eq(parse("[vm a]\nkernel = \\k\nmemory = 1Z"), 1);
    cr_assert_str_eq(cap.lines[0], "hv.cfg:3: error: malformed size '1Z' for 'memory'");
}

Test(config_lines, embedded_nul)
{
    const char text[] = "[vm a]\nmemory = 1M\nkernel = \\k\ncmdline = abc\0def\n" GOOD_A;
    cr_assert_eq(parse_len(text, sizeof(text) - 1), 1);
    cr_assert_str_eq(cap.lines[0], "hv.cfg:4: error: invalid byte 0x00 at column 14");
    cr_assert_not(vm_named("a")->valid);
    cr_assert_str_eq(vm_named("a")->cmdline, "");
    expect_good_vm_valid();
    /* NUL inside a comment line is just part of the comment. */
    const char text2[] = "# a\0b\n" GOOD_A;
    cr_assert_eq(parse_len(text2, sizeof(text2) - 1), 0);
    expect_good_vm_valid();
}

Test(config_lines, invalid_bytes)
{
    expect_one_error("[vm a]\nmemory = 1M\nkernel = \\k\xc3\xa9\n" GOOD_A, "hv.cfg:3: error: invalid byte 0xc3 at column 12");
    cr_assert_not(vm_named("a")->valid);
    expect_good_vm_valid();
    expect_one_error("console = ser\rial\n" GOOD_A, "hv.cfg:1: error: invalid byte 0x0d at column 14");
    expect_good_vm_valid();
    /* UTF-8 in a comment is fine. */
    cr_assert_eq(parse("# caf\xc3\xa9 \xff\n" GOOD_A), 0);
}

Test(config_lines, hash_inside_cmdline_is_kept)
{
    cr_assert_eq(parse("[vm a]\nmemory = 1M\nkernel = \\k\ncmdline = console=ttyAMA0 # not a comment  \n"), 0);
    cr_assert_str_eq(cfg.vms[0].cmdline, "console=ttyAMA0 # not a comment");
    /* Only whole-line comments exist, so a trailing comment makes other values malformed. */
    expect_one_error("[vm a]\nmemory = 1M\nkernel = \\k\ncpus = 2 # two\n",
                     "hv.cfg:4: error: malformed number '2 # two' for 'cpus'");
}

Test(config_lines, cmdline_keeps_equals_signs)
{
    cr_assert_eq(parse("[vm a]\nmemory=1M\nkernel=\\k\ncmdline=a=b  c==d\n"), 0);
    cr_assert_str_eq(cfg.vms[0].cmdline, "a=b  c==d");
}

/* ---- sizes ---- */

Test(config_size, suffixes)
{
    uint64_t v = 0;
    cr_assert(config_parse_size("4096", &v));
    cr_assert_eq(v, 4096);
    cr_assert(config_parse_size("4K", &v));
    cr_assert_eq(v, 4096);
    cr_assert(config_parse_size("8k", &v));
    cr_assert_eq(v, 8192);
    cr_assert(config_parse_size("12KiB", &v));
    cr_assert_eq(v, 12288);
    cr_assert(config_parse_size("512M", &v));
    cr_assert_eq(v, 512ull << 20);
    cr_assert(config_parse_size("3mib", &v));
    cr_assert_eq(v, 3ull << 20);
    cr_assert(config_parse_size("2G", &v));
    cr_assert_eq(v, 2ull << 30);
    cr_assert(config_parse_size("1GIB", &v));
    cr_assert_eq(v, 1ull << 30);
    cr_assert(config_parse_size("0x1000", &v));
    cr_assert_eq(v, 0x1000);
    cr_assert(config_parse_size("0X10m", &v));
    cr_assert_eq(v, 16ull << 20);
    cr_assert(config_parse_size("0xfffffffffffff000", &v));
    cr_assert_eq(v, 0xfffffffffffff000ull);
    cr_assert(config_parse_size("17179869183G", &v));
    cr_assert_eq(v, 17179869183ull << 30);
}

Test(config_size, rejects)
{
    uint64_t v = 77;
    const char *bad[] = {
        "",  "K",   "M4",    "12Q",  "4 K",   " 4K",   "4K ",  "-4K",  "+4K",    "0x",          "0xK",
        "4KB", "4kb", "4Ki", "4MiBs", "4T",  "1.5M", "0",     "0K",   "0x0",    "4095",        "100",
        "1000000", "0x800", "18446744073709551616", "0x10000000000000000", "17179869184G",
        "99999999999999999999999999K", "0xfffffffffffffffff", "16777216T",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_not(config_parse_size(bad[i], &v), "'%s' must be rejected", bad[i]);
        cr_assert_eq(v, 77, "'%s' must not write the output", bad[i]);
    }
    cr_assert_not(config_parse_size(NULL, &v));
}

/* ---- formatting ---- */

Test(config_format, error_line)
{
    char buf[128];
    int n = config_format_error(buf, sizeof(buf), "hv.cfg", 7, "unknown key 'kernal' in [vm a]");
    cr_assert_str_eq(buf, "hv.cfg:7: error: unknown key 'kernal' in [vm a]");
    cr_assert_eq(n, (int)strlen(buf));
    config_format_error(buf, 12, "hv.cfg", 12345, "x");
    cr_assert_str_eq(buf, "hv.cfg:1234");
    config_format_error(buf, sizeof(buf), "\\EFI\\hv\\hv.cfg", 1, "r");
    cr_assert_str_eq(buf, "\\EFI\\hv\\hv.cfg:1: error: r");
}

Test(config_format, file_name_is_used)
{
    const char *text = "oops\n";
    memset(&cap, 0, sizeof(cap));
    cr_assert_eq(config_parse(&cfg, "\\EFI\\hv\\hv.cfg", text, strlen(text), 0, collect, &cap), 1);
    cr_assert_str_eq(cap.lines[0], "\\EFI\\hv\\hv.cfg:1: error: expected 'key = value', '[vm NAME]' or '# comment', got 'oops'");
}

Test(config, selftest_key_is_global_and_checked)
{
    static struct hv_config cfg;
    const char *ok = "selftest = exception\n";
    cr_assert_eq(config_parse(&cfg, "hv.cfg", ok, strlen(ok), 0x40000000, NULL, NULL), 0);
    cr_assert(cfg.selftest_exception);
    const char *bad = "selftest = reboot\n";
    cr_assert_eq(config_parse(&cfg, "hv.cfg", bad, strlen(bad), 0x40000000, NULL, NULL), 1);
    cr_assert_not(cfg.selftest_exception);
}

/* --- device = BASE SIZE [spi INTID]: physical pass-through ------------------------- */

Test(config, device_parsed)
{
    cr_assert_eq(parse("[vm a]\nmemory = 64M\nkernel = \\k\ndevice = 0x09010000 4K spi 34\n"
                       "device = 0x09030000 0x1000\n"), 0);
    const struct config_vm *a = vm_named("a");
    cr_assert(a->valid);
    cr_assert_eq(a->device_count, 2);
    cr_assert_eq(a->devices[0].base, 0x09010000ull);
    cr_assert_eq(a->devices[0].size_bytes, 4096ull);
    cr_assert_eq(a->devices[0].spi, 34);
    cr_assert_eq(a->devices[0].line, 4);
    cr_assert_eq(a->devices[1].spi, 0);
    cr_assert_eq(a->devices[1].line, 5);
}

#define DEV_VM "[vm b]\nmemory = 64M\nkernel = \\k\n"

Test(config_errors, device_malformed)
{
    expect_one_error(DEV_VM "device = 0x09010000\n",
                     "hv.cfg:4: error: malformed device '0x09010000' (expected 'ADDRESS SIZE [spi INTID]')");
    expect_one_error(DEV_VM "device = 0x09010000 4K irq 34\n",
                     "hv.cfg:4: error: malformed device '0x09010000 4K irq 34' (expected 'ADDRESS SIZE [spi INTID]')");
    expect_one_error(DEV_VM "device = 0x09010000 4K spi\n",
                     "hv.cfg:4: error: malformed device '0x09010000 4K spi' (expected 'ADDRESS SIZE [spi INTID]')");
    expect_one_error(DEV_VM "device = 0x0901zz00 4K\n",
                     "hv.cfg:4: error: malformed address '0x0901zz00' for 'device'");
    expect_one_error(DEV_VM "device = 0x09010000 4K spi 0x22\n",
                     "hv.cfg:4: error: malformed spi '0x22' for 'device'");
    expect_one_error(DEV_VM "device = 0x09010000 3K spi 34\n",
                     "hv.cfg:4: error: size '3K' for 'device' is not a multiple of 4K");
    cr_assert_not(vm_named("b")->valid);
}

Test(config_errors, device_unaligned)
{
    expect_one_error(DEV_VM "device = 0x09010800 4K spi 34\n",
                     "hv.cfg:4: error: address '0x09010800' for 'device' is not 4K aligned");
}

Test(config_errors, device_spi_range)
{
    expect_one_error(DEV_VM "device = 0x09010000 4K spi 31\n",
                     "hv.cfg:4: error: spi '31' for 'device' out of range 32..1019");
    expect_one_error(DEV_VM "device = 0x09010000 4K spi 1020\n",
                     "hv.cfg:4: error: spi '1020' for 'device' out of range 32..1019");
    expect_one_error(DEV_VM "device = 0x09010000 4K spi 99999999999999999999\n",
                     "hv.cfg:4: error: spi '99999999999999999999' for 'device' out of range 32..1019");
    cr_assert_eq(parse(DEV_VM "device = 0x09010000 4K spi 32\ndevice = 0x09020000 4K spi 1019\n"), 0);
}

Test(config_errors, device_overlaps_ram_region_device)
{
    expect_one_error(DEV_VM "device = 0x43fff000 8K\n",
                     "hv.cfg:4: error: device 0x43fff000+8K overlaps RAM of vm 'b'");
    expect_one_error(DEV_VM "region = 0x09000000 1M\ndevice = 0x09010000 4K spi 34\n",
                     "hv.cfg:5: error: device 0x9010000+4K overlaps region 0x9000000+1M (line 4) of vm 'b'");
    expect_one_error(DEV_VM "device = 0x09010000 8K\ndevice = 0x09011000 4K\n",
                     "hv.cfg:5: error: device 0x9011000+4K overlaps device 0x9010000+8K (line 4) of vm 'b'");
    expect_one_error(DEV_VM "device = 0x09010000 4K spi 34\ndevice = 0x09030000 4K spi 34\n",
                     "hv.cfg:5: error: spi 34 is already given to device 0x9010000+4K (line 4) of vm 'b'");
}

Test(config_errors, device_too_many)
{
    expect_one_error(DEV_VM "device = 0x09010000 4K\ndevice = 0x09020000 4K\ndevice = 0x09030000 4K\n"
                     "device = 0x09040000 4K\ndevice = 0x09050000 4K\n",
                     "hv.cfg:8: error: too many devices in [vm b] (max 4)");
}

Test(config_errors, device_given_to_two_vms)
{
    expect_one_error(GOOD_A "device = 0x09010000 4K spi 34\n" DEV_VM "device = 0x09010000 4K\n",
                     "hv.cfg:8: error: device 0x9010000+4K of vm 'b' overlaps device 0x9010000+4K (line 4) of vm 'good'");
    expect_good_vm_valid();
    cr_assert_not(vm_named("b")->valid);
    expect_one_error(GOOD_A "device = 0x09010000 4K spi 34\n" DEV_VM "device = 0x09030000 4K spi 34\n",
                     "hv.cfg:8: error: spi 34 of vm 'b' is already given to vm 'good' (line 4)");
    expect_good_vm_valid();
    cr_assert_not(vm_named("b")->valid);
    /* Different devices and SPIs in two VMs are fine. */
    cr_assert_eq(parse(GOOD_A "device = 0x09010000 4K spi 34\n" DEV_VM "device = 0x09030000 4K spi 39\n"), 0);
}

/* --- pci = BB:DD.F: a physical PCI function assigned to one VM ----------------------- */

Test(config, pci_parsed)
{
    cr_assert_eq(parse(DEV_VM "pci = 00:04.0\npci = 0:1f.7\npci = aB:0.3\n"), 0);
    const struct config_vm *b = vm_named("b");
    cr_assert(b->valid);
    cr_assert_eq(b->pci_count, 3);
    cr_assert_eq(b->pcis[0].bus, 0);
    cr_assert_eq(b->pcis[0].dev, 4);
    cr_assert_eq(b->pcis[0].fn, 0);
    cr_assert_eq(b->pcis[0].line, 4);
    cr_assert_eq(b->pcis[1].bus, 0);
    cr_assert_eq(b->pcis[1].dev, 0x1f);
    cr_assert_eq(b->pcis[1].fn, 7);
    cr_assert_eq(b->pcis[1].line, 5);
    cr_assert_eq(b->pcis[2].bus, 0xab);
    cr_assert_eq(b->pcis[2].dev, 0);
    cr_assert_eq(b->pcis[2].fn, 3);
    cr_assert_eq(b->pcis[2].line, 6);
    /* Same guest device on a different VM, or a different host bus in another VM, is fine. */
    cr_assert_eq(parse(GOOD_A "pci = 00:04.0\n" DEV_VM "pci = 01:04.0\n"), 0);
    cr_assert_eq(vm_named("good")->pci_count, 1);
    cr_assert_eq(vm_named("b")->pcis[0].bus, 1);
}

Test(config_errors, pci_malformed)
{
    static const char *const bad[] = { "00:04", "00:20.0", "00:04.8", "100:00.0", "zz:00.0", "000:04.0",
                                       "00:004.0", "00:04.", "00:04.01", "00.04.0", ":04.0", "0x0:04.0",
                                       "00:04.0 x", "-1:04.0" };
    char text[256], want[256];
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(text, sizeof(text), DEV_VM "pci = %s\n" GOOD_A, bad[i]);
        snprintf(want, sizeof(want),
                 "hv.cfg:4: error: malformed pci '%s' (expected 'BUS:DEVICE.FUNCTION', e.g. 00:04.0)", bad[i]);
        expect_one_error(text, want);
        cr_assert_not(vm_named("b")->valid, "'%s'", bad[i]);
        cr_assert_eq(vm_named("b")->pci_count, 0, "'%s'", bad[i]);
        expect_good_vm_valid();
    }
}

Test(config_errors, pci_same_device_twice_in_one_vm)
{
    /* The VM has one bus: 00:04.0 and 01:04.0 would both be its 00:04.0. */
    expect_one_error(DEV_VM "pci = 00:04.0\npci = 01:04.0\n" GOOD_A,
                     "hv.cfg:5: error: pci '01:04.0' uses device 04.0 like line 4 (one bus in the VM)");
    cr_assert_not(vm_named("b")->valid);
    expect_good_vm_valid();
    expect_one_error(DEV_VM "pci = 00:04.0\npci = 00:04.0\n",
                     "hv.cfg:5: error: pci '00:04.0' uses device 04.0 like line 4 (one bus in the VM)");
    /* Other functions of the same device are separate. */
    cr_assert_eq(parse(DEV_VM "pci = 00:04.0\npci = 00:04.1\n"), 0);
}

Test(config_errors, pci_too_many)
{
    expect_one_error(DEV_VM "pci = 00:01.0\npci = 00:02.0\npci = 00:03.0\npci = 00:04.0\npci = 00:05.0\n",
                     "hv.cfg:8: error: too many pci functions in [vm b] (max 4)");
}

Test(config_errors, pci_only_in_vm)
{
    expect_one_error("pci = 00:04.0\n" GOOD_A, "hv.cfg:1: error: key 'pci' is only allowed inside a [vm NAME] section");
}

Test(config_errors, pci_given_to_two_vms)
{
    expect_one_error(GOOD_A "pci = 00:04.0\n" DEV_VM "pci = 00:04.0\n",
                     "hv.cfg:8: error: pci 00:04.0 of vm 'b' is already given to vm 'good' (line 4)");
    expect_good_vm_valid();
    cr_assert_not(vm_named("b")->valid);
    /* Written differently, the same function. */
    expect_one_error(GOOD_A "pci = 0a:1F.2\n" DEV_VM "pci = 00:01.0\npci = A:1f.2\n",
                     "hv.cfg:9: error: pci 0a:1f.2 of vm 'b' is already given to vm 'good' (line 4)");
    expect_good_vm_valid();
    cr_assert_not(vm_named("b")->valid);
}

/* --- mgmt = dhcp [port N] | A.B.C.D/PREFIX [gw A.B.C.D] [port N] ---------------------- */

Test(config, mgmt_absent_is_off)
{
    cr_assert_eq(parse(GOOD_A), 0);
    cr_assert(!cfg.mgmt.enabled);
}

Test(config, mgmt_dhcp_and_static)
{
    cr_assert_eq(parse("mgmt = dhcp\n" GOOD_A), 0);
    cr_assert(cfg.mgmt.enabled && cfg.mgmt.dhcp);
    cr_assert_eq(cfg.mgmt.port, CONFIG_MGMT_PORT_DEFAULT);
    cr_assert_eq(parse("mgmt = dhcp port 2323\n" GOOD_A), 0);
    cr_assert_eq(cfg.mgmt.port, 2323);
    cr_assert_eq(parse("mgmt = 10.0.2.15/24 gw 10.0.2.2 port 80\n" GOOD_A), 0);
    cr_assert(cfg.mgmt.enabled && !cfg.mgmt.dhcp);
    cr_assert_eq(cfg.mgmt.ip, 0x0A00020Fu);
    cr_assert_eq(cfg.mgmt.netmask, 0xFFFFFF00u);
    cr_assert_eq(cfg.mgmt.gateway, 0x0A000202u);
    cr_assert_eq(cfg.mgmt.port, 80);
    cr_assert_eq(cfg.mgmt.line, 1);
    cr_assert_eq(parse("mgmt = 192.168.1.7/16\n" GOOD_A), 0);
    cr_assert_eq(cfg.mgmt.netmask, 0xFFFF0000u);
    cr_assert_eq(cfg.mgmt.gateway, 0);
}

Test(config_errors, mgmt_malformed)
{
    static const char *bad[] = {
        "mgmt = \n", "mgmt = dhcpx\n", "mgmt = dhcp port\n", "mgmt = dhcp port 0\n", "mgmt = dhcp port 65536\n",
        "mgmt = dhcp gw 10.0.2.2\n", "mgmt = 10.0.2.15\n", "mgmt = 10.0.2.15/0\n", "mgmt = 10.0.2.15/32\n",
        "mgmt = 10.0.2/24\n", "mgmt = 10.0.2.256/24\n", "mgmt = 10.0.2.015/24\n", "mgmt = 0.0.0.0/8\n",
        "mgmt = 10.0.2.15/24 gw\n", "mgmt = 10.0.2.15/24 gw 10.0.2.2.1\n", "mgmt = 10.0.2.15/24 via 10.0.2.2\n",
        "mgmt = 10.0.2.15/24 gw 10.0.2.2 port 80 port 81 port 82\n",   /* more tokens than kept */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[256], want[256], value[64];
        snprintf(text, sizeof(text), "%s" GOOD_A, bad[i]);
        snprintf(value, sizeof(value), "%s", bad[i] + strlen("mgmt = "));
        value[strcspn(value, "\n")] = '\0';
        if (!value[0])
            continue;                           /* an empty value: the generic message */
        snprintf(want, sizeof(want),
                 "hv.cfg:1: error: malformed mgmt '%s' (expected 'dhcp [port N]' or 'A.B.C.D/PREFIX [gw A.B.C.D] [port N]')",
                 value);
        expect_one_error(text, want);
        cr_assert(!cfg.mgmt.enabled, "%s", bad[i]);
    }
}

Test(config_errors, mgmt_only_global)
{
    expect_one_error("[vm a]\nmemory = 1M\nkernel = \\k\nmgmt = dhcp\n",
                     "hv.cfg:4: error: key 'mgmt' is only allowed in the global section, not in [vm a]");
}

Test(config, selftest_at_abort_takes_a_4k_aligned_address)
{
    static struct hv_config cfg;
    const char *ok = "selftest = at-abort 0x0b000000\n";
    cr_assert_eq(config_parse(&cfg, "hv.cfg", ok, strlen(ok), 0x40000000, NULL, NULL), 0);
    cr_assert_eq(cfg.selftest_at_abort, 0x0b000000ull);
    cr_assert_not(cfg.selftest_exception);
    const char *bad[] = { "selftest = at-abort\n", "selftest = at-abort 0x0b000010\n", "selftest = at-abort 0\n",
                          "selftest = at-abort 0x1000 x\n" };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_eq(config_parse(&cfg, "hv.cfg", bad[i], strlen(bad[i]), 0x40000000, NULL, NULL), 1, "%s", bad[i]);
        cr_assert_eq(cfg.selftest_at_abort, 0);
    }
}

/* --- mgmt_key = HEX ------------------------------------------------------------------- */
Test(config, mgmt_key_hex_to_bytes)
{
    cr_assert_eq(parse(GOOD_A), 0);
    cr_assert_eq(cfg.mgmt_key_len, 0);
    cr_assert_eq(parse("mgmt_key = 00112233445566778899AABBCCDDeeff\n" GOOD_A), 0);
    cr_assert_eq(cfg.mgmt_key_len, 16);
    cr_assert_eq(cfg.mgmt_key[0], 0x00);
    cr_assert_eq(cfg.mgmt_key[5], 0x55);
    cr_assert_eq(cfg.mgmt_key[10], 0xaa);
    cr_assert_eq(cfg.mgmt_key[15], 0xff);
    char line[200] = "mgmt_key = ";
    for (int i = 0; i < 128; i++)
        strcat(line, "7");
    strcat(line, "\n" GOOD_A);
    cr_assert_eq(parse(line), 0);
    cr_assert_eq(cfg.mgmt_key_len, 64);
    cr_assert_eq(cfg.mgmt_key[63], 0x77);
}

Test(config_errors, mgmt_key_malformed_and_never_echoed)
{
    static const char *bad[] = {
        "mgmt_key = 00112233445566778899aabbccddee\n",          /* 15 bytes: too short */
        "mgmt_key = 00112233445566778899aabbccddeef\n",         /* odd digit count */
        "mgmt_key = 00112233445566778899aabbccddeeXX\n",        /* not hex */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[512];
        snprintf(text, sizeof(text), "%s%s", bad[i], GOOD_A);
        expect_one_error(text, "hv.cfg:1: error: malformed mgmt_key (expected 32 to 128 hex digits: a key of 16 "
                               "to 64 bytes)");
    }
}
