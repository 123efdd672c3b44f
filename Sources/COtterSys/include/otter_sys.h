// Thin C layer over the Linux system calls the Otter runtime needs and that Swift
// cannot import cleanly (packed epoll_event, futex, thread-local slots).
#ifndef OTTER_SYS_H
#define OTTER_SYS_H

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

// Child OS processes (spawn, pidfds, pipes): see otter_process.h.
#include "otter_process.h"

#ifdef __cplusplus
extern "C" {
#endif

// ---- epoll ------------------------------------------------------------------
// One readiness event, unpacked (the kernel's struct epoll_event is packed on x86_64).
typedef struct {
  uint32_t events;
  uint64_t data;
} otter_event_t;

enum {
  OTTER_EPOLLIN = 0x001,
  OTTER_EPOLLPRI = 0x002,
  OTTER_EPOLLOUT = 0x004,
  OTTER_EPOLLERR = 0x008,
  OTTER_EPOLLHUP = 0x010,
  OTTER_EPOLLRDHUP = 0x2000,
  OTTER_EPOLLONESHOT = 0x40000000,
  OTTER_EPOLLET = (int)0x80000000u,
};

/// epoll_create1(EPOLL_CLOEXEC); -1 and errno on failure.
int otter_epoll_create(void);
/// EPOLL_CTL_ADD / MOD / DEL (op 1, 3, 2 as in the kernel).
int otter_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data);
/// Waits for at most `max` events, `timeout_ns` < 0 = forever. Uses epoll_pwait2
/// (nanosecond timeout) when the kernel has it, epoll_wait (rounded up to ms) otherwise.
/// Returns the number of events, or -1 with errno (EINTR included).
int otter_epoll_wait(int epfd, otter_event_t *events, int max, int64_t timeout_ns);

// ---- eventfd ----------------------------------------------------------------
int otter_eventfd(void);                 // non-blocking, close-on-exec
int otter_eventfd_signal(int fd);        // adds 1
int otter_eventfd_drain(int fd);         // reads and discards the counter

// ---- time -------------------------------------------------------------------
/// CLOCK_MONOTONIC in nanoseconds.
uint64_t otter_monotonic_ns(void);
/// CLOCK_MONOTONIC_COARSE in nanoseconds (a few ms resolution, much cheaper).
uint64_t otter_coarse_monotonic_ns(void);

// ---- cache ------------------------------------------------------------------
/// Asks the CPU to bring the cache line at `p` in, for writing, without waiting for it:
/// a loop over many objects touches the next ones ahead of time (inlined into Swift).
static inline void otter_prefetch_for_write(const void *p) { __builtin_prefetch(p, 1, 3); }

// ---- threads ----------------------------------------------------------------
/// The scheduler running on this thread (opaque), or NULL.
void *otter_current_scheduler(void);
void otter_set_current_scheduler(void *scheduler);
int otter_gettid(void);
/// Names the calling thread (max 15 chars, truncated).
void otter_set_thread_name(const char *name);
/// Number of CPUs this process may run on.
int otter_cpu_count(void);
/// Cumulative CPU time of the calling thread in nanoseconds.
uint64_t otter_thread_cpu_ns(void);

// ---- sockets ----------------------------------------------------------------
// All return a file descriptor (non-blocking, close-on-exec) or -errno.

/// TCP listener on `host` (numeric IPv4/IPv6, or "localhost", or "" / "0.0.0.0" / "::"
/// for any) and `port` (0: any free port). `*bound_port` gets the port.
int otter_tcp_listen(const char *host, int port, int backlog, int reuse_address, int reuse_port, int *bound_port);
/// Unix stream listener at `path` (an existing socket file is replaced), file mode `mode`.
int otter_unix_listen(const char *path, int backlog, int mode);
/// accept4; -EAGAIN when there is nothing to accept.
int otter_accept(int fd);
/// Starts a non-blocking TCP connect; `*in_progress` is set when the result comes later
/// (wait for writability, then otter_socket_error). `source` may be NULL or a numeric
/// local address to bind first (to use 127.0.0.2… when ports run out).
int otter_tcp_connect(const char *host, int port, const char *source, int *in_progress);
/// Non-blocking Unix stream connect.
int otter_unix_connect(const char *path, int *in_progress);
/// SO_ERROR (0: connected).
int otter_socket_error(int fd);
/// "ip:port" or the Unix path of the local / remote end into buf; 0 or -errno.
int otter_local_address(int fd, char *buf, int len);
int otter_peer_address(int fd, char *buf, int len);
/// SO_PEERCRED of a Unix socket: the peer's process, user and group ids as they were
/// when it connected; 0 or -errno.
int otter_peer_credentials(int fd, int *pid, unsigned *uid, unsigned *gid);
/// Disables Nagle's algorithm.
int otter_tcp_nodelay(int fd);
/// send(2) without SIGPIPE (a closed peer gives -EPIPE); bytes written or -errno.
ssize_t otter_send(int fd, const void *buf, size_t len);
/// sendmsg(2) of `count` buffers without SIGPIPE; bytes written or -errno.
ssize_t otter_sendv(int fd, const struct iovec *iov, int count);
/// SO_SNDBUF / SO_RCVBUF (0 leaves one unchanged); 0 or -errno.
int otter_socket_buffers(int fd, int send_bytes, int receive_bytes);
/// Sets SO_LINGER to 0 so that close sends a reset (for tests of peer resets).
int otter_socket_abort_on_close(int fd);
/// What an open descriptor is, for adopting one this process was given (inherited,
/// received): `*domain` AF_INET, AF_INET6, AF_UNIX..., `*stream` 1 for SOCK_STREAM,
/// `*listening` 1 for a listener (SO_ACCEPTCONN). 0, or -errno (-ENOTSOCK: no socket).
int otter_socket_describe(int fd, int *domain, int *stream, int *listening);
/// Makes a descriptor non-blocking and close-on-exec; 0 or -errno.
int otter_descriptor_prepare(int fd);
/// A close-on-exec duplicate of `fd` (at 3 or above), or -errno.
int otter_descriptor_duplicate(int fd);
/// sendmsg(2) of `len` bytes with `count` descriptors attached to them (SCM_RIGHTS),
/// without SIGPIPE or blocking: bytes written (the descriptors went with the first), or
/// -errno (-EAGAIN: nothing was sent, descriptors included).
ssize_t otter_send_descriptors(int fd, const void *buf, size_t len, const int *fds, int count);
/// recvmsg(2) of up to `len` bytes and the descriptors sent with them (close-on-exec),
/// without blocking: bytes read (0 at end of file) or -errno. At most `max` descriptors
/// are stored in `fds` and counted in `*count`; `*truncated` is set when the kernel had
/// more than fit (MSG_CTRUNC: it closed the rest).
ssize_t otter_receive_descriptors(int fd, void *buf, size_t len, int *fds, int max, int *count, int *truncated);

// ---- signals ----------------------------------------------------------------
/// Starts watching SIGTERM and SIGINT: returns the read end of a pipe that receives one
/// byte (the signal number) per signal, or -1. Several watchers may be open at once; the
/// previous handlers come back when the last one is closed.
int otter_signal_watch_open(void);
/// otter_signal_watch_open, and with `hangup` non-zero SIGHUP too (only this watcher's
/// pipe hears of it; SIGHUP's previous action comes back when no such watcher is left).
int otter_signal_watch_open_with(int hangup);
/// Stops a watcher opened by otter_signal_watch_open (closes both ends of its pipe).
void otter_signal_watch_close(int read_fd);
/// For a single-threaded program (the observer): blocks `signals` in the calling thread
/// and returns a non-blocking signalfd that reports them, or -1.
int otter_signalfd_open(const int *signals, int count);
/// The next signal waiting on a signalfd, or 0 if none (or -1 on error).
int otter_signalfd_next(int fd);
/// Unblocks `signals` in the calling thread (before the default action is wanted).
void otter_signals_unblock(const int *signals, int count);

// ---- terminals --------------------------------------------------------------
/// The terminal's size on `fd` (columns, rows); 0 if it is not a terminal.
int otter_terminal_size(int fd, int *columns, int *rows);

// ---- process resources ------------------------------------------------------
/// Raises RLIMIT_NOFILE's soft limit to the hard limit; returns the new soft limit or -1.
int64_t otter_raise_nofile_limit(void);
/// Resident set size of this process in bytes (from /proc/self/statm), 0 if unknown.
uint64_t otter_rss_bytes(void);
/// Bytes the C allocator has handed out and not taken back (mallinfo2 uordblks).
uint64_t otter_malloc_in_use(void);
/// malloc_usable_size of a heap pointer (0 for NULL).
size_t otter_malloc_usable_size(const void *ptr);
/// Bytes the C allocator holds free for reuse in every arena (mallinfo2 fordblks): freed
/// memory it keeps, whether or not its pages are still resident.
uint64_t otter_malloc_free(void);
/// Gives the whole free pages of every arena back to the kernel (malloc_trim(0)); returns
/// 1 if any memory was released.
int otter_malloc_trim(void);
/// Open file descriptors of this process (entries of /proc/self/fd, less the one used
/// to list them); -1 if it cannot be listed.
int otter_open_descriptors(void);

/// Where this process's memory is, as the kernel and the allocator count it.
struct otter_memory_status {
  /// /proc/self/status, in bytes: VmRSS and its three parts, the main thread's stack.
  uint64_t resident, resident_anonymous, resident_file, resident_shared, main_stack;
  /// /proc/self/status Threads.
  uint64_t threads;
  /// mallinfo2 (every arena): heap obtained with brk, blocks obtained with mmap, bytes
  /// in use in the brk heap, bytes free in it.
  uint64_t malloc_arena, malloc_mmapped, malloc_in_use, malloc_free;
};
/// Fills `out` (fields it cannot read stay 0).
void otter_memory_status(struct otter_memory_status *out);
/// The calling thread's stack: its lowest address and size (0 and 0 if unknown).
void otter_current_thread_stack(uintptr_t *base, size_t *size);
/// Bytes of [base, base + size) in memory now (mincore); 0 if the range is not mapped.
uint64_t otter_resident_bytes(uintptr_t base, size_t size);

#ifdef __cplusplus
}
#endif
#endif
