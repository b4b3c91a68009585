/* fake_gits.c: the host's physical ITS as a checked model (fake_gits.h) for host tests. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fake_gits.h"

#define HOST_LPI_END (1u << GITS_HOST_LPI_ID_BITS)
#define VLPI_END     (1u << GITS_VLPI_ID_BITS)

struct fake_gits fake_gits;

void fake_gits_reset(void)
{
    for (uint32_t d = 0; d < FAKE_GITS_DEVICES; d++)
        free(fake_gits.dev[d].ev);
    memset(&fake_gits, 0, sizeof(fake_gits));
    fake_gits.vlpis = true;
}

/* A command the ITS rejects: ignored (SEIS = 0), counted and explained. Returns true, as the
 * driver does: the queue moved on, so it cannot tell. */
__attribute__((format(printf, 1, 2))) static bool reject(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fake_gits.last_error, sizeof(fake_gits.last_error), fmt, ap);
    va_end(ap);
    fake_gits.errors++;
    fprintf(stderr, "fake_gits: %s\n", fake_gits.last_error);
    return true;
}

/* Logs the command; true: the driver sent it and the queue moved on. */
static bool issue(const char *name, uint32_t device_id, uint32_t event_id, uint32_t vpe, uint32_t intid,
                  uint32_t doorbell)
{
    if (fake_gits.log_count < FAKE_GITS_LOG) {
        struct fake_gits_cmd *c = &fake_gits.log[fake_gits.log_count];
        snprintf(c->name, sizeof(c->name), "%s", name);
        c->device_id = device_id, c->event_id = event_id, c->vpe = vpe, c->intid = intid;
        c->doorbell = doorbell;
    }
    fake_gits.log_count++;
    fake_gits.commands++;
    return true;
}

const struct fake_gits_event *fake_gits_event(uint32_t device_id, uint32_t event_id)
{
    if (device_id >= FAKE_GITS_DEVICES)
        return NULL;
    const struct fake_gits_device *d = &fake_gits.dev[device_id];
    if (!d->mapped || event_id >= (1u << d->itt_bits))
        return NULL;
    return &d->ev[event_id];
}

uint32_t fake_gits_mapped_count(void)
{
    uint32_t n = 0;
    for (uint32_t d = 0; d < FAKE_GITS_DEVICES; d++)
        n += fake_gits.dev[d].mapped ? fake_gits.dev[d].mapped_events : 0;
    return n;
}

uint32_t fake_gits_count(const char *name)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < fake_gits.log_count && i < FAKE_GITS_LOG; i++)
        n += strcmp(fake_gits.log[i].name, name) == 0;
    return n;
}

const struct fake_gits_cmd *fake_gits_last(const char *name)
{
    for (uint32_t i = fake_gits.log_count < FAKE_GITS_LOG ? fake_gits.log_count : FAKE_GITS_LOG; i-- > 0;)
        if (strcmp(fake_gits.log[i].name, name) == 0)
            return &fake_gits.log[i];
    return NULL;
}

/* ---- checks shared by the commands (Arm IHI 0069, 5.3: each command's errors) ------- */

/* The event of a command that needs it mapped: NULL (rejected) when the DeviceID is out of
 * range or unmapped, the EventID beyond the ITT, or (mapped) the event has no mapping. */
static struct fake_gits_event *event_of(const char *cmd, uint32_t device_id, uint32_t event_id, bool mapped)
{
    if (device_id >= FAKE_GITS_DEVICES) {
        reject("%s: DeviceID %u out of range (Device table holds %u)", cmd, device_id, FAKE_GITS_DEVICES);
        return NULL;
    }
    struct fake_gits_device *d = &fake_gits.dev[device_id];
    if (!d->mapped) {
        reject("%s: DeviceID %u not mapped (no MAPD)", cmd, device_id);
        return NULL;
    }
    if (event_id >= (1u << d->itt_bits)) {
        reject("%s: device %u EventID %u beyond its ITT (%u bits)", cmd, device_id, event_id, d->itt_bits);
        return NULL;
    }
    struct fake_gits_event *e = &d->ev[event_id];
    if (mapped && e->kind == FAKE_EV_NONE) {
        reject("%s: device %u event %u not mapped", cmd, device_id, event_id);
        return NULL;
    }
    if (!mapped && e->kind != FAKE_EV_NONE) {
        /* MAPTI/VMAPTI over a valid ITE: UNPREDICTABLE (KVM ignores it); DISCARD first. */
        reject("%s: device %u event %u already mapped (to %s INTID %u)", cmd, device_id, event_id,
               e->kind == FAKE_EV_VIRT ? "vPE, v" : "p", e->intid);
        return NULL;
    }
    return e;
}

/* A vPE of VMAPTI/VMOVI/VSYNC: in the vPE table and VMAPP'd (an unmapped vPE's vLPIs would be
 * dropped: the hypervisor must VMAPP before it maps anything to a vPE). */
static bool vpe_ok(const char *cmd, uint32_t vpe)
{
    if (vpe >= FAKE_GITS_VPES)
        return !reject("%s: vPE %u out of range (vPE table holds %u)", cmd, vpe, FAKE_GITS_VPES);
    if (!fake_gits.vpe[vpe].mapped)
        return !reject("%s: vPE %u not mapped (no VMAPP)", cmd, vpe);
    return true;
}

/* A doorbell: a host LPI or 1023 (none). */
static bool doorbell_ok(const char *cmd, uint32_t doorbell)
{
    if (doorbell == FAKE_GITS_NO_DOORBELL || (doorbell >= GITS_LPI_BASE && doorbell < HOST_LPI_END))
        return true;
    return !reject("%s: doorbell %u is neither a host LPI nor 1023", cmd, doorbell);
}

static void set_event(uint32_t device_id, struct fake_gits_event *e, struct fake_gits_event v)
{
    struct fake_gits_device *d = &fake_gits.dev[device_id];
    d->mapped_events += (v.kind != FAKE_EV_NONE) - (e->kind != FAKE_EV_NONE);
    *e = v;
}

/* ---- drivers/gicv3_its.h ------------------------------------------------------------ */

bool gits_init(uint64_t base) { (void)base; return true; }
bool gits_has_vlpis(void) { return fake_gits.vlpis; }
void gits_host_lpi_enable(uint32_t intid, bool enable) { (void)intid, (void)enable; }
uint32_t gits_device_limit(void) { return FAKE_GITS_DEVICES; }
void gits_tables_written(void) { fake_gits.tables_written++; }

void gits_get_stats(struct gits_stats *s)
{
    s->commands = fake_gits.commands;
    s->errors = fake_gits.errors;
}

/* The driver refuses (false, nothing sent) what it cannot encode; the ITS rejects the rest. */
bool gits_mapd(uint32_t device_id, uint32_t itt_bits)
{
    if (itt_bits == 0 || itt_bits > 16 || device_id >= FAKE_GITS_DEVICES)
        return false;
    if (!issue("MAPD", device_id, 0, 0, 0, 0))
        return false;
    if (itt_bits > FAKE_GITS_ID_BITS)
        return reject("MAPD: device %u Size %u beyond GITS_TYPER.IDbits", device_id, itt_bits);
    struct fake_gits_device *d = &fake_gits.dev[device_id];
    if (d->mapped && d->mapped_events)
        return reject("MAPD: device %u remapped with %u events still mapped", device_id, d->mapped_events);
    free(d->ev);
    d->ev = calloc(1u << itt_bits, sizeof(*d->ev));
    d->itt_bits = itt_bits;
    d->mapped = true;
    return true;
}

bool gits_mapti(uint32_t device_id, uint32_t event_id, uint32_t intid, uint32_t cpu)
{
    if (!issue("MAPTI", device_id, event_id, 0, intid, 0))
        return false;
    struct fake_gits_event *e = event_of("MAPTI", device_id, event_id, false);
    if (!e)
        return true;
    if (intid < GITS_LPI_BASE || intid >= HOST_LPI_END)
        return reject("MAPTI: pINTID %u is not a host LPI", intid);
    if (cpu >= FAKE_GITS_CPUS)
        return reject("MAPTI: collection %u not mapped", cpu);
    set_event(device_id, e, (struct fake_gits_event){ .kind = FAKE_EV_PHYS, .intid = intid, .cpu = cpu });
    return true;
}

static bool event_cmd(const char *name, uint32_t device_id, uint32_t event_id, struct fake_gits_event **e)
{
    if (!issue(name, device_id, event_id, 0, 0, 0))
        return false;
    *e = event_of(name, device_id, event_id, true);
    return true;
}

bool gits_int(uint32_t device_id, uint32_t event_id)
{
    struct fake_gits_event *e;
    if (!event_cmd("INT", device_id, event_id, &e))
        return false;
    if (e)
        e->pending = true;
    return true;
}

bool gits_clear(uint32_t device_id, uint32_t event_id)
{
    struct fake_gits_event *e;
    if (!event_cmd("CLEAR", device_id, event_id, &e))
        return false;
    if (e)
        e->pending = false;
    return true;
}

bool gits_discard(uint32_t device_id, uint32_t event_id)
{
    struct fake_gits_event *e;
    if (!event_cmd("DISCARD", device_id, event_id, &e))
        return false;
    if (e)
        set_event(device_id, e, (struct fake_gits_event){ .kind = FAKE_EV_NONE });
    return true;
}

bool gits_inv(uint32_t device_id, uint32_t event_id)
{
    struct fake_gits_event *e;
    return event_cmd("INV", device_id, event_id, &e);
}

bool gits_vmapp(uint32_t vpe_id, uint32_t cpu, uint64_t vpt_pa, bool valid)
{
    if (!fake_gits.vlpis)
        return false;
    if (!issue("VMAPP", 0, 0, vpe_id, 0, 0))
        return false;
    if (vpe_id >= FAKE_GITS_VPES)
        return reject("VMAPP: vPE %u out of range", vpe_id);
    if (cpu >= FAKE_GITS_CPUS)
        return reject("VMAPP: no redistributor for CPU %u", cpu);
    struct fake_gits_vpe *p = &fake_gits.vpe[vpe_id];
    if (!valid) {
        for (uint32_t d = 0; d < FAKE_GITS_DEVICES; d++)
            for (uint32_t i = 0; fake_gits.dev[d].mapped && i < (1u << fake_gits.dev[d].itt_bits); i++)
                if (fake_gits.dev[d].ev[i].kind == FAKE_EV_VIRT && fake_gits.dev[d].ev[i].vpe == vpe_id)
                    return reject("VMAPP V=0: vPE %u still has device %u event %u", vpe_id, d, i);
        p->mapped = false;
        return true;
    }
    /* GICv4.0 moves a mapped vPE with VMOVP, not another VMAPP. */
    if (p->mapped)
        return reject("VMAPP: vPE %u already mapped", vpe_id);
    if (!vpt_pa || (vpt_pa & 0xffff))
        return reject("VMAPP: vPE %u VPT 0x%llx not 64 KiB aligned", vpe_id, (unsigned long long)vpt_pa);
    *p = (struct fake_gits_vpe){ .mapped = true, .cpu = cpu, .vpt_pa = vpt_pa };
    return true;
}

bool gits_vmapti(uint32_t device_id, uint32_t event_id, uint32_t vpe_id, uint32_t vintid, uint32_t doorbell)
{
    if (!issue("VMAPTI", device_id, event_id, vpe_id, vintid, doorbell))
        return false;
    struct fake_gits_event *e = event_of("VMAPTI", device_id, event_id, false);
    if (!e || !vpe_ok("VMAPTI", vpe_id) || !doorbell_ok("VMAPTI", doorbell))
        return true;
    if (vintid < GITS_LPI_BASE || vintid >= VLPI_END)
        return reject("VMAPTI: vINTID %u out of range (VMAPP Size: %u bits)", vintid, GITS_VLPI_ID_BITS);
    set_event(device_id, e, (struct fake_gits_event){ .kind = FAKE_EV_VIRT, .intid = vintid, .vpe = vpe_id,
                                                      .doorbell = doorbell });
    return true;
}

bool gits_vmovi(uint32_t device_id, uint32_t event_id, uint32_t vpe_id, uint32_t doorbell)
{
    if (!issue("VMOVI", device_id, event_id, vpe_id, 0, doorbell))
        return false;
    struct fake_gits_event *e = event_of("VMOVI", device_id, event_id, true);
    if (!e || !vpe_ok("VMOVI", vpe_id) || !doorbell_ok("VMOVI", doorbell))
        return true;
    if (e->kind != FAKE_EV_VIRT)
        return reject("VMOVI: device %u event %u is a physical LPI", device_id, event_id);
    e->vpe = vpe_id;
    e->doorbell = doorbell;
    return true;
}

bool gits_vsync(uint32_t vpe_id)
{
    if (!issue("VSYNC", 0, 0, vpe_id, 0, 0))
        return false;
    vpe_ok("VSYNC", vpe_id);
    return true;
}

void gicv4_vpe_load(uint32_t cpu, uint64_t vprop_pa, uint64_t vpt_pa, bool first)
{
    (void)first;
    if (cpu >= FAKE_GITS_CPUS) {
        reject("vpe_load: no redistributor for CPU %u", cpu);
        return;
    }
    /* Writing GICR_VPENDBASER with Valid set again is UNPREDICTABLE: unload first. */
    if (fake_gits.rd[cpu].valid)
        reject("vpe_load: CPU %u already has a resident vPE", cpu);
    else if (!vprop_pa || !vpt_pa)
        reject("vpe_load: CPU %u without a configuration or pending table", cpu);
    fake_gits.rd[cpu].valid = true;
    fake_gits.rd[cpu].vprop_pa = vprop_pa;
    fake_gits.rd[cpu].vpt_pa = vpt_pa;
}

bool gicv4_vpe_unload(uint32_t cpu)
{
    if (cpu >= FAKE_GITS_CPUS || !fake_gits.rd[cpu].valid)
        return false;
    fake_gits.rd[cpu].valid = false;
    /* PendingLast: any INT on an event of that vPE not cleared since. */
    for (uint32_t d = 0; d < FAKE_GITS_DEVICES; d++)
        for (uint32_t i = 0; fake_gits.dev[d].mapped && i < (1u << fake_gits.dev[d].itt_bits); i++) {
            const struct fake_gits_event *e = &fake_gits.dev[d].ev[i];
            if (e->kind == FAKE_EV_VIRT && e->pending && fake_gits.vpe[e->vpe].vpt_pa == fake_gits.rd[cpu].vpt_pa)
                return true;
        }
    return false;
}
