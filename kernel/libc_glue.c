/* libc_glue.c: newlib's system-call layer: write goes to the console, sbrk to the hypervisor heap. */
#include <errno.h>
#include <reent.h>
#include <stdint.h>
#include <sys/stat.h>
#include "kernel.h"
#include "spinlock.h"

#undef errno
extern int errno;

/* The sbrk arena, set once by heap_init before any allocation (lock: heap_lock). */
static uint8_t *heap_start, *heap_end, *heap_brk;
static struct spinlock heap_lock = SPINLOCK_INIT;

void heap_init(uint64_t base, uint64_t size_bytes)
{
    heap_start = heap_brk = (uint8_t *)(uintptr_t)base;
    heap_end = heap_start + size_bytes;
}

void *_sbrk(ptrdiff_t incr)
{
    spin_lock(&heap_lock);
    uint8_t *old = heap_brk;
    if (!heap_start || incr > heap_end - heap_brk || incr < heap_start - heap_brk) {
        spin_unlock(&heap_lock);
        errno = ENOMEM;
        return (void *)-1;
    }
    heap_brk += incr;
    spin_unlock(&heap_lock);
    return old;
}

/* nano-malloc serializes through these; a recursive lock keyed by CPU. */
static struct spinlock malloc_lock = SPINLOCK_INIT;
static uint32_t malloc_owner = UINT32_MAX, malloc_depth;   /* lock: malloc_lock */

void __malloc_lock(struct _reent *r)
{
    (void)r;
    uint32_t me = arch_cpu_index();
    if (__atomic_load_n(&malloc_owner, __ATOMIC_ACQUIRE) == me) {
        malloc_depth++;
        return;
    }
    spin_lock(&malloc_lock);
    __atomic_store_n(&malloc_owner, me, __ATOMIC_RELEASE);
    malloc_depth = 1;
}

void __malloc_unlock(struct _reent *r)
{
    (void)r;
    if (--malloc_depth == 0) {
        __atomic_store_n(&malloc_owner, UINT32_MAX, __ATOMIC_RELEASE);
        spin_unlock(&malloc_lock);
    }
}

int _write(int fd, const char *buf, int len)
{
    if (fd != 1 && fd != 2) {
        errno = EBADF;
        return -1;
    }
    console_write(buf, (size_t)len);
    return len;
}

int _read(int fd, char *buf, int len)
{
    (void)fd; (void)buf; (void)len;
    return 0;
}

int _close(int fd) { (void)fd; errno = EBADF; return -1; }
int _open(const char *path, int flags, ...) { (void)path; (void)flags; errno = ENOENT; return -1; }
int _lseek(int fd, int off, int whence) { (void)fd; (void)off; (void)whence; return 0; }
int _isatty(int fd) { return fd <= 2; }
int _getpid(void) { return 1; }
int _kill(int pid, int sig) { (void)pid; (void)sig; errno = EINVAL; return -1; }

int _fstat(int fd, struct stat *st)
{
    (void)fd;
    st->st_mode = S_IFCHR;
    return 0;
}

__attribute__((noreturn)) void _exit(int status)
{
    (void)status;
    kernel_panic("exit() called");
}

/* Some newlib targets (x86_64-elf) call the plain names: the same functions. */
void *sbrk(ptrdiff_t incr) __attribute__((alias("_sbrk")));
int write(int fd, const char *buf, int len) __attribute__((alias("_write")));
int read(int fd, char *buf, int len) __attribute__((alias("_read")));
int close(int fd) __attribute__((alias("_close")));
int lseek(int fd, int off, int whence) __attribute__((alias("_lseek")));
int fstat(int fd, struct stat *st) __attribute__((alias("_fstat")));
int isatty(int fd) __attribute__((alias("_isatty")));
int getpid(void) __attribute__((alias("_getpid")));
int kill(int pid, int sig) __attribute__((alias("_kill")));
