/* fake_vm_env.c: the hypervisor services of fake_vm_env.h for host tests. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "assign.h"
#include "fake_vm_env.h"
#include "kernel.h"
#include "memslot.h"
#include "mmio_bus.h"
#include "page_alloc.h"
#include "vgic_its.h"
#include "vgic_v4.h"
#include "vm.h"

uint8_t fake_ram[FAKE_RAM_BYTES];
bool fake_v4_on = true;
struct fake_pci_func fake_pci[FAKE_PCI_FUNCS];

static bool in_ram(uint64_t gpa, size_t len)
{
    return gpa >= FAKE_RAM_BASE && gpa - FAKE_RAM_BASE <= FAKE_RAM_BYTES &&
           len <= FAKE_RAM_BYTES - (gpa - FAKE_RAM_BASE);
}

int guest_read(struct memslots *ms, uint64_t gpa, void *buf, size_t len)
{
    (void)ms;
    if (!in_ram(gpa, len))
        return -1;
    memcpy(buf, fake_ram + (gpa - FAKE_RAM_BASE), len);
    return 0;
}

int guest_write(struct memslots *ms, uint64_t gpa, const void *buf, size_t len)
{
    (void)ms;
    if (!in_ram(gpa, len))
        return -1;
    memcpy(fake_ram + (gpa - FAKE_RAM_BASE), buf, len);
    return 0;
}

/* Zeroed, aligned, never given back (the hypervisor keeps these for the VM's lifetime). */
uint64_t hv_page_alloc(uint64_t page_count, uint64_t align_bytes)
{
    void *p = NULL;
    if (posix_memalign(&p, align_bytes, page_count * PAGE_SIZE) == 0)
        memset(p, 0, page_count * PAGE_SIZE);
    return (uint64_t)(uintptr_t)p;
}



void fake_vm_its_start(struct vm *vm)
{
    struct its_state *its = &vm->arch.its.state;
    its_reg_write(its, GITS_BASER0, 8, GITS_BASER_VALID | FAKE_DT_GPA);
    its_reg_write(its, GITS_BASER0 + 8, 8, GITS_BASER_VALID | FAKE_CT_GPA);
    its_reg_write(its, GITS_CBASER, 8, GITS_CBASER_VALID | FAKE_CQ_GPA);
    its_reg_write(its, GITS_CTLR, 4, GITS_CTLR_ENABLED);
}

uint32_t fake_vm_kicks[8];
void arch_vcpu_kick(struct vcpu *v) { fake_vm_kicks[v->id & 7]++; }
void gicv3_deactivate(uint32_t intid) { (void)intid; }
bool gicv3_spi_line(uint32_t intid) { (void)intid; return true; }

bool pci_assign_host_devid(const struct vm *vm, uint32_t guest_devid, uint32_t *host_devid)
{
    (void)vm;
    for (uint32_t i = 0; i < FAKE_PCI_FUNCS; i++)
        if (fake_pci[i].used && fake_pci[i].guest_devid == guest_devid) {
            *host_devid = fake_pci[i].host_devid;
            return true;
        }
    return false;
}

bool vgic_v4_on(void) { return fake_v4_on; }
bool vgic_v4_active(void) { return fake_v4_on; }
