/* libFuzzer target for GICv4 direct injection: the emulated ITS with forwarding on (the real
 * binding, vgic_its.c, and the mirror, vgic_v4_mirror.c) over a fake physical ITS
 * (tests/unit/fake_gits.c) that rejects, and so aborts the run on, any command a real ITS
 * would refuse. Random guest commands, MSIs (emulated devices and assigned PCI functions),
 * register writes, table scribbles, EnableLPIs toggles, vPE residency and VM resets.
 * Invariants after each step: every event the mirror says is on the physical ITS is mapped
 * there exactly once, to its vCPU's vPE with its vINTID and doorbell, and (unless the guest
 * wrote its tables behind the ITS) to what the guest's ITS translates it to; nothing else is
 * mapped there (no leaked host events, in particular after DISCARD, MAPD V=0 and reset). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fake_gits.h"
#include "fake_vm_env.h"
#include "fuzz_check.h"
#include "vgic_internal.h"
#include "vgic_its.h"
#include "vgic_v4.h"

#define CQ_GPA   FAKE_CQ_GPA
#define ITT_GPA  (FAKE_RAM_BASE + 0x30000)    /* 0x800 per structured DeviceID: no overlap */
#define PROP_GPA (FAKE_RAM_BASE + 0x60000)
#define VCPUS    3
#define DEVICES  12                           /* structured DeviceIDs; 8 and 9 are PCI functions */
#define MAX_HOST 512

static struct vm vm;
static bool tainted;                          /* the guest wrote its tables behind the ITS */

static const uint64_t offsets[] = {
    GITS_CTLR, GITS_CBASER, GITS_CWRITER, GITS_CREADR, GITS_BASER0, GITS_BASER0 + 8, GITS_BASER0 + 4,
};

static uint64_t take(const uint8_t **p, size_t *n, size_t bytes)
{
    uint64_t v = 0;
    for (size_t i = 0; i < bytes && *n; i++, (*p)++, (*n)--)
        v |= (uint64_t)**p << (8 * i);
    return v;
}

static uint32_t cq_tail;

static void its_start(void)
{
    fake_vm_its_start(&vm);
    cq_tail = 0;
}

static void queue(const uint64_t dw[4])
{
    if (getenv("FUZZ_TRACE"))                 /* FUZZ_TRACE=1 ./fuzz_vgic_v4 crash-...: the commands */
        fprintf(stderr, "cmd %016llx %016llx %016llx %016llx\n", (unsigned long long)dw[0],
                (unsigned long long)dw[1], (unsigned long long)dw[2], (unsigned long long)dw[3]);
    memcpy(fake_ram + (CQ_GPA - FAKE_RAM_BASE) + cq_tail, dw, 32);
    cq_tail = (cq_tail + 32) % 4096;
    its_reg_write(&vm.arch.its.state, GITS_CWRITER, 8, cq_tail);
}

/* ---- invariants ------------------------------------------------------------------ */

struct seen {
    uint32_t count;
    uint32_t hdev[MAX_HOST], hev[MAX_HOST];
};

static void check_event(void *ctx, const struct vgic_v4_event_view *ev)
{
    struct seen *s = ctx;
    if (!ev->host)
        return;
    /* Exactly once: no two mirrored events share a host event. */
    for (uint32_t i = 0; i < s->count; i++)
        CHECK(s->hdev[i] != ev->hdev || s->hev[i] != ev->hev);
    CHECK(s->count < MAX_HOST);
    s->hdev[s->count] = ev->hdev;
    s->hev[s->count++] = ev->hev;
    /* Mapped on the physical ITS to the vCPU's vPE, the vINTID and the vPE's doorbell. */
    CHECK(ev->vcpu < vm.vcpu_count);
    uint32_t vpe = vm.id * VM_MAX_VCPUS + ev->vcpu;
    const struct fake_gits_event *h = fake_gits_event(ev->hdev, ev->hev);
    CHECK(h != NULL);
    CHECK(h->kind == FAKE_EV_VIRT);
    CHECK(h->vpe == vpe);
    CHECK(h->intid == ev->intid);
    CHECK(h->doorbell == V4_DOORBELL0 + vpe);
    CHECK(fake_gits.vpe[vpe].mapped && fake_gits.vpe[vpe].cpu == vm.vcpu[ev->vcpu].pcpu);
    /* What the guest's ITS says, as long as the guest only changed it through commands. */
    if (!tainted) {
        uint32_t intid, vcpu;
        bool mapped = its_translate(&vm.arch.its.state, ev->gdev, ev->gevent, &intid, &vcpu);
        if (!mapped || intid != ev->intid || vcpu != ev->vcpu)
            fprintf(stderr, "guest (%u, %u): %s intid %u vcpu %u; mirrored as intid %u vcpu %u\n", ev->gdev,
                    ev->gevent, mapped ? "mapped" : "NOT mapped", intid, vcpu, ev->intid, ev->vcpu);
        CHECK(mapped);
        CHECK(intid == ev->intid && vcpu == ev->vcpu);
    }
}

static void count_event(void *ctx, const struct vgic_v4_event_view *ev)
{
    (void)ev;
    (*(uint32_t *)ctx)++;
}

static void check_state(void)
{
    CHECK(fake_gits.errors == 0);             /* fake_gits printed which rule */
    static struct seen s;
    s.count = 0;
    vgic_v4_mirror_walk(&vm, check_event, &s);
    CHECK(fake_gits_mapped_count() == s.count);   /* nothing on the physical ITS unaccounted */
}

/* After a VM reset: nothing mirrored, nothing left on the physical ITS. */
static void check_reset(void)
{
    uint32_t records = 0;
    vgic_v4_mirror_walk(&vm, count_event, &records);
    CHECK(records == 0);
    CHECK(fake_gits_mapped_count() == 0);
    CHECK(fake_gits.errors == 0);
}

static void vm_setup(void)
{
    vm.id = 2;
    vm.vcpu_count = VCPUS;
    for (uint32_t i = 0; i < VCPUS; i++)
        vm.vcpu[i] = (struct vcpu){ .vm = &vm, .id = i, .pcpu = i + 1, .power = VCPU_ON };
    CHECK(vgic_vm_init(&vm));
    CHECK(vgic_its_init(&vm));
    fake_pci[0] = (struct fake_pci_func){ true, 8, 0x80 };
    fake_pci[1] = (struct fake_pci_func){ true, 9, 0x81 };
}

static void lpis_on(void)
{
    for (uint32_t i = 0; i < VCPUS; i++) {
        vm.vcpu[i].arch.vgic.propbaser = PROP_GPA | (VGIC_LPI_ID_BITS - 1);
        vm.vcpu[i].arch.vgic.ctlr |= 1;       /* GICR_CTLR.EnableLPIs */
    }
}

/* Each input is a VM's life after a reset; the mirror's vPEs and host devices stay. */
static void vm_reset(void)
{
    vgic_its_reset(&vm);
    check_reset();
    vgic_vm_reset(&vm);
    lpis_on();
    its_start();
    tainted = false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool once;
    if (!once) {
        fake_gits_reset();
        vm_setup();
        once = true;
    }
    memset(fake_ram, 0, sizeof(fake_ram));
    vm_reset();

    while (size) {
        uint8_t op = (uint8_t)take(&data, &size, 1);
        switch (op % 10) {
        case 0: {                           /* register write; new tables: the guest's view changes */
            uint64_t off = offsets[take(&data, &size, 1) % (sizeof(offsets) / sizeof(offsets[0]))];
            uint64_t v = take(&data, &size, 8);
            if (off >= GITS_BASER0)
                tainted = true;
            its_reg_write(&vm.arch.its.state, off, (off & 4) ? 4 : 8, v);
            break;
        }
        case 1:
        case 2:
        case 3: {                           /* a well-formed command on the structured devices */
            static const uint8_t nrs[] = { ITS_CMD_MAPD, ITS_CMD_MAPC, ITS_CMD_MAPTI, ITS_CMD_MAPI, ITS_CMD_MOVI,
                                           ITS_CMD_DISCARD, ITS_CMD_INT, ITS_CMD_CLEAR, ITS_CMD_INV, ITS_CMD_INVALL,
                                           ITS_CMD_MOVALL, ITS_CMD_SYNC };
            uint8_t nr = nrs[take(&data, &size, 1) % sizeof(nrs)];
            uint32_t dev = (uint32_t)take(&data, &size, 1) % DEVICES;
            uint32_t ev = (uint32_t)take(&data, &size, 1) % 40;
            uint32_t intid = 8192 + (uint32_t)take(&data, &size, 1) % 48;
            uint32_t icid = (uint32_t)take(&data, &size, 1) % 4;
            uint32_t vcpu = (uint32_t)take(&data, &size, 1) % (VCPUS + 1);
            uint8_t flags = (uint8_t)take(&data, &size, 1);
            uint64_t valid = (flags & 7) ? 1ull << 63 : 0;     /* mostly V=1 */
            uint64_t dw[4] = { nr | (uint64_t)dev << 32, (uint64_t)intid << 32 | ev, icid, 0 };
            if (nr == ITS_CMD_MAPD)
                dw[1] = (flags >> 3) % 8, dw[2] = valid | (ITT_GPA + dev * 0x800ull);   /* <= 256 events */
            else if (nr == ITS_CMD_MAPC)
                dw[2] = valid | (uint64_t)vcpu << 16 | icid;
            else if (nr == ITS_CMD_MAPI)
                dw[1] = 8192 + ev;
            else if (nr == ITS_CMD_MOVALL)
                dw[2] = (uint64_t)vcpu << 16, dw[3] = (uint64_t)(flags % VCPUS) << 16;
            queue(dw);
            break;
        }
        case 4: {                           /* raw 32 bytes as a command */
            uint64_t dw[4];
            for (int i = 0; i < 4; i++)
                dw[i] = take(&data, &size, 8);
            if ((uint8_t)dw[0] == ITS_CMD_MAPD)
                tainted = true;             /* any ITT address, overlapping anything */
            queue(dw);
            break;
        }
        case 5: {                           /* the guest scribbles on its memory */
            uint64_t off = (take(&data, &size, 3) % (FAKE_RAM_BYTES / 8)) * 8;
            uint64_t v = take(&data, &size, 8);
            memcpy(fake_ram + off, &v, 8);
            tainted = true;
            break;
        }
        case 6:                             /* an MSI: emulated device or assigned function */
            vgic_its_msi(&vm, (uint32_t)take(&data, &size, 1) % DEVICES, (uint32_t)take(&data, &size, 1) % 40);
            break;
        case 7: {                           /* EnableLPIs off/on, or fewer LPI INTID bits */
            uint8_t b = (uint8_t)take(&data, &size, 1);
            struct vcpu *v = &vm.vcpu[b % VCPUS];
            if (b & 0x80)
                v->arch.vgic.ctlr ^= 1;
            else
                v->arch.vgic.propbaser = PROP_GPA | (8 + (b >> 3) % 8);
            break;
        }
        case 8: {                           /* residency on this pCPU */
            uint8_t b = (uint8_t)take(&data, &size, 1);
            if (b & 0x80)
                vgic_v4_put(&vm.vcpu[b % VCPUS]);
            else
                vgic_v4_load(&vm.vcpu[b % VCPUS]);
            break;
        }
        case 9:                             /* VM reset */
            vm_reset();
            break;
        }
        check_state();
    }
    return 0;
}
