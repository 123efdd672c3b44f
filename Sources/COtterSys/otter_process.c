// See include/otter_process.h.
//
// Why not posix_spawn: a supervised child must die with the OS process that supervises
// it, even one killed with SIGKILL, which nothing in the parent can react to. The kernel
// does it for us with PR_SET_PDEATHSIG, but that is a prctl the child must make itself,
// between clone and exec, and posix_spawn has no step for it (nor for checking that the
// parent did not die before the prctl, nor for closing every descriptor but the mapped
// ones). So this is posix_spawn's own technique, written out: clone with CLONE_VM |
// CLONE_VFORK on a stack of its own (no copy of the address space, the parent thread
// waits until exec), all signals blocked around it, and a child that only makes system
// calls until exec.
#define _GNU_SOURCE
#include "otter_process.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/// What parent and child share (the child runs in the parent's memory until exec).
struct spawn_shared {
  const struct otter_spawn_args *args;
  pid_t parent;
  volatile int error;
  volatile int step;
};

static void child_fail(struct spawn_shared *s, int step, int error) {
  s->step = step;
  s->error = error ? error : EINVAL;
  _exit(127);
}

static int spawn_child(void *arg) {
  struct spawn_shared *s = arg;
  const struct otter_spawn_args *a = s->args;

  // Every signal back to its default action: the parent's handlers are the parent's
  // (and would run on its memory), and an ignored SIGPIPE would be inherited by exec.
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < _NSIG; sig++) {
    if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &dfl, NULL);
  }

  if (a->new_group && setpgid(0, 0) != 0) child_fail(s, OTTER_SPAWN_CLONE, errno);

  // Die with the parent. The signal fires when the thread that cloned us ends, so the
  // caller clones from a thread that lives as long as the process. The parent may have
  // died before the prctl: then we are someone else's child already, and must not run.
  if (a->death_signal) {
    if (prctl(PR_SET_PDEATHSIG, a->death_signal) != 0) child_fail(s, OTTER_SPAWN_PARENT_GONE, errno);
    if (getppid() != s->parent) child_fail(s, OTTER_SPAWN_PARENT_GONE, ESRCH);
  }

  // Descriptors: first every source to a number above all targets (a source may be
  // another mapping's target), then each to its target (dup2 clears close-on-exec),
  // then close everything else.
  int floor = 3;
  for (int i = 0; i < a->count; i++) {
    if (a->targets[i] >= floor) floor = a->targets[i] + 1;
  }
  for (int i = 0; i < a->count; i++) {
    a->scratch[i] = fcntl(a->sources[i], F_DUPFD_CLOEXEC, floor);
    if (a->scratch[i] < 0) child_fail(s, OTTER_SPAWN_DESCRIPTORS, errno);
  }
  for (int i = 0; i < a->count; i++) {
    if (dup2(a->scratch[i], a->targets[i]) < 0) child_fail(s, OTTER_SPAWN_DESCRIPTORS, errno);
  }
  for (int fd = 0; fd < floor; fd++) {
    int keep = 0;
    for (int i = 0; i < a->count; i++) keep |= a->targets[i] == fd;
    if (!keep) close(fd);
  }
  if (syscall(SYS_close_range, (unsigned)floor, ~0U, 0) != 0) {
    for (int fd = floor; fd < 65536; fd++) close(fd);
  }

  if (a->directory && chdir(a->directory) != 0) child_fail(s, OTTER_SPAWN_DIRECTORY, errno);

  if (a->pid_digits) {
    char digits[21];
    int n = 0;
    unsigned long pid = (unsigned long)getpid();
    do {
      digits[n++] = (char)('0' + pid % 10);
      pid /= 10;
    } while (pid && n < 20);
    for (int i = 0; i < n; i++) a->pid_digits[i] = digits[n - 1 - i];
    a->pid_digits[n] = 0;
  }

  sigset_t none;
  sigemptyset(&none);
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, _NSIG / 8);
  execve(a->path, a->argv, a->envp);
  child_fail(s, OTTER_SPAWN_EXEC, errno);
  return 127;
}

static void reap_pid(pid_t pid) {
  while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
}

int otter_spawn(const struct otter_spawn_args *args, int *pidfd, int *failed_step) {
  *pidfd = -1;
  *failed_step = OTTER_SPAWN_CLONE;
  const size_t stack_size = 128 * 1024;
  void *stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) return -errno;
  struct spawn_shared shared = {.args = args, .parent = getpid(), .error = 0, .step = 0};
  // No handler may run in the child while it shares our memory.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pid_t pid = clone(spawn_child, (char *)stack + stack_size, CLONE_VM | CLONE_VFORK | SIGCHLD, &shared);
  int clone_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  munmap(stack, stack_size);
  if (pid < 0) return -clone_errno;
  if (shared.error) {
    *failed_step = shared.step;
    reap_pid(pid);
    return -shared.error;
  }
  // Not reaped yet, so the pid cannot have been reused: this pidfd is our child's.
  int fd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (fd < 0) {
    int e = errno;
    kill(pid, SIGKILL);
    reap_pid(pid);
    *failed_step = OTTER_SPAWN_PIDFD;
    return -e;
  }
  *pidfd = fd;
  return pid;
}

int otter_pidfd_reap(int pidfd, int *code, int *status) {
  siginfo_t info;
  memset(&info, 0, sizeof info);
  // P_PIDFD (3): older headers do not name it.
  if (waitid((idtype_t)3, (id_t)pidfd, &info, WEXITED | WNOHANG) != 0) return -errno;
  if (info.si_pid == 0) return 0;
  *code = info.si_code;
  *status = info.si_status;
  return 1;
}

int otter_pidfd_signal(int pidfd, int signal) {
  return syscall(SYS_pidfd_send_signal, pidfd, signal, NULL, 0) == 0 ? 0 : -errno;
}

int otter_signal_group(int group, int signal) {
  if (group <= 1) return -EINVAL;
  return kill(-group, signal) == 0 ? 0 : -errno;
}

int otter_pipe(int fds[2]) {
  if (pipe2(fds, O_CLOEXEC) != 0) return -errno;
  if (otter_set_nonblocking(fds[0]) != 0) {
    int e = errno;
    close(fds[0]);
    close(fds[1]);
    return -e;
  }
  return 0;
}

int otter_set_nonblocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) return -errno;
  return 0;
}

int otter_unix_datagram_bind(const char *path) {
  struct sockaddr_un a;
  memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  if (strlen(path) >= sizeof a.sun_path) return -ENAMETOOLONG;
  strcpy(a.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    int e = errno;
    close(fd);
    return -e;
  }
  return fd;
}

int otter_process_usage(int pid, uint64_t *cpu_ns, uint64_t *resident_bytes, uint64_t *started_ns) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  char buf[1024];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  int e = errno;
  close(fd);
  if (n <= 0) return n < 0 ? -e : -EIO;
  buf[n] = 0;
  // The command name (field 2) is in parentheses and may hold anything: read after the last ')'.
  char *p = strrchr(buf, ')');
  if (!p) return -EIO;
  unsigned long utime = 0, stime = 0;
  unsigned long long start = 0;
  long rss = 0;
  // Fields 3 onward: state ppid pgrp session tty tpgid flags minflt cminflt majflt
  // cmajflt utime stime cutime cstime priority nice threads itrealvalue starttime vsize rss.
  int got = sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d %*d %*d %*d %*d %llu %*u %ld", &utime,
                   &stime, &start, &rss);
  if (got != 4) return -EIO;
  long ticks = sysconf(_SC_CLK_TCK);
  long page = sysconf(_SC_PAGESIZE);
  if (ticks <= 0) ticks = 100;
  if (page <= 0) page = 4096;
  *cpu_ns = (uint64_t)(utime + stime) * (1000000000ull / (uint64_t)ticks);
  *resident_bytes = rss > 0 ? (uint64_t)rss * (uint64_t)page : 0;
  *started_ns = (uint64_t)start * (1000000000ull / (uint64_t)ticks);
  return 0;
}
