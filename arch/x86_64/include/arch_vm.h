/* arch_vm.h: x86_64 per-VM and per-vCPU state (VMX/SVM backends arrive with the x86 guest issue). */
#ifndef ARCH_VM_H
#define ARCH_VM_H

#include <stdint.h>

struct arch_vm {
    uint32_t asid;
};

struct arch_vcpu {
    uint64_t rip;
};

#endif
