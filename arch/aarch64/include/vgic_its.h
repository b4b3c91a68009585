/* vgic_its.h: the emulated GICv3 ITS (Arm IHI 0069, chapter 6 "LPIs and the ITS" and 5.3
 * "ITS commands"): a pure model (vgic_its_cmd.c, host-tested over fake memory) and its
 * binding to a VM (vgic_its.c: the MMIO frame at 0x08080000, the lock, delivery to the vGIC).
 *
 * Everything the ITS keeps lives in GUEST memory, as the architecture says: the command
 * queue (GITS_CBASER), the Device table (GITS_BASER0, Type 1), the Collection table
 * (GITS_BASER1, Type 4) and each device's ITT (MAPD). The model caches none of it and reads
 * it only through env->mem, which the hypervisor binds to guest_read/guest_write. The guest
 * can rewrite those tables behind the ITS's back at any time, so every value read from
 * them is re-validated before use (never trusted as written by the ITS).
 *
 * IMPLEMENTATION DEFINED entry formats (all 8 bytes, little endian; GITS_BASER<n>.Entry_Size
 * and GITS_TYPER.ITT_entry_size say 8):
 *   Device table entry      [63] V, [51:8] ITT address (256-byte aligned), [4:0] Size
 *                           (EventID bits - 1, as MAPD's Size)
 *   Collection table entry  [63] V, [15:0] target processor number (GITS_TYPER.PTA = 0)
 *   ITT entry               [63] V, [47:32] ICID, [31:0] pINTID
 * GITS_BASER<n>.Page_Size is writable: 4, 16 or 64 KiB (0b00, 0b01, 0b10; the reserved 0b11
 * is stored as 0b10), 4 KiB at reset. A table is Size + 1 pages of that size at
 * Physical_Address aligned down to it; with 64 KiB pages bits [15:12] are PA bits [51:48]
 * (beyond the 48-bit IPA space: every access to such a table fails). The command queue's
 * pages are always 4 KiB (GITS_CBASER has no Page_Size). Tables are flat, or two-level when
 * GITS_BASER<n>.Indirect is set: 8-byte level-1 entries ([63] Valid, [51:log2(page)] a page
 * of the same size of entries as above: 512, 2048 or 8192 of them); an ID whose level-1
 * entry is not Valid is out of range for MAPD/MAPC and unmapped otherwise.
 *
 * CONSTRAINED UNPREDICTABLE choices (Arm IHI 0069, 5.3 command errors; GITS_CWRITER):
 *  - A command with a bad parameter (DeviceID beyond the Device table or Devbits, unmapped
 *    device, EventID beyond the MAPD size, pINTID not an LPI INTID, ICID beyond the
 *    Collection table, unmapped collection, processor number beyond the vCPUs) or whose
 *    table access fails (a table outside guest memory) is IGNORED: the queue moves on.
 *    The architected error encoding (0x01_CC_RR: CC the command, RR the reason) is kept in
 *    its_state.last_error and counted; GITS_TYPER.SEIS = 0, so nothing is signalled.
 *  - Unknown command numbers are ignored (counted, last_error = 0x01_CC_00).
 *  - A GITS_CWRITER.Offset beyond the end of the queue STALLS it: GITS_CREADR.Stalled reads
 *    1 and nothing is processed until the guest writes an in-range GITS_CWRITER (Retry is
 *    accepted but not required), after which processing resumes from GITS_CREADR.
 *  - A command that cannot be READ (the queue itself outside guest memory) stalls the queue
 *    the same way at that command; the next GITS_CWRITER write retries it.
 *  - GITS_CBASER and GITS_BASER<n> writes are ignored while GITS_CTLR.Enabled is 1.
 *    Writing GITS_CBASER resets GITS_CREADR (and GITS_CWRITER) to 0 and clears Stalled.
 * Work per MMIO exit is bounded (ITS_CMDS_PER_EXIT commands); the rest is processed on the
 * next GITS_CWRITER write or GITS_CREADR read (which is how guests wait for the ITS).
 */
#ifndef VGIC_ITS_H
#define VGIC_ITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "spinlock.h"

/* Register offsets in the ITS control frame; GITS_TRANSLATER is in the second 64 KiB frame. */
#define GITS_CTLR         0x0000
#define GITS_IIDR         0x0004
#define GITS_TYPER        0x0008
#define GITS_CBASER       0x0080
#define GITS_CWRITER      0x0088
#define GITS_CREADR       0x0090
#define GITS_BASER0       0x0100       /* GITS_BASER<n> at 0x100 + 8n, n = 0..7 */
#define GITS_PIDR2        0xFFE8
#define GITS_TRANSLATER   0x10040
#define GITS_FRAME_SIZE   0x20000

#define GITS_CTLR_ENABLED      (1u << 0)
#define GITS_CTLR_QUIESCENT    (1u << 31)
#define GITS_CREADR_STALLED    (1ull << 0)
#define GITS_CWRITER_RETRY     (1ull << 0)
#define GITS_CQ_OFFSET_MASK    0xFFFE0ull        /* GITS_CWRITER/CREADR.Offset, bits [19:5] */
#define GITS_BASER_VALID       (1ull << 63)
#define GITS_BASER_INDIRECT    (1ull << 62)
#define GITS_BASER_TYPE_SHIFT  56
#define GITS_BASER_TYPE_DEVICE 1ull
#define GITS_BASER_TYPE_COLLECTION 4ull
#define GITS_BASER_PAGE_SIZE_SHIFT 8
#define GITS_BASER_PAGE_SIZE_MASK  (3ull << GITS_BASER_PAGE_SIZE_SHIFT)
#define GITS_BASER_PAGE_SIZE_4K    (0ull << GITS_BASER_PAGE_SIZE_SHIFT)
#define GITS_BASER_PAGE_SIZE_16K   (1ull << GITS_BASER_PAGE_SIZE_SHIFT)
#define GITS_BASER_PAGE_SIZE_64K   (2ull << GITS_BASER_PAGE_SIZE_SHIFT)
#define GITS_CBASER_VALID      (1ull << 63)

/* Limits this ITS implements (reported in GITS_TYPER). */
#define ITS_DEVICE_ID_BITS    16       /* GITS_TYPER.Devbits = 15 */
#define ITS_EVENT_ID_BITS     16       /* GITS_TYPER.IDbits = 15: MAPD Size <= 15 */
#define ITS_ENTRY_BYTES       8        /* DTE, CTE and ITE sizes */
#define ITS_CMD_BYTES         32
#define ITS_CMDS_PER_EXIT     128      /* bounded work per trapped access */
#define ITS_LPI_INTID_MIN     8192

/* Command numbers (Arm IHI 0069, 5.3): one row each in the dispatch table. */
enum its_cmd_nr {
    ITS_CMD_MOVI = 0x01, ITS_CMD_INT = 0x03, ITS_CMD_CLEAR = 0x04, ITS_CMD_SYNC = 0x05,
    ITS_CMD_MAPD = 0x08, ITS_CMD_MAPC = 0x09, ITS_CMD_MAPTI = 0x0A, ITS_CMD_MAPI = 0x0B,
    ITS_CMD_INV = 0x0C, ITS_CMD_INVALL = 0x0D, ITS_CMD_MOVALL = 0x0E, ITS_CMD_DISCARD = 0x0F,
};

/* Reasons of the architected command error encodings: error = 0x010000 | cmd << 8 | reason. */
enum its_err_reason {
    ITS_ERR_UNKNOWN_CMD = 0x00,         /* IMPLEMENTATION DEFINED: no such command */
    ITS_ERR_DEVICE_OOR = 0x01,          /* DeviceID beyond Devbits or the Device table */
    ITS_ERR_MOVALL_PROCNUM_OOR = 0x01,  /* MOVALL: a processor number beyond the vCPUs */
    ITS_ERR_SIZE_OOR = 0x02,            /* MAPD: ITT size beyond GITS_TYPER.IDbits */
    ITS_ERR_PROCNUM_OOR = 0x02,         /* MAPC: processor number beyond the vCPUs */
    ITS_ERR_COLLECTION_OOR = 0x03,      /* ICID beyond the Collection table */
    ITS_ERR_UNMAPPED_DEVICE = 0x04,
    ITS_ERR_ID_OOR = 0x05,              /* EventID beyond the device's ITT size */
    ITS_ERR_PHYSICALID_OOR = 0x06,      /* pINTID is not an LPI INTID this GIC supports */
    ITS_ERR_UNMAPPED_INTERRUPT = 0x07,
    ITS_ERR_UNMAPPED_COLLECTION = 0x09,
    ITS_ERR_MEMORY = 0x10,              /* IMPLEMENTATION DEFINED: a table access failed */
};
#define ITS_ERROR(cmd, reason) (0x010000u | ((uint32_t)(cmd) << 8) | (uint32_t)(reason))

/* ITS_FWD_UNMAP_DEVICE: a MAPD of device_id: its events from event_id up do not translate any
 * more (V=0 or another ITT: event_id 0; the same ITT made smaller: its new EventID count).
 * ITS_FWD_RETARGET: MAPC of collection icid to vcpu (ITS_FWD_NO_VCPU: unmapped); the events
 * of that collection follow it. ITS_FWD_MAP with ITS_FWD_NO_VCPU: the event's collection is
 * not mapped yet. */
enum its_fwd_op { ITS_FWD_MAP, ITS_FWD_MOVE, ITS_FWD_UNMAP, ITS_FWD_INT, ITS_FWD_CLEAR, ITS_FWD_UNMAP_DEVICE,
                  ITS_FWD_RETARGET };
#define ITS_FWD_NO_VCPU 0xFFFFFFFFu

/* What the model needs from its surroundings; all callbacks get env->ctx. */
struct its_env {
    void *ctx;
    /* Guest memory: 0 on success, non-zero when any byte is outside guest memory. */
    int (*mem_read)(void *ctx, uint64_t gpa, void *buf, size_t len);
    int (*mem_write)(void *ctx, uint64_t gpa, const void *buf, size_t len);
    /* The vGIC, by processor number (vCPU index, GITS_TYPER.PTA = 0). vcpu < vcpu_count and
     * ITS_LPI_INTID_MIN <= intid < 1 << lpi_id_bits always hold. */
    void (*lpi_inject)(void *ctx, uint32_t vcpu, uint32_t intid);
    void (*lpi_config_changed)(void *ctx, uint32_t intid);              /* 0: all LPIs */
    /* Optional (NULL: CLEAR and DISCARD leave the pending state alone, MOVI and MOVALL move
     * no pending state): remove an LPI's pending state (true when it was pending), and move
     * every LPI pending on one vCPU to another. */
    bool (*lpi_clear)(void *ctx, uint32_t vcpu, uint32_t intid);
    void (*lpi_move_all)(void *ctx, uint32_t from_vcpu, uint32_t to_vcpu);
    uint32_t vcpu_count;
    uint32_t lpi_id_bits;              /* INTIDs below 1 << lpi_id_bits (GICD_TYPER.IDbits + 1) */
    /* Optional (NULL: every LPI is emulated): GICv4 direct injection. An event the guest
     * maps (MAPTI/MAPI, with its collection's vCPU), moves (MOVI) or discards (DISCARD), and
     * the INT / CLEAR / MSI of a mapped event, told to the binding, which mirrors it on the
     * physical ITS. For INT and CLEAR it returns true when the physical ITS did it (the
     * emulated pending state is then left alone); its result is ignored for the others. */
    bool (*fwd)(void *ctx, enum its_fwd_op op, uint32_t device_id, uint32_t event_id, uint32_t icid,
                uint32_t vcpu, uint32_t intid);
    /* Optional: a table or queue access at gpa failed (not guest RAM: never was, or its memslot
     * was deleted or moved since the guest programmed it). The command was ignored or the
     * queue stalled as above; this only lets the owner say so. */
    void (*mem_fault)(void *ctx, uint64_t gpa, bool write);
};

/* The ITS's own registers; everything else is in guest memory. Guarded by its owner's lock. */
struct its_state {
    const struct its_env *env;
    uint32_t ctlr;                     /* GITS_CTLR.Enabled */
    uint64_t cbaser, cwriter, creadr;  /* creadr includes Stalled */
    uint64_t baser[8];
    /* Statistics, for tests and the management view. */
    uint64_t cmd_count;                /* commands consumed from the queue */
    uint64_t error_count;              /* of those, ignored as erroneous */
    uint32_t last_error;               /* ITS_ERROR() of the last ignored command, 0 if none */
};

/* The pure model (vgic_its_cmd.c). */
void its_init(struct its_state *its, const struct its_env *env);
void its_reset(struct its_state *its);
/* A guest access to the ITS frame at offset (size 1, 2, 4 or 8). Unknown or badly sized
 * accesses read as zero and ignore writes (RAZ/WI). Reads of GITS_CREADR and writes of
 * GITS_CWRITER process up to ITS_CMDS_PER_EXIT queued commands. */
uint64_t its_reg_read(struct its_state *its, uint64_t offset, uint32_t size);
void its_reg_write(struct its_state *its, uint64_t offset, uint32_t size, uint64_t value);
/* Processes up to max_cmds queued commands; returns how many were consumed. */
uint32_t its_process_queue(struct its_state *its, uint32_t max_cmds);
/* An MSI: (DeviceID, EventID) translated and delivered as GITS_TRANSLATER does. Returns
 * false when it does not translate (ITS disabled, unmapped, out of range). */
bool its_signal(struct its_state *its, uint32_t device_id, uint32_t event_id);
/* What GITS_TRANSLATER would make of (DeviceID, EventID) right now, delivering nothing: the
 * LPI and the vCPU its collection targets. False when it does not translate (unmapped, out
 * of range); GITS_CTLR.Enabled is not looked at. For the GICv4 mirror's checks. */
bool its_translate(struct its_state *its, uint32_t device_id, uint32_t event_id, uint32_t *intid, uint32_t *vcpu);

/* The per-VM binding (vgic_its.c). */
struct vm;
struct vgic_its {
    struct its_env env;
    struct its_state state;            /* guarded by lock */
    struct spinlock lock;              /* taken before the slot lock and the vGIC's locks */
    uint32_t faults_shown;             /* atomic: table-access failures said on the console */
};
/* Registers the ITS frame at VGIC_GITS_BASE on vm->mmio; false when the bus refuses it. */
bool vgic_its_init(struct vm *vm);
/* Back to the reset state (VM reset). */
void vgic_its_reset(struct vm *vm);
/* An MSI from an emulated device of this VM (DeviceID, EventID). */
bool vgic_its_msi(struct vm *vm, uint32_t device_id, uint32_t event_id);
/* GICv4 direct injection (vgic_v4.c): the its_env.fwd of every VM's ITS (ITS lock held). */
bool vgic_v4_its_fwd(struct vm *vm, enum its_fwd_op op, uint32_t device_id, uint32_t event_id,
                     uint32_t icid, uint32_t vcpu, uint32_t intid);
/* The ITS was reset (ITS lock held): DISCARD every mirrored event (their pending vLPIs go
 * with them) and re-read the LPI configuration when the guest maps again. */
void vgic_v4_its_reset(struct vm *vm);

#endif
