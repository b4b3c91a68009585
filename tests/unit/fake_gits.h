/* fake_gits.h: a model of the host's physical ITS for host tests (the gits_* and gicv4_*
 * functions of drivers/gicv3_its.h): its Device table (ITT size per MAPD), each (DeviceID,
 * EventID) mapping (physical LPI + collection, or vPE + vINTID + doorbell), the vPE table
 * (VMAPP) and each redistributor's resident vPE. Every command is checked against the rules
 * a real ITS enforces (Arm IHI 0069, 5.3 command errors) and the ones the hypervisor relies
 * on; a command that breaks one is IGNORED, as a real ITS with GITS_TYPER.SEIS = 0 does, and
 * counted in fake_gits.errors with its reason in fake_gits.last_error (the fuzzer aborts on
 * it, the unit tests assert there is none). Every command is logged for the tests. */
#ifndef FAKE_GITS_H
#define FAKE_GITS_H

#include <stdbool.h>
#include <stdint.h>
#include "gicv3_its.h"

#define FAKE_GITS_DEVICES 1024u            /* gits_device_limit() */
#define FAKE_GITS_ID_BITS 16u              /* GITS_TYPER.IDbits + 1: EventID bits of an ITT */
#define FAKE_GITS_VPES    256u             /* vPE table entries */
#define FAKE_GITS_CPUS    8u               /* redistributors (processor numbers) */
#define FAKE_GITS_LOG     64u
#define FAKE_GITS_NO_DOORBELL 1023u

enum fake_gits_kind { FAKE_EV_NONE, FAKE_EV_PHYS, FAKE_EV_VIRT };

struct fake_gits_event {
    uint8_t kind;                          /* enum fake_gits_kind */
    uint32_t intid;                        /* FAKE_EV_PHYS: pINTID; FAKE_EV_VIRT: vINTID */
    uint32_t cpu;                          /* FAKE_EV_PHYS: the collection's CPU */
    uint32_t vpe, doorbell;                /* FAKE_EV_VIRT */
    bool pending;                          /* INT made it pending, CLEAR/DISCARD not yet */
};

struct fake_gits_device {
    bool mapped;
    uint32_t itt_bits;                     /* EventIDs below 1 << itt_bits */
    uint32_t mapped_events;                /* events with kind != FAKE_EV_NONE */
    struct fake_gits_event *ev;            /* 1 << itt_bits entries, allocated at MAPD */
};

struct fake_gits_vpe {
    bool mapped;
    uint32_t cpu;                          /* VMAPP's redistributor */
    uint64_t vpt_pa;
};

/* One command as the driver would have sent it. */
struct fake_gits_cmd {
    char name[8];                          /* "VMAPTI", "DISCARD", ... */
    uint32_t device_id, event_id, vpe, intid, doorbell;
};

struct fake_gits {
    bool vlpis;                            /* gits_has_vlpis() */
    struct fake_gits_device dev[FAKE_GITS_DEVICES];
    struct fake_gits_vpe vpe[FAKE_GITS_VPES];
    struct {                               /* GICR_VPROPBASER / GICR_VPENDBASER per CPU */
        bool valid;
        uint64_t vprop_pa, vpt_pa;
    } rd[FAKE_GITS_CPUS];
    uint64_t tables_written;               /* gits_tables_written() calls */
    uint64_t commands, errors;
    char last_error[160];
    struct fake_gits_cmd log[FAKE_GITS_LOG];   /* the first FAKE_GITS_LOG commands */
    uint32_t log_count;                    /* all commands, even beyond the log */
};

extern struct fake_gits fake_gits;

/* Back to an empty ITS (every ITT freed), GICv4 on. */
void fake_gits_reset(void);
/* The event's mapping, NULL when the device is not mapped or the EventID is beyond its ITT. */
const struct fake_gits_event *fake_gits_event(uint32_t device_id, uint32_t event_id);
/* Events mapped over all devices. */
uint32_t fake_gits_mapped_count(void);
/* How many logged commands are called name; the last one of them (NULL: none). */
uint32_t fake_gits_count(const char *name);
const struct fake_gits_cmd *fake_gits_last(const char *name);

#endif
