/* hv.cfg configuration: parsed VM definitions and the strict parser's API. */
#ifndef HV_CONFIG_H
#define HV_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_MAX_VMS 8
#define CONFIG_MAX_CPUS 8
#define CONFIG_MAX_REGIONS 8
#define CONFIG_MAX_DEVICES 4
#define CONFIG_MAX_PCI 4
#define CONFIG_SPI_MIN 32          /* SPI INTIDs (Arm IHI 0069): 32..1019 */
#define CONFIG_SPI_MAX 1019
#define CONFIG_PATH_MAX 128
#define CONFIG_CMDLINE_MAX 512
#define CONFIG_NAME_MAX 32

/* A physical MMIO device passed through to one VM: mapped at GPA = HPA, with its SPI
 * (INTID, 0 = none) routed to the VM. 'device = BASE SIZE [spi INTID]'. */
struct config_device {
    uint64_t base;
    uint64_t size_bytes;
    uint32_t spi;
    uint32_t line;
};

/* A physical PCI function assigned to one VM: 'pci = BB:DD.F' (hex bus and device, function
 * 0-7), as the host's firmware enumerated it. The VM sees it at 00:DD.F of its own bus. */
struct config_pci {
    uint8_t bus, dev, fn;
    uint32_t line;
};

enum config_on_crash { CONFIG_ON_CRASH_STOP, CONFIG_ON_CRASH_RESET };

/* x86_64: the CPU vendor CPUID leaf 0 names to the guest ('cpuid_vendor = host|intel|amd'), and with it
 * the vendor's own MSRs and CPUID leaves (arch/x86_64/cpuid.c, msr.c). No effect on aarch64. */
enum config_cpuid_vendor { CONFIG_CPUID_VENDOR_HOST, CONFIG_CPUID_VENDOR_INTEL, CONFIG_CPUID_VENDOR_AMD };

/* x86_64: 'nested = vmx' lets the VM use VMX itself (nested VMX, arch/x86_64/vmx/nested.c); 'none'
 * (the default) keeps VMX hidden in CPUID and its instructions raising #UD. */
enum config_nested { CONFIG_NESTED_NONE, CONFIG_NESTED_VMX };

struct config_region {
    uint64_t gpa;
    uint64_t size_bytes;
    bool read_only;
    uint32_t line;
};

struct config_vm {
    char name[CONFIG_NAME_MAX];
    uint32_t line;              /* line of the [vm NAME] header */
    bool valid;
    uint32_t cpu_count;         /* default 1 */
    uint64_t memory_bytes;
    char kernel[CONFIG_PATH_MAX];
    uint32_t kernel_line;
    char initrd[CONFIG_PATH_MAX];  /* "" when absent */
    uint32_t initrd_line;
    char dtb[CONFIG_PATH_MAX];     /* "" when absent */
    uint32_t dtb_line;
    char cmdline[CONFIG_CMDLINE_MAX];
    struct config_region regions[CONFIG_MAX_REGIONS];
    uint32_t region_count;
    struct config_device devices[CONFIG_MAX_DEVICES];
    uint32_t device_count;
    struct config_pci pcis[CONFIG_MAX_PCI];
    uint32_t pci_count;
    enum config_on_crash on_crash; /* default CONFIG_ON_CRASH_STOP */
    enum config_cpuid_vendor cpuid_vendor; /* default CONFIG_CPUID_VENDOR_HOST */
    uint64_t smram_bytes;       /* x86 guest SMM: TSEG size; 0 (default) = no SMM */
    bool incoming;              /* loaded, not started: waits for a live migration (kernel/migrate.c) */
    enum config_nested nested;  /* default CONFIG_NESTED_NONE */
};

/* The management interface (kernel/mgmt.c): 'mgmt = dhcp [port N]' or
 * 'mgmt = A.B.C.D/PREFIX [gw A.B.C.D] [port N]'. Off unless given. */
#define CONFIG_MGMT_PORT_DEFAULT 7700
struct config_mgmt {
    bool enabled;
    bool dhcp;
    uint32_t ip, netmask, gateway;   /* host byte order; 0 when DHCP / no gateway */
    uint16_t port;
    uint32_t line;
};

/* 'mgmt_key = HEX': the management interface's shared key, CONFIG_MGMT_KEY_MIN to
 * CONFIG_MGMT_KEY_MAX bytes as hex digits (docs/management.md "Authentication"). */
#define CONFIG_MGMT_KEY_MIN 16
#define CONFIG_MGMT_KEY_MAX 64

struct hv_config {
    char console[16];           /* default "serial" */
    struct config_mgmt mgmt;
    uint8_t mgmt_key[CONFIG_MGMT_KEY_MAX];
    uint32_t mgmt_key_len;      /* 0: no key (the interface then stays off) */
    char focus[CONFIG_NAME_MAX]; /* "" when absent */
    bool selftest_exception;    /* test-only: take a deliberate exception after start-up */
    uint64_t selftest_at_abort; /* test-only: AT over a table at this host address with nothing
                                   behind it must survive (aarch64); 0: off */
    struct config_vm vms[CONFIG_MAX_VMS];
    /* All [vm NAME] sections seen (valid or not), up to the max. Sections
     * beyond the max or with a malformed header are checked but not stored. */
    uint32_t vm_count;
};

typedef void (*config_report_fn)(void *ctx, const char *line);

/* Parses text[0..len) named file_name; returns the number of errors reported.
 * cfg is fully overwritten. Each error goes to report (may be NULL) as one
 * line "FILE:LINE: error: REASON" without a trailing newline. */
uint32_t config_parse(struct hv_config *cfg, const char *file_name, const char *text, size_t len,
                      uint64_t ram_base, config_report_fn report, void *ctx);

/* Helper used by the loader: formats "FILE:LINE: error: REASON" into buf. */
int config_format_error(char *buf, size_t size, const char *file_name, uint32_t line, const char *reason);

/* Parses a size string like "512M"; returns false when malformed, zero,
 * not a multiple of 4 KiB, or overflowing uint64. Exposed for tests. */
bool config_parse_size(const char *s, uint64_t *out);

#endif
