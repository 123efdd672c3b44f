// Child OS processes: starting one with its descriptors mapped and a parent-death signal
// set, watching it through a pidfd, reaping it, reading what the kernel says it uses.
// The policy (what to start, when to stop it, what its end means) is Swift's
// (Sources/Supervision/OSProcess); this is the part Swift cannot do between clone and exec.
#ifndef OTTER_PROCESS_H
#define OTTER_PROCESS_H

#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/// What `otter_spawn` starts.
struct otter_spawn_args {
  /// The executable (a path; no PATH search here).
  const char *path;
  /// NULL-terminated argument and environment vectors.
  char *const *argv;
  char *const *envp;
  /// Working directory of the child, or NULL for this process's.
  const char *directory;
  /// `count` descriptors of this process and the numbers they get in the child. Every
  /// other descriptor is closed in the child, whatever its close-on-exec flag.
  const int *sources;
  const int *targets;
  int count;
  /// `count` ints the child writes to (its temporary copies of the descriptors).
  int *scratch;
  /// Signal the child gets when the thread that started it ends (PR_SET_PDEATHSIG);
  /// 0 for none.
  int death_signal;
  /// NULL, or 21 bytes inside one of `envp`'s strings that the child fills with its own
  /// pid in decimal (systemd's LISTEN_PID, which only the child knows).
  char *pid_digits;
  /// Non-zero: the child leads a new process group (its pid), so that it and what it
  /// starts can be signalled together.
  int new_group;
};

/// The steps `otter_spawn` reports a failure of.
enum {
  OTTER_SPAWN_CLONE = 0,
  OTTER_SPAWN_DESCRIPTORS = 1,
  OTTER_SPAWN_DIRECTORY = 2,
  OTTER_SPAWN_EXEC = 3,
  OTTER_SPAWN_PARENT_GONE = 4,
  OTTER_SPAWN_PIDFD = 5,
};

/// Starts a child as `args` says. Returns its pid and sets `*pidfd` (close-on-exec);
/// or returns -errno and sets `*failed_step` (an OTTER_SPAWN_* step), having reaped the
/// child if there was one. Returns once the child has called exec (or failed).
int otter_spawn(const struct otter_spawn_args *args, int *pidfd, int *failed_step);

/// waitid(P_PIDFD, WEXITED | WNOHANG): 1 with `*code` (CLD_EXITED 1, CLD_KILLED 2,
/// CLD_DUMPED 3) and `*status` (the exit status, or the signal) once the child has ended
/// (it is reaped); 0 while it runs; -errno.
int otter_pidfd_reap(int pidfd, int *code, int *status);
/// pidfd_send_signal: 0 or -errno (ESRCH once the process has ended). A pidfd names one
/// process for good, so a signal never reaches a process that took a reused pid.
int otter_pidfd_signal(int pidfd, int signal);
/// kill(-group, signal): 0 or -errno.
int otter_signal_group(int group, int signal);

/// A pipe, both ends close-on-exec, the read end non-blocking (the write end is the
/// child's stdout or stderr, which it expects to block). 0 or -errno.
int otter_pipe(int fds[2]);
/// A Unix datagram socket bound to `path` (non-blocking, close-on-exec): fd or -errno.
int otter_unix_datagram_bind(const char *path);
/// O_NONBLOCK on `fd`: 0 or -errno.
int otter_set_nonblocking(int fd);

/// What the kernel says process `pid` uses: CPU time (user + system, nanoseconds), its
/// resident set (bytes) and when it started (nanoseconds after boot). 0 or -errno.
int otter_process_usage(int pid, uint64_t *cpu_ns, uint64_t *resident_bytes, uint64_t *started_ns);

#ifdef __cplusplus
}
#endif
#endif
