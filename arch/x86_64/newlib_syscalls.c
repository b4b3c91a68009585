/* newlib_syscalls.c: newlib for x86_64-elf calls plain sbrk, write, ...: forward to kernel/libc_glue.c's _sbrk, _write, ... */
#include <stddef.h>
#include <sys/stat.h>

/* kernel/libc_glue.c */
void *_sbrk(ptrdiff_t incr);
int _write(int fd, const char *buf, int len);
int _read(int fd, char *buf, int len);
int _close(int fd);
int _lseek(int fd, int off, int whence);
int _fstat(int fd, struct stat *st);
int _isatty(int fd);
int _getpid(void);
int _kill(int pid, int sig);

void *sbrk(ptrdiff_t incr);
int write(int fd, const char *buf, int len);
int read(int fd, char *buf, int len);
int close(int fd);
int lseek(int fd, int off, int whence);
int fstat(int fd, struct stat *st);
int isatty(int fd);
int getpid(void);
int kill(int pid, int sig);

void *sbrk(ptrdiff_t incr) { return _sbrk(incr); }
int write(int fd, const char *buf, int len) { return _write(fd, buf, len); }
int read(int fd, char *buf, int len) { return _read(fd, buf, len); }
int close(int fd) { return _close(fd); }
int lseek(int fd, int off, int whence) { return _lseek(fd, off, whence); }
int fstat(int fd, struct stat *st) { return _fstat(fd, st); }
int isatty(int fd) { return _isatty(fd); }
int getpid(void) { return _getpid(); }
int kill(int pid, int sig) { return _kill(pid, sig); }
