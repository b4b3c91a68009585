/* libFuzzer target for the hv.cfg parser: no crashes, well-formed reports, and invariants on the result. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz_check.h"

#define FILE_NAME "hv.cfg"
#define REPORT_MAX 300 /* every reason is bounded; a longer line means a value was echoed uncut */

struct sink {
    uint32_t count;
    uint32_t max_line;  /* number of lines in the input; reported lines must be within */
    uint64_t hash;      /* over all report text, to compare equivalent inputs */
};

static void on_report(void *ctx, const char *line)
{
    struct sink *s = ctx;
    const char *p = line + strlen(FILE_NAME ":");
    size_t n = strlen(line);
    unsigned long lineno = 0;

    s->count++;
    CHECK(n < REPORT_MAX);
    CHECK(strncmp(line, FILE_NAME ":", strlen(FILE_NAME ":")) == 0);
    CHECK(*p >= '1' && *p <= '9');
    while (*p >= '0' && *p <= '9')
        lineno = lineno * 10 + (unsigned long)(*p++ - '0');
    CHECK(lineno >= 1 && lineno <= s->max_line);
    CHECK(strncmp(p, ": error: ", 9) == 0);
    CHECK(p[9] != '\0');
    /* One printable line; tabs may appear inside an echoed value. */
    for (size_t i = 0; i < n; i++)
        CHECK(line[i] == '\t' || ((unsigned char)line[i] >= 0x20 && (unsigned char)line[i] < 0x7f));
    for (size_t i = 0; i < n; i++)
        s->hash = (s->hash ^ (unsigned char)line[i]) * 0x100000001b3ull;
    s->hash = (s->hash ^ '\n') * 0x100000001b3ull;
}

static uint32_t count_lines(const uint8_t *data, size_t size)
{
    uint32_t lines = 0;
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    return lines + 1;
}

static bool terminated(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

static bool overlap(uint64_t a, uint64_t as, uint64_t b, uint64_t bs)
{
    return a <= b + (bs - 1) && b <= a + (as - 1);
}

static bool name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n >= CONFIG_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return false;
    }
    return true;
}

static bool path_ok(const char *s, bool required)
{
    size_t n = strlen(s);
    if (n == 0)
        return !required;
    if (s[0] != '\\' || n < 2 || n >= CONFIG_PATH_MAX || s[n - 1] == '\\')
        return false;
    return strpbrk(s, " \t/") == NULL;
}

static void check_config(const struct hv_config *cfg, uint32_t errors, uint64_t ram_base, uint32_t max_line)
{
    CHECK(terminated(cfg->console, sizeof(cfg->console)));
    CHECK(strcmp(cfg->console, "serial") == 0);
    CHECK(terminated(cfg->focus, sizeof(cfg->focus)));
    CHECK(cfg->focus[0] == '\0' || name_ok(cfg->focus));
    CHECK(cfg->vm_count <= CONFIG_MAX_VMS);
    for (uint32_t i = 0; i < cfg->vm_count; i++) {
        const struct config_vm *vm = &cfg->vms[i];
        CHECK(terminated(vm->name, sizeof(vm->name)) && name_ok(vm->name));
        CHECK(vm->line >= 1 && vm->line <= max_line);
        CHECK(terminated(vm->kernel, sizeof(vm->kernel)));
        CHECK(terminated(vm->initrd, sizeof(vm->initrd)));
        CHECK(terminated(vm->dtb, sizeof(vm->dtb)));
        CHECK(terminated(vm->cmdline, sizeof(vm->cmdline)));
        CHECK(vm->region_count <= CONFIG_MAX_REGIONS);
        CHECK(vm->cpu_count >= 1 && vm->cpu_count <= CONFIG_MAX_CPUS);
        CHECK(vm->on_crash == CONFIG_ON_CRASH_STOP || vm->on_crash == CONFIG_ON_CRASH_RESET);
        if (errors == 0)
            CHECK(vm->valid);
        if (!vm->valid)
            continue;
        CHECK(vm->memory_bytes >= (1ull << 20) && vm->memory_bytes % 4096 == 0);
        CHECK(vm->memory_bytes - 1 <= UINT64_MAX - ram_base);
        CHECK(vm->kernel[0] == '\\' && path_ok(vm->kernel, true));
        CHECK(vm->kernel_line > vm->line && vm->kernel_line <= max_line);
        CHECK(path_ok(vm->initrd, false));
        CHECK(path_ok(vm->dtb, false));
        CHECK((vm->initrd[0] != '\0') == (vm->initrd_line != 0));
        CHECK((vm->dtb[0] != '\0') == (vm->dtb_line != 0));
        for (uint32_t j = 0; j < i; j++)
            CHECK(!cfg->vms[j].valid || strcmp(cfg->vms[j].name, vm->name) != 0);
        for (uint32_t r = 0; r < vm->region_count; r++) {
            const struct config_region *reg = &vm->regions[r];
            CHECK(reg->size_bytes != 0 && reg->size_bytes % 4096 == 0 && reg->gpa % 4096 == 0);
            CHECK(reg->size_bytes - 1 <= UINT64_MAX - reg->gpa);
            CHECK(reg->line > vm->line && reg->line <= max_line);
            CHECK(!overlap(reg->gpa, reg->size_bytes, ram_base, vm->memory_bytes));
            for (uint32_t o = 0; o < r; o++)
                CHECK(!overlap(reg->gpa, reg->size_bytes, vm->regions[o].gpa, vm->regions[o].size_bytes));
        }
        CHECK(vm->device_count <= CONFIG_MAX_DEVICES);
        for (uint32_t d = 0; d < vm->device_count; d++) {
            const struct config_device *dev = &vm->devices[d];
            CHECK(dev->size_bytes != 0 && dev->size_bytes % 4096 == 0 && dev->base % 4096 == 0);
            CHECK(dev->size_bytes - 1 <= UINT64_MAX - dev->base);
            CHECK(dev->spi == 0 || (dev->spi >= CONFIG_SPI_MIN && dev->spi <= CONFIG_SPI_MAX));
            CHECK(dev->line > vm->line && dev->line <= max_line);
            CHECK(!overlap(dev->base, dev->size_bytes, ram_base, vm->memory_bytes));
            for (uint32_t r = 0; r < vm->region_count; r++)
                CHECK(!overlap(dev->base, dev->size_bytes, vm->regions[r].gpa, vm->regions[r].size_bytes));
            /* No physical device or SPI is given to two valid VMs (or twice to one). */
            for (uint32_t j = 0; j <= i; j++) {
                const struct config_vm *ow = &cfg->vms[j];
                if (!ow->valid)
                    continue;
                for (uint32_t o = 0; o < (j == i ? d : ow->device_count); o++) {
                    CHECK(!overlap(dev->base, dev->size_bytes, ow->devices[o].base, ow->devices[o].size_bytes));
                    CHECK(dev->spi == 0 || dev->spi != ow->devices[o].spi);
                }
            }
        }
    }
    /* Any invalid VM must have been explained by at least one error. */
    for (uint32_t i = 0; i < cfg->vm_count; i++)
        CHECK(cfg->vms[i].valid || errors > 0);
}

static struct hv_config cfg_a, cfg_b;

static uint32_t run(struct hv_config *cfg, const uint8_t *data, size_t size, uint64_t ram_base, struct sink *s)
{
    memset(s, 0, sizeof(*s));
    s->max_line = count_lines(data, size);
    uint32_t errors = config_parse(cfg, FILE_NAME, (const char *)data, size, ram_base, on_report, s);
    CHECK(errors == s->count);
    check_config(cfg, errors, ram_base, s->max_line);
    return errors;
}

/* Same result, same reports: the two inputs differ only in line endings. */
static void check_same(const uint8_t *other, size_t other_size, uint64_t ram_base, const struct sink *ref)
{
    struct sink s;
    run(&cfg_b, other, other_size, ram_base, &s);
    CHECK(s.count == ref->count);
    CHECK(s.hash == ref->hash);
    CHECK(memcmp(&cfg_a, &cfg_b, sizeof(cfg_a)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint64_t bases[] = { 0x40000000ull, 0 };
    struct sink ref;

    /* The size parser on its own, with a NUL-terminated prefix. */
    char sz[65];
    size_t n = size < 64 ? size : 64;
    memcpy(sz, data, n);
    sz[n] = '\0';
    uint64_t v = 0;
    if (config_parse_size(sz, &v))
        CHECK(v != 0 && v % 4096 == 0);

    for (size_t b = 0; b < sizeof(bases) / sizeof(bases[0]); b++) {
        run(&cfg_a, data, size, bases[b], &ref);

        /* A final newline must not change anything. */
        if (size == 0 || data[size - 1] != '\n') {
            uint8_t *copy = malloc(size + 1);
            memcpy(copy, data, size);
            copy[size] = '\n';
            check_same(copy, size + 1, bases[b], &ref);
            free(copy);
        }

        /* LF -> CRLF must not change anything (only meaningful without CRs already). */
        if (!memchr(data, '\r', size)) {
            uint8_t *crlf = malloc(2 * size + 1);
            size_t m = 0;
            for (size_t i = 0; i < size; i++) {
                if (data[i] == '\n')
                    crlf[m++] = '\r';
                crlf[m++] = data[i];
            }
            check_same(crlf, m, bases[b], &ref);
            free(crlf);
        }
    }
    return 0;
}
