/* Strict hv.cfg parser: global keys plus [vm NAME] sections, every error reported with its line. */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define LINE_MAX_CHARS 1023
#define KIB 1024ull
#define MIB (1024ull * KIB)
#define GIB (1024ull * MIB)
#define PAGE_BYTES 4096ull
#define MEMORY_MIN_BYTES MIB
/* Values echoed in messages are cut so a report always stays short. */
#define QUOTE_MAX 48
#define QUOTE_BUF (QUOTE_MAX + 4)
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

enum scope { SCOPE_GLOBAL, SCOPE_VM };

enum num_status { NUM_OK, NUM_MALFORMED, NUM_OVERFLOW, NUM_ZERO, NUM_UNALIGNED };

struct parser;
struct key_def;

typedef void (*key_handler)(struct parser *p, const struct key_def *key, char *value);

struct key_def {
    const char *name;
    enum scope scope;
    bool required;
    bool repeatable;
    bool allow_empty;
    key_handler handler;
};

static void key_console(struct parser *p, const struct key_def *key, char *value);
static void key_focus(struct parser *p, const struct key_def *key, char *value);
static void key_selftest(struct parser *p, const struct key_def *key, char *value);
static void key_cpus(struct parser *p, const struct key_def *key, char *value);
static void key_memory(struct parser *p, const struct key_def *key, char *value);
static void key_kernel(struct parser *p, const struct key_def *key, char *value);
static void key_initrd(struct parser *p, const struct key_def *key, char *value);
static void key_dtb(struct parser *p, const struct key_def *key, char *value);
static void key_cmdline(struct parser *p, const struct key_def *key, char *value);
static void key_region(struct parser *p, const struct key_def *key, char *value);
static void key_on_crash(struct parser *p, const struct key_def *key, char *value);
static void key_cpuid_vendor(struct parser *p, const struct key_def *key, char *value);
static void key_smram(struct parser *p, const struct key_def *key, char *value);
static void key_incoming(struct parser *p, const struct key_def *key, char *value);
static void key_nested(struct parser *p, const struct key_def *key, char *value);
static void key_device(struct parser *p, const struct key_def *key, char *value);
static void key_pci(struct parser *p, const struct key_def *key, char *value);
static void key_mgmt(struct parser *p, const struct key_def *key, char *value);
static void key_mgmt_key(struct parser *p, const struct key_def *key, char *value);

/* name, scope, required, repeatable, allow_empty, handler */
static const struct key_def keys[] = {
    { "console", SCOPE_GLOBAL, false, false, false, key_console },
    { "focus", SCOPE_GLOBAL, false, false, false, key_focus },
    { "selftest", SCOPE_GLOBAL, false, false, false, key_selftest },
    { "mgmt", SCOPE_GLOBAL, false, false, false, key_mgmt },
    { "mgmt_key", SCOPE_GLOBAL, false, false, false, key_mgmt_key },
    { "cpus", SCOPE_VM, false, false, false, key_cpus },
    { "memory", SCOPE_VM, true, false, false, key_memory },
    { "kernel", SCOPE_VM, true, false, false, key_kernel },
    { "initrd", SCOPE_VM, false, false, false, key_initrd },
    { "dtb", SCOPE_VM, false, false, false, key_dtb },
    { "cmdline", SCOPE_VM, false, false, true, key_cmdline },
    { "region", SCOPE_VM, false, true, false, key_region },
    { "on_crash", SCOPE_VM, false, false, false, key_on_crash },
    { "cpuid_vendor", SCOPE_VM, false, false, false, key_cpuid_vendor },
    { "smram", SCOPE_VM, false, false, false, key_smram },
    { "incoming", SCOPE_VM, false, false, false, key_incoming },
    { "nested", SCOPE_VM, false, false, false, key_nested },
    { "device", SCOPE_VM, false, true, false, key_device },
    { "pci", SCOPE_VM, false, true, false, key_pci },
};

struct parser {
    struct hv_config *cfg;
    const char *file_name;
    uint64_t ram_base;
    config_report_fn report;
    void *ctx;
    uint32_t errors;
    uint32_t line;
    bool in_vm;   /* false while still in the global section */
    bool named;   /* the current section has a usable name (end checks make sense) */
    struct config_vm *vm;                 /* slot in cfg->vms, or &scratch when not stored */
    uint32_t key_line[ARRAY_LEN(keys)];   /* first line of each key in this section, 0 = unseen */
    char label[QUOTE_BUF + 8];            /* how messages name the current section */
    char reason[384];
    char out[512];
    char buf[LINE_MAX_CHARS + 1];
    /* Sections we cannot store still get their lines checked, into here. */
    struct config_vm scratch;
};

static void fail(struct parser *p, uint32_t line)
{
    config_format_error(p->out, sizeof(p->out), p->file_name, line, p->reason);
    p->errors++;
    if (p->in_vm)
        p->vm->valid = false;
    if (p->report)
        p->report(p->ctx, p->out);
}

#define FAIL(p, line, ...)                                         \
    do {                                                           \
        snprintf((p)->reason, sizeof((p)->reason), __VA_ARGS__);   \
        fail((p), (line));                                         \
    } while (0)

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' || c == '-';
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool eq_nocase(const char *a, const char *b)
{
    while (*a && lower(*a) == lower(*b)) {
        a++;
        b++;
    }
    return *a == '\0' && *b == '\0';
}

/* Copies s into buf, cut to QUOTE_MAX chars with "..." so messages stay bounded. */
static const char *quote(char buf[QUOTE_BUF], const char *s)
{
    size_t n = strlen(s);
    if (n <= QUOTE_MAX) {
        memcpy(buf, s, n + 1);
    } else {
        memcpy(buf, s, QUOTE_MAX);
        memcpy(buf + QUOTE_MAX, "...", 4);
    }
    return buf;
}

static char *trim(char *s)
{
    while (is_blank(*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && is_blank(s[n - 1]))
        n--;
    s[n] = '\0';
    return s;
}

static bool valid_name(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++) {
        if (!is_name_char(s[n]))
            return false;
    }
    return n >= 1 && n < CONFIG_NAME_MAX;
}

/* Reads a decimal or (when allowed) 0x-hex number; keeps consuming digits
 * after an overflow so the caller can still tell malformed from too big. */
static enum num_status parse_number(const char **sp, bool allow_hex, uint64_t *out)
{
    const char *s = *sp;
    uint64_t base = 10, v = 0;
    bool overflow = false;
    size_t digits = 0;

    if (allow_hex && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    for (;; s++, digits++) {
        char c = lower(*s);
        uint64_t d;
        if (is_digit(c))
            d = (uint64_t)(c - '0');
        else if (base == 16 && c >= 'a' && c <= 'f')
            d = (uint64_t)(c - 'a' + 10);
        else
            break;
        if (v > (UINT64_MAX - d) / base)
            overflow = true;
        else
            v = v * base + d;
    }
    *sp = s;
    if (digits == 0)
        return NUM_MALFORMED;
    *out = v;
    return overflow ? NUM_OVERFLOW : NUM_OK;
}

static enum num_status parse_size(const char *s, uint64_t *out)
{
    uint64_t v = 0, mult;
    enum num_status st = parse_number(&s, true, &v);

    if (st == NUM_MALFORMED)
        return st;
    if (*s == '\0')
        mult = 1;
    else if (eq_nocase(s, "k") || eq_nocase(s, "kib"))
        mult = KIB;
    else if (eq_nocase(s, "m") || eq_nocase(s, "mib"))
        mult = MIB;
    else if (eq_nocase(s, "g") || eq_nocase(s, "gib"))
        mult = GIB;
    else
        return NUM_MALFORMED;
    if (st == NUM_OVERFLOW || v > UINT64_MAX / mult)
        return NUM_OVERFLOW;
    v *= mult;
    if (v == 0)
        return NUM_ZERO;
    if (v % PAGE_BYTES)
        return NUM_UNALIGNED;
    *out = v;
    return NUM_OK;
}

bool config_parse_size(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    if (!s || parse_size(s, &v) != NUM_OK)
        return false;
    if (out)
        *out = v;
    return true;
}

int config_format_error(char *buf, size_t size, const char *file_name, uint32_t line, const char *reason)
{
    return snprintf(buf, size, "%s:%lu: error: %s", file_name ? file_name : "<config>",
                    (unsigned long)line, reason ? reason : "");
}

/* Renders a size the way a user would write it: 16M rather than 16777216. */
static const char *fmt_size(char buf[32], uint64_t v)
{
    if (v && v % GIB == 0)
        snprintf(buf, 32, "%" PRIu64 "G", (uint64_t)(v / GIB));
    else if (v && v % MIB == 0)
        snprintf(buf, 32, "%" PRIu64 "M", (uint64_t)(v / MIB));
    else if (v && v % KIB == 0)
        snprintf(buf, 32, "%" PRIu64 "K", (uint64_t)(v / KIB));
    else
        snprintf(buf, 32, "%" PRIu64, v);
    return buf;
}

static const char *fmt_range(char buf[64], uint64_t base, uint64_t size)
{
    char s[32];
    snprintf(buf, 64, "0x%" PRIx64 "+%s", base, fmt_size(s, size));
    return buf;
}

/* Inclusive last byte, so ranges ending at 2^64 do not wrap. */
static bool ranges_overlap(uint64_t a, uint64_t a_size, uint64_t b, uint64_t b_size)
{
    return a <= b + (b_size - 1) && b <= a + (a_size - 1);
}

static void report_size_error(struct parser *p, enum num_status st, const char *key, const char *value)
{
    char q[QUOTE_BUF];
    quote(q, value);
    switch (st) {
    case NUM_OVERFLOW:
        FAIL(p, p->line, "size '%s' for '%s' overflows 64 bits", q, key);
        break;
    case NUM_ZERO:
        FAIL(p, p->line, "size '%s' for '%s' must not be zero", q, key);
        break;
    case NUM_UNALIGNED:
        FAIL(p, p->line, "size '%s' for '%s' is not a multiple of 4K", q, key);
        break;
    default:
        FAIL(p, p->line, "malformed size '%s' for '%s'", q, key);
        break;
    }
}

static void key_console(struct parser *p, const struct key_def *key, char *value)
{
    char q[QUOTE_BUF];
    (void)key;
    if (strcmp(value, "serial") != 0) {
        FAIL(p, p->line, "unknown console '%s' (expected 'serial')", quote(q, value));
        return;
    }
    snprintf(p->cfg->console, sizeof(p->cfg->console), "%s", value);
}

static void key_focus(struct parser *p, const struct key_def *key, char *value)
{
    char q[QUOTE_BUF];
    if (!valid_name(value)) {
        FAIL(p, p->line, "malformed vm name '%s' for '%s'", quote(q, value), key->name);
        return;
    }
    memcpy(p->cfg->focus, value, strlen(value) + 1);
}

/* Test-only: makes the hypervisor take a deliberate exception after start-up, so
 * the register dump and panic path are exercised, or (at-abort) run an AT whose table walk
 * aborts, so the fixup path is (docs/config.md). */
static void key_selftest(struct parser *p, const struct key_def *key, char *value)
{
    char q[QUOTE_BUF];
    (void)key;
    if (strncmp(value, "at-abort ", 9) == 0) {
        const char *s = value + 9;
        uint64_t pa = 0;
        if (parse_number(&s, true, &pa) != NUM_OK || *s || !pa || (pa & 0xfff)) {
            FAIL(p, p->line, "malformed selftest '%s' (expected 'at-abort ADDRESS', 4K-aligned, not 0)",
                 quote(q, value));
            return;
        }
        p->cfg->selftest_at_abort = pa;
        return;
    }
    if (strcmp(value, "exception") != 0) {
        FAIL(p, p->line, "unknown selftest '%s' (expected 'exception' or 'at-abort ADDRESS')", quote(q, value));
        return;
    }
    p->cfg->selftest_exception = true;
}

static void key_cpus(struct parser *p, const struct key_def *key, char *value)
{
    char q[QUOTE_BUF];
    const char *s = value;
    uint64_t v = 0;
    enum num_status st = parse_number(&s, false, &v);

    if (st == NUM_MALFORMED || *s != '\0') {
        FAIL(p, p->line, "malformed number '%s' for '%s'", quote(q, value), key->name);
        return;
    }
    if (st != NUM_OK || v < 1 || v > CONFIG_MAX_CPUS) {
        FAIL(p, p->line, "value '%s' for '%s' out of range 1..%d", quote(q, value), key->name, CONFIG_MAX_CPUS);
        return;
    }
    p->vm->cpu_count = (uint32_t)v;
}

/* A size-valued key's value (parse_size); false when it does not parse, reported with the key's name. */
static bool size_value(struct parser *p, const struct key_def *key, const char *value, uint64_t *v)
{
    enum num_status st = parse_size(value, v);
    if (st != NUM_OK)
        report_size_error(p, st, key->name, value);
    return st == NUM_OK;
}

static void key_memory(struct parser *p, const struct key_def *key, char *value)
{
    char q[QUOTE_BUF];
    uint64_t v = 0;
    if (!size_value(p, key, value, &v))
        return;
    if (v < MEMORY_MIN_BYTES) {
        FAIL(p, p->line, "memory '%s' is below the 1M minimum", quote(q, value));
        return;
    }
    if (v - 1 > UINT64_MAX - p->ram_base) {
        FAIL(p, p->line, "memory '%s' does not fit above RAM base 0x%" PRIx64, quote(q, value),
             p->ram_base);
        return;
    }
    p->vm->memory_bytes = v;
}

/* ESP paths are handed to UEFI as-is, so keep them to a safe, simple subset. */
static void set_path(struct parser *p, const struct key_def *key, const char *value, char *dst, uint32_t *dst_line)
{
    char q[QUOTE_BUF];
    size_t n = strlen(value);

    if (n >= CONFIG_PATH_MAX) {
        FAIL(p, p->line, "path for '%s' too long (%lu chars, max %d)", key->name, (unsigned long)n,
             CONFIG_PATH_MAX - 1);
        return;
    }
    if (value[0] != '\\') {
        FAIL(p, p->line, "malformed path '%s' for '%s' (must start with '\\')", quote(q, value), key->name);
        return;
    }
    if (n < 2 || value[n - 1] == '\\') {
        FAIL(p, p->line, "malformed path '%s' for '%s' (must name a file)", quote(q, value), key->name);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (is_blank(value[i]) || value[i] == '/') {
            FAIL(p, p->line, "malformed path '%s' for '%s' (no spaces or '/' allowed)", quote(q, value),
                 key->name);
            return;
        }
    }
    memcpy(dst, value, n + 1);
    *dst_line = p->line;
}

static void key_kernel(struct parser *p, const struct key_def *key, char *value)
{
    set_path(p, key, value, p->vm->kernel, &p->vm->kernel_line);
}

static void key_initrd(struct parser *p, const struct key_def *key, char *value)
{
    set_path(p, key, value, p->vm->initrd, &p->vm->initrd_line);
}

static void key_dtb(struct parser *p, const struct key_def *key, char *value)
{
    set_path(p, key, value, p->vm->dtb, &p->vm->dtb_line);
}

static void key_cmdline(struct parser *p, const struct key_def *key, char *value)
{
    size_t n = strlen(value);
    (void)key;
    if (n >= CONFIG_CMDLINE_MAX) {
        FAIL(p, p->line, "cmdline too long (%lu chars, max %d)", (unsigned long)n, CONFIG_CMDLINE_MAX - 1);
        return;
    }
    memcpy(p->vm->cmdline, value, n + 1);
}

/* Splits value in place at blanks into at most max tokens; returns how many (a count
 * above max means there were too many). */
static size_t split_tokens(char *value, char **tok, size_t max)
{
    size_t ntok = 0;
    for (char *c = value; *c;) {
        if (ntok == max)
            return max + 1;
        tok[ntok++] = c;
        while (*c && !is_blank(*c))
            c++;
        if (!*c)
            break;
        *c++ = '\0';
        while (is_blank(*c))
            c++;
    }
    return ntok;
}

/* Parses 'ADDRESS SIZE' of a region or device: a 4K-aligned address and a size that fits
 * below 2^64. Reports and returns false on any error. */
static bool parse_range(struct parser *p, const struct key_def *key, const char *addr_tok,
                        const char *size_tok, uint64_t *base, uint64_t *size)
{
    char t[QUOTE_BUF], r[64];
    const char *s = addr_tok;
    enum num_status st = parse_number(&s, true, base);
    if (st == NUM_MALFORMED || *s != '\0') {
        FAIL(p, p->line, "malformed address '%s' for '%s'", quote(t, addr_tok), key->name);
        return false;
    }
    if (st == NUM_OVERFLOW) {
        FAIL(p, p->line, "address '%s' for '%s' overflows 64 bits", quote(t, addr_tok), key->name);
        return false;
    }
    if (*base % PAGE_BYTES) {
        FAIL(p, p->line, "address '%s' for '%s' is not 4K aligned", quote(t, addr_tok), key->name);
        return false;
    }
    st = parse_size(size_tok, size);
    if (st != NUM_OK) {
        report_size_error(p, st, key->name, size_tok);
        return false;
    }
    if (*size - 1 > UINT64_MAX - *base) {
        FAIL(p, p->line, "%s %s extends past the 64-bit address space", key->name, fmt_range(r, *base, *size));
        return false;
    }
    return true;
}

static void key_region(struct parser *p, const struct key_def *key, char *value)
{
    char q[QUOTE_BUF], t[QUOTE_BUF];
    char *tok[3];
    uint64_t gpa = 0, size = 0;
    bool read_only = false;

    quote(q, value);
    if (p->vm->region_count >= CONFIG_MAX_REGIONS) {
        FAIL(p, p->line, "too many regions in %s (max %d)", p->label, CONFIG_MAX_REGIONS);
        return;
    }
    size_t ntok = split_tokens(value, tok, ARRAY_LEN(tok));
    if (ntok < 2 || ntok > 3) {
        FAIL(p, p->line, "malformed region '%s' (expected 'GPA SIZE [ro|rw]')", q);
        return;
    }
    if (!parse_range(p, key, tok[0], tok[1], &gpa, &size))
        return;
    if (ntok == 3) {
        if (strcmp(tok[2], "ro") == 0) {
            read_only = true;
        } else if (strcmp(tok[2], "rw") != 0) {
            FAIL(p, p->line, "malformed region access '%s' (expected 'ro' or 'rw')", quote(t, tok[2]));
            return;
        }
    }
    struct config_region *reg = &p->vm->regions[p->vm->region_count++];
    reg->gpa = gpa;
    reg->size_bytes = size;
    reg->read_only = read_only;
    reg->line = p->line;
}

/* 'device = BASE SIZE [spi INTID]': a physical device given to this VM (docs/config.md). */
static void key_device(struct parser *p, const struct key_def *key, char *value)
{
    char q[QUOTE_BUF], t[QUOTE_BUF];
    char *tok[4];
    uint64_t base = 0, size = 0, spi = 0;
    const char *s;
    enum num_status st;

    quote(q, value);
    if (p->vm->device_count >= CONFIG_MAX_DEVICES) {
        FAIL(p, p->line, "too many devices in %s (max %d)", p->label, CONFIG_MAX_DEVICES);
        return;
    }
    size_t ntok = split_tokens(value, tok, ARRAY_LEN(tok));
    if ((ntok != 2 && ntok != 4) || (ntok == 4 && strcmp(tok[2], "spi") != 0)) {
        FAIL(p, p->line, "malformed device '%s' (expected 'ADDRESS SIZE [spi INTID]')", q);
        return;
    }
    if (!parse_range(p, key, tok[0], tok[1], &base, &size))
        return;
    if (ntok == 4) {
        s = tok[3];
        st = parse_number(&s, false, &spi);
        if (st == NUM_MALFORMED || *s != '\0') {
            FAIL(p, p->line, "malformed spi '%s' for '%s'", quote(t, tok[3]), key->name);
            return;
        }
        if (st != NUM_OK || spi < CONFIG_SPI_MIN || spi > CONFIG_SPI_MAX) {
            FAIL(p, p->line, "spi '%s' for '%s' out of range %d..%d", quote(t, tok[3]), key->name,
                 CONFIG_SPI_MIN, CONFIG_SPI_MAX);
            return;
        }
    }
    struct config_device *d = &p->vm->devices[p->vm->device_count++];
    d->base = base;
    d->size_bytes = size;
    d->spi = (uint32_t)spi;
    d->line = p->line;
}

/* One hex field of BB:DD.F: 1 or 2 hex digits, at most max. */
static bool hex_field(const char **sp, uint32_t max, uint32_t *out)
{
    const char *s = *sp;
    uint32_t v = 0;
    int n = 0;
    for (; n < 2 && isxdigit((unsigned char)s[n]); n++)
        v = v * 16 + (uint32_t)(isdigit((unsigned char)s[n]) ? s[n] - '0' : (tolower((unsigned char)s[n]) - 'a' + 10));
    if (n == 0 || v > max)
        return false;
    *sp = s + n;
    *out = v;
    return true;
}

/* 'pci = BB:DD.F': a PCI function assigned to this VM (docs/config.md). */
static void key_pci(struct parser *p, const struct key_def *key, char *value)
{
    char q[QUOTE_BUF];
    uint32_t bus, dev, fn;
    const char *s = value;
    (void)key;
    quote(q, value);
    if (p->vm->pci_count >= CONFIG_MAX_PCI) {
        FAIL(p, p->line, "too many pci functions in %s (max %d)", p->label, CONFIG_MAX_PCI);
        return;
    }
    if (!hex_field(&s, 0xFF, &bus) || *s++ != ':' || !hex_field(&s, 0x1F, &dev) || *s++ != '.' ||
        !(*s >= '0' && *s <= '7') || s[1] != '\0') {
        FAIL(p, p->line, "malformed pci '%s' (expected 'BUS:DEVICE.FUNCTION', e.g. 00:04.0)", q);
        return;
    }
    fn = (uint32_t)(*s - '0');
    for (uint32_t i = 0; i < p->vm->pci_count; i++) {
        const struct config_pci *o = &p->vm->pcis[i];
        if (o->dev == dev && o->fn == fn) {
            FAIL(p, p->line, "pci '%s' uses device %02x.%u like line %lu (one bus in the VM)", q,
                 (unsigned)dev, (unsigned)fn, (unsigned long)o->line);
            return;
        }
    }
    struct config_pci *c = &p->vm->pcis[p->vm->pci_count++];
    c->bus = (uint8_t)bus;
    c->dev = (uint8_t)dev;
    c->fn = (uint8_t)fn;
    c->line = p->line;
}

/* A dotted-quad IPv4 address, host byte order. */
static bool parse_ipv4(const char *s, uint32_t *out)
{
    uint32_t ip = 0;
    for (int i = 0; i < 4; i++) {
        uint32_t v = 0;
        int n = 0;
        for (; n < 3 && isdigit((unsigned char)s[n]); n++)
            v = v * 10 + (uint32_t)(s[n] - '0');
        if (n == 0 || v > 255 || (n > 1 && s[0] == '0'))
            return false;
        s += n;
        ip = ip << 8 | v;
        if (i < 3 && *s++ != '.')
            return false;
    }
    if (*s)
        return false;
    *out = ip;
    return true;
}

/* 'mgmt = dhcp [port N]' or 'mgmt = A.B.C.D/PREFIX [gw A.B.C.D] [port N]' (docs/config.md). */
static void key_mgmt(struct parser *p, const struct key_def *key, char *value)
{
    char q[QUOTE_BUF];
    char *tok[6];
    struct config_mgmt m;
    memset(&m, 0, sizeof(m));              /* padding too: the parse result is compared bytewise */
    m.enabled = true;
    m.port = CONFIG_MGMT_PORT_DEFAULT;
    m.line = p->line;
    quote(q, value);
    size_t ntok = split_tokens(value, tok, ARRAY_LEN(tok));
    bool ok = ntok >= 1 && ntok <= ARRAY_LEN(tok) && ntok % 2 == 1;   /* max + 1: too many */
    if (ok && !strcmp(tok[0], "dhcp")) {
        m.dhcp = true;
    } else if (ok) {
        char *slash = strchr(tok[0], '/');
        const char *ps = slash ? slash + 1 : "";
        uint64_t prefix = 0;
        if (slash)
            *slash = '\0';
        ok = slash && parse_ipv4(tok[0], &m.ip) && parse_number(&ps, false, &prefix) == NUM_OK && !*ps &&
             prefix >= 1 && prefix <= 31 && m.ip;
        m.netmask = ok ? ~0u << (32 - prefix) : 0;
    }
    for (size_t i = 1; ok && i + 1 < ntok; i += 2) {
        if (!strcmp(tok[i], "gw") && !m.dhcp) {
            ok = parse_ipv4(tok[i + 1], &m.gateway) && m.gateway;
        } else if (!strcmp(tok[i], "port")) {
            const char *ps = tok[i + 1];
            uint64_t port = 0;
            ok = parse_number(&ps, false, &port) == NUM_OK && !*ps && port >= 1 && port <= 65535;
            m.port = (uint16_t)port;
        } else {
            ok = false;
        }
    }
    if (!ok) {
        FAIL(p, p->line, "malformed %s '%s' (expected 'dhcp [port N]' or 'A.B.C.D/PREFIX [gw A.B.C.D] [port N]')",
             key->name, q);
        return;
    }
    p->cfg->mgmt = m;
}

/* 'mgmt_key = HEX' (docs/config.md): a secret, so an error never repeats the value. */
static void key_mgmt_key(struct parser *p, const struct key_def *key, char *value)
{
    size_t len = strlen(value);
    bool ok = len % 2 == 0 && len >= 2 * CONFIG_MGMT_KEY_MIN && len <= 2 * CONFIG_MGMT_KEY_MAX;
    for (size_t i = 0; ok && i < len; i++)
        ok = isxdigit((unsigned char)value[i]);
    if (!ok) {
        FAIL(p, p->line, "malformed %s (expected %d to %d hex digits: a key of %d to %d bytes)", key->name,
             2 * CONFIG_MGMT_KEY_MIN, 2 * CONFIG_MGMT_KEY_MAX, CONFIG_MGMT_KEY_MIN, CONFIG_MGMT_KEY_MAX);
        return;
    }
    for (size_t i = 0; i < len; i++) {
        int c = tolower((unsigned char)value[i]);
        uint8_t nibble = (uint8_t)(isdigit(c) ? c - '0' : c - 'a' + 10);
        p->cfg->mgmt_key[i / 2] = (uint8_t)(p->cfg->mgmt_key[i / 2] << 4 | nibble);
    }
    p->cfg->mgmt_key_len = (uint32_t)(len / 2);
}

static void key_on_crash(struct parser *p, const struct key_def *key, char *value)
{
    char q[QUOTE_BUF];
    if (strcmp(value, "stop") == 0) {
        p->vm->on_crash = CONFIG_ON_CRASH_STOP;
    } else if (strcmp(value, "reset") == 0) {
        p->vm->on_crash = CONFIG_ON_CRASH_RESET;
    } else {
        FAIL(p, p->line, "unknown %s '%s' (expected 'stop' or 'reset')", key->name, quote(q, value));
    }
}

/* 'incoming = yes' (docs/migration.md): loaded but not started, waiting for a live migration. */
static void key_incoming(struct parser *p, const struct key_def *key, char *value)
{
    char q[QUOTE_BUF];
    if (strcmp(value, "yes") == 0)
        p->vm->incoming = true;
    else if (strcmp(value, "no") == 0)
        p->vm->incoming = false;
    else
        FAIL(p, p->line, "unknown %s '%s' (expected 'yes' or 'no')", key->name, quote(q, value));
}

static void key_cpuid_vendor(struct parser *p, const struct key_def *key, char *value)
{
    char q[QUOTE_BUF];
    if (strcmp(value, "host") == 0) {
        p->vm->cpuid_vendor = CONFIG_CPUID_VENDOR_HOST;
    } else if (strcmp(value, "intel") == 0) {
        p->vm->cpuid_vendor = CONFIG_CPUID_VENDOR_INTEL;
    } else if (strcmp(value, "amd") == 0) {
        p->vm->cpuid_vendor = CONFIG_CPUID_VENDOR_AMD;
    } else {
        FAIL(p, p->line, "unknown %s '%s' (expected 'host', 'intel' or 'amd')", key->name, quote(q, value));
    }
}

/* x86 guest SMM (docs/config.md): the TSEG size in whole MiB, 0 = no SMM. The q35 host bridge reports it
 * as its extended TSEG size in MiB (a 16-bit register), and it must leave low RAM below it. */
#define SMRAM_MAX_BYTES (2048ull << 20)
static void key_smram(struct parser *p, const struct key_def *key, char *value)
{
    char q[QUOTE_BUF];
    uint64_t v = 0;
    if (!size_value(p, key, value, &v))
        return;
    if (v % (1ull << 20) || v > SMRAM_MAX_BYTES) {
        FAIL(p, p->line, "smram '%s' is not 0 or a whole number of MiB up to 2048M", quote(q, value));
        return;
    }
    p->vm->smram_bytes = v;
}

/* 'nested = vmx | none': the VM may run its own hypervisor on VMX (arch/x86_64/vmx/nested.c). */
static void key_nested(struct parser *p, const struct key_def *key, char *value)
{
    char q[QUOTE_BUF];
    if (strcmp(value, "none") == 0)
        p->vm->nested = CONFIG_NESTED_NONE;
    else if (strcmp(value, "vmx") == 0)
        p->vm->nested = CONFIG_NESTED_VMX;
    else
        FAIL(p, p->line, "unknown %s '%s' (expected 'vmx' or 'none')", key->name, quote(q, value));
}

/* Checks that need the whole section, since keys may come in any order. */
static void end_section(struct parser *p)
{
    struct config_vm *vm = p->vm;
    char a[64], b[64];

    if (!p->in_vm || !p->named)
        return;
    for (size_t k = 0; k < ARRAY_LEN(keys); k++) {
        if (keys[k].required && keys[k].scope == SCOPE_VM && p->key_line[k] == 0)
            FAIL(p, vm->line, "vm '%s' is missing required key '%s'", vm->name, keys[k].name);
    }
    uint32_t smram_line = 0;
    for (size_t k = 0; k < ARRAY_LEN(keys); k++)
        if (keys[k].handler == key_smram)
            smram_line = p->key_line[k];
    if (vm->smram_bytes && vm->memory_bytes && vm->smram_bytes + (1ull << 20) > vm->memory_bytes)
        FAIL(p, smram_line, "smram of vm '%s' leaves less than 1M of its memory outside SMRAM",
             vm->name);
    /* The stream arrives over the management interface: without it the VM would wait forever. */
    for (size_t k = 0; k < ARRAY_LEN(keys); k++)
        if (keys[k].handler == key_incoming && vm->incoming && (!p->cfg->mgmt.enabled || !p->cfg->mgmt_key_len))
            FAIL(p, p->key_line[k], "vm '%s' is incoming but the management interface is off (it needs mgmt "
                 "and mgmt_key)", vm->name);
    for (uint32_t i = 0; i < vm->region_count; i++) {
        const struct config_region *r = &vm->regions[i];
        if (vm->memory_bytes && ranges_overlap(r->gpa, r->size_bytes, p->ram_base, vm->memory_bytes))
            FAIL(p, r->line, "region %s overlaps RAM of vm '%s'", fmt_range(a, r->gpa, r->size_bytes), vm->name);
        for (uint32_t j = 0; j < i; j++) {
            const struct config_region *o = &vm->regions[j];
            if (ranges_overlap(r->gpa, r->size_bytes, o->gpa, o->size_bytes))
                FAIL(p, r->line, "region %s overlaps region %s (line %lu) of vm '%s'",
                     fmt_range(a, r->gpa, r->size_bytes), fmt_range(b, o->gpa, o->size_bytes),
                     (unsigned long)o->line, vm->name);
        }
    }
    for (uint32_t i = 0; i < vm->device_count; i++) {
        const struct config_device *d = &vm->devices[i];
        if (vm->memory_bytes && ranges_overlap(d->base, d->size_bytes, p->ram_base, vm->memory_bytes))
            FAIL(p, d->line, "device %s overlaps RAM of vm '%s'", fmt_range(a, d->base, d->size_bytes), vm->name);
        for (uint32_t j = 0; j < vm->region_count; j++) {
            const struct config_region *o = &vm->regions[j];
            if (ranges_overlap(d->base, d->size_bytes, o->gpa, o->size_bytes))
                FAIL(p, d->line, "device %s overlaps region %s (line %lu) of vm '%s'",
                     fmt_range(a, d->base, d->size_bytes), fmt_range(b, o->gpa, o->size_bytes),
                     (unsigned long)o->line, vm->name);
        }
        for (uint32_t j = 0; j < i; j++) {
            const struct config_device *o = &vm->devices[j];
            if (ranges_overlap(d->base, d->size_bytes, o->base, o->size_bytes))
                FAIL(p, d->line, "device %s overlaps device %s (line %lu) of vm '%s'",
                     fmt_range(a, d->base, d->size_bytes), fmt_range(b, o->base, o->size_bytes),
                     (unsigned long)o->line, vm->name);
            else if (d->spi && d->spi == o->spi)
                FAIL(p, d->line, "spi %lu is already given to device %s (line %lu) of vm '%s'",
                     (unsigned long)d->spi, fmt_range(b, o->base, o->size_bytes), (unsigned long)o->line, vm->name);
        }
    }
}

/* A physical device or SPI belongs to one VM: checked once every VM is known. Each clash is
 * reported on the later line, and the VM holding it is invalid. */
static void check_devices_across_vms(struct parser *p)
{
    char a[64], b[64];
    struct hv_config *cfg = p->cfg;
    for (uint32_t v = 0; v < cfg->vm_count; v++) {
        struct config_vm *vm = &cfg->vms[v];
        for (uint32_t i = 0; i < vm->device_count; i++) {
            const struct config_device *d = &vm->devices[i];
            for (uint32_t w = 0; w < v; w++) {
                const struct config_vm *ow = &cfg->vms[w];
                for (uint32_t j = 0; j < ow->device_count; j++) {
                    const struct config_device *o = &ow->devices[j];
                    if (ranges_overlap(d->base, d->size_bytes, o->base, o->size_bytes))
                        snprintf(p->reason, sizeof(p->reason),
                                 "device %s of vm '%s' overlaps device %s (line %lu) of vm '%s'",
                                 fmt_range(a, d->base, d->size_bytes), vm->name,
                                 fmt_range(b, o->base, o->size_bytes), (unsigned long)o->line, ow->name);
                    else if (d->spi && d->spi == o->spi)
                        snprintf(p->reason, sizeof(p->reason),
                                 "spi %lu of vm '%s' is already given to vm '%s' (line %lu)",
                                 (unsigned long)d->spi, vm->name, ow->name, (unsigned long)o->line);
                    else
                        continue;
                    p->in_vm = false;           /* fail() must not touch p->vm */
                    fail(p, d->line);
                    vm->valid = false;
                }
            }
        }
        for (uint32_t i = 0; i < vm->pci_count; i++) {
            const struct config_pci *d = &vm->pcis[i];
            for (uint32_t w = 0; w < v; w++) {
                const struct config_vm *ow = &cfg->vms[w];
                for (uint32_t j = 0; j < ow->pci_count; j++) {
                    const struct config_pci *o = &ow->pcis[j];
                    if (d->bus != o->bus || d->dev != o->dev || d->fn != o->fn)
                        continue;
                    snprintf(p->reason, sizeof(p->reason), "pci %02x:%02x.%u of vm '%s' is already given to vm '%s' (line %lu)",
                             (unsigned)d->bus, (unsigned)d->dev, (unsigned)d->fn, vm->name, ow->name,
                             (unsigned long)o->line);
                    p->in_vm = false;
                    fail(p, d->line);
                    vm->valid = false;
                }
            }
        }
    }
}

static void init_vm(struct config_vm *vm, const char *name, uint32_t line)
{
    memset(vm, 0, sizeof(*vm));
    memcpy(vm->name, name, strlen(name) + 1);
    vm->line = line;
    vm->valid = true;
    vm->cpu_count = 1;
    vm->on_crash = CONFIG_ON_CRASH_STOP;
    vm->cpuid_vendor = CONFIG_CPUID_VENDOR_HOST;
    vm->nested = CONFIG_NESTED_NONE;
}

static void parse_header(struct parser *p, char *s)
{
    char q[QUOTE_BUF];
    size_t n = strlen(s);
    char *inner, *name;

    end_section(p);
    /* Until proven otherwise this is an unusable section: check its lines into scratch. */
    p->in_vm = true;
    p->named = false;
    p->vm = &p->scratch;
    memset(p->key_line, 0, sizeof(p->key_line));
    init_vm(&p->scratch, "", p->line);
    snprintf(p->label, sizeof(p->label), "%s", quote(q, s));

    if (n < 2 || s[n - 1] != ']') {
        FAIL(p, p->line, "malformed section header '%s' (expected '[vm NAME]')", q);
        return;
    }
    s[n - 1] = '\0';
    inner = trim(s + 1);
    if (strncmp(inner, "vm", 2) != 0 || !is_blank(inner[2])) {
        FAIL(p, p->line, "malformed section header '%s' (expected '[vm NAME]')", q);
        return;
    }
    name = trim(inner + 2);
    if (!valid_name(name)) {
        char t[QUOTE_BUF];
        FAIL(p, p->line, "invalid vm name '%s' (expected 1..%d chars of A-Z a-z 0-9 _ -)", quote(t, name),
             CONFIG_NAME_MAX - 1);
        return;
    }
    snprintf(p->label, sizeof(p->label), "[vm %s]", name);
    p->named = true;
    if (p->cfg->vm_count >= CONFIG_MAX_VMS) {
        init_vm(&p->scratch, name, p->line);
        FAIL(p, p->line, "too many vms: '%s' exceeds the maximum of %d", name, CONFIG_MAX_VMS);
        return;
    }
    p->vm = &p->cfg->vms[p->cfg->vm_count++];
    init_vm(p->vm, name, p->line);
    for (uint32_t i = 0; i + 1 < p->cfg->vm_count; i++) {
        if (strcmp(p->cfg->vms[i].name, name) == 0) {
            FAIL(p, p->line, "duplicate vm name '%s' (first at line %lu)", name, (unsigned long)p->cfg->vms[i].line);
            break;
        }
    }
}

static void parse_key_value(struct parser *p, char *s)
{
    char q[QUOTE_BUF];
    char *eq = strchr(s, '=');
    char *key, *value;
    const struct key_def *def = NULL;
    size_t k;

    if (!eq) {
        FAIL(p, p->line, "expected 'key = value', '[vm NAME]' or '# comment', got '%s'", quote(q, s));
        return;
    }
    *eq = '\0';
    key = trim(s);
    value = trim(eq + 1);
    if (*key == '\0') {
        FAIL(p, p->line, "missing key before '=' (value '%s')", quote(q, value));
        return;
    }
    for (const char *c = key; *c; c++) {
        if (!is_name_char(*c)) {
            FAIL(p, p->line, "malformed key '%s'", quote(q, key));
            return;
        }
    }
    for (k = 0; k < ARRAY_LEN(keys); k++) {
        if (strcmp(keys[k].name, key) == 0) {
            def = &keys[k];
            break;
        }
    }
    if (!def) {
        FAIL(p, p->line, "unknown key '%s' in %s", quote(q, key), p->in_vm ? p->label : "global section");
        return;
    }
    if (def->scope == SCOPE_VM && !p->in_vm) {
        FAIL(p, p->line, "key '%s' is only allowed inside a [vm NAME] section", def->name);
        return;
    }
    if (def->scope == SCOPE_GLOBAL && p->in_vm) {
        FAIL(p, p->line, "key '%s' is only allowed in the global section, not in %s", def->name, p->label);
        return;
    }
    if (p->key_line[k] && !def->repeatable) {
        FAIL(p, p->line, "duplicate key '%s' in %s (first at line %lu)", def->name,
             p->in_vm ? p->label : "global section", (unsigned long)p->key_line[k]);
        return;
    }
    if (!p->key_line[k])
        p->key_line[k] = p->line;
    if (*value == '\0' && !def->allow_empty) {
        FAIL(p, p->line, "missing value for '%s'", def->name);
        return;
    }
    def->handler(p, def, value);
}

/* A line rejected as a whole still names its key when it can, so that a bad
 * 'kernel = ...' line is not followed by a confusing "missing 'kernel'". */
static void note_key(struct parser *p, const char *raw, size_t n)
{
    size_t i = 0, start, len;

    while (i < n && is_blank(raw[i]))
        i++;
    start = i;
    while (i < n && is_name_char(raw[i]))
        i++;
    len = i - start;
    while (i < n && is_blank(raw[i]))
        i++;
    if (len == 0 || i == n || raw[i] != '=')
        return;
    for (size_t k = 0; k < ARRAY_LEN(keys); k++) {
        if (strlen(keys[k].name) == len && memcmp(keys[k].name, raw + start, len) == 0) {
            if (p->key_line[k] == 0 && (keys[k].scope == SCOPE_VM) == p->in_vm)
                p->key_line[k] = p->line;
            return;
        }
    }
}

static void parse_line(struct parser *p, const char *raw, size_t n)
{
    size_t i = 0;
    char *s;

    if (n > LINE_MAX_CHARS) {
        FAIL(p, p->line, "line too long (%lu chars, max %d)", (unsigned long)n, LINE_MAX_CHARS);
        note_key(p, raw, n);
        return;
    }
    while (i < n && is_blank(raw[i]))
        i++;
    /* Only whole-line comments exist, so '#' stays usable inside cmdline. */
    if (i == n || raw[i] == '#')
        return;
    /* Rejecting control and non-ASCII bytes up front lets the rest work on C strings. */
    for (size_t j = 0; j < n; j++) {
        unsigned char c = (unsigned char)raw[j];
        if ((c < 0x20 && c != '\t') || c >= 0x7f) {
            FAIL(p, p->line, "invalid byte 0x%02x at column %lu", (unsigned)c, (unsigned long)(j + 1));
            note_key(p, raw, n);
            return;
        }
    }
    memcpy(p->buf, raw, n);
    p->buf[n] = '\0';
    s = trim(p->buf);
    if (s[0] == '[')
        parse_header(p, s);
    else
        parse_key_value(p, s);
}

uint32_t config_parse(struct hv_config *cfg, const char *file_name, const char *text, size_t len,
                      uint64_t ram_base, config_report_fn report, void *ctx)
{
    /* About 3.5 KiB; on the stack so the parser stays reentrant. */
    struct parser state;
    struct parser *p = &state;
    size_t pos = 0;

    memset(cfg, 0, sizeof(*cfg));
    memcpy(cfg->console, "serial", sizeof("serial"));
    memset(p, 0, sizeof(*p));
    p->cfg = cfg;
    p->file_name = file_name;
    p->ram_base = ram_base;
    p->report = report;
    p->ctx = ctx;
    if (!text)
        len = 0;

    while (pos < len) {
        const char *start = text + pos;
        const char *nl = memchr(start, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - start) : len - pos;

        pos += n + (nl ? 1 : 0);
        if (p->line < UINT32_MAX)
            p->line++;
        if (n > 0 && start[n - 1] == '\r')
            n--;
        parse_line(p, start, n);
    }
    end_section(p);
    check_devices_across_vms(p);
    return p->errors;
}
