// See include/otter_sys.h. Every function here is a thin wrapper: no policy lives in C.
#define _GNU_SOURCE
#include "otter_sys.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int otter_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int otter_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = events;
  ev.data.u64 = data;
  return epoll_ctl(epfd, op, fd, &ev);
}

#ifndef SYS_epoll_pwait2
#define SYS_epoll_pwait2 441
#endif

static int have_pwait2 = 1;

int otter_epoll_wait(int epfd, otter_event_t *out, int max, int64_t timeout_ns) {
  struct epoll_event evs[256];
  if (max > 256) max = 256;
  int n;
  if (have_pwait2) {
    struct timespec ts, *tsp = NULL;
    if (timeout_ns >= 0) {
      ts.tv_sec = timeout_ns / 1000000000LL;
      ts.tv_nsec = timeout_ns % 1000000000LL;
      tsp = &ts;
    }
    n = (int)syscall(SYS_epoll_pwait2, epfd, evs, max, tsp, NULL, 0);
    if (n < 0 && errno == ENOSYS) {
      have_pwait2 = 0;
    }
  }
  if (!have_pwait2) {
    int ms = -1;
    if (timeout_ns >= 0) {
      int64_t r = (timeout_ns + 999999LL) / 1000000LL;
      ms = r > 0x7fffffff ? 0x7fffffff : (int)r;
    }
    n = epoll_wait(epfd, evs, max, ms);
  }
  for (int i = 0; i < n; i++) {
    out[i].events = evs[i].events;
    out[i].data = evs[i].data.u64;
  }
  return n;
}

int otter_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

int otter_eventfd_signal(int fd) {
  uint64_t one = 1;
  ssize_t r = write(fd, &one, sizeof one);
  return r == (ssize_t)sizeof one ? 0 : -1;
}

int otter_eventfd_drain(int fd) {
  uint64_t v;
  ssize_t r = read(fd, &v, sizeof v);
  return r == (ssize_t)sizeof v ? 0 : -1;
}

uint64_t otter_monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t otter_coarse_monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static __thread void *current_scheduler = NULL;
void *otter_current_scheduler(void) { return current_scheduler; }
void otter_set_current_scheduler(void *s) { current_scheduler = s; }

int otter_gettid(void) { return (int)syscall(SYS_gettid); }

void otter_set_thread_name(const char *name) {
  char buf[16];
  strncpy(buf, name, 15);
  buf[15] = 0;
  pthread_setname_np(pthread_self(), buf);
}

int otter_cpu_count(void) {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int)n : 1;
}

uint64_t otter_thread_cpu_ns(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return 0;
  return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int64_t otter_raise_nofile_limit(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return -1;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) return -1;
  }
  return (int64_t)rl.rlim_cur;
}

uint64_t otter_rss_bytes(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  if (!f) return 0;
  unsigned long size = 0, resident = 0;
  int ok = fscanf(f, "%lu %lu", &size, &resident);
  fclose(f);
  if (ok != 2) return 0;
  return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

uint64_t otter_malloc_in_use(void) {
  struct mallinfo2 mi = mallinfo2();
  return (uint64_t)mi.uordblks + (uint64_t)mi.hblkhd;
}

size_t otter_malloc_usable_size(const void *ptr) { return ptr ? malloc_usable_size((void *)ptr) : 0; }

// ---- signals ------------------------------------------------------------------
#define OTTER_MAX_WATCHERS 16
static volatile int watch_write_fds[OTTER_MAX_WATCHERS] = {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1};
static int watch_read_fds[OTTER_MAX_WATCHERS];
static int watch_count = 0;
static struct sigaction previous_term, previous_int;
static pthread_mutex_t watch_lock = PTHREAD_MUTEX_INITIALIZER;

static void otter_signal_handler(int sig) {
  int saved = errno;
  unsigned char b = (unsigned char)sig;
  for (int i = 0; i < OTTER_MAX_WATCHERS; i++) {
    int fd = watch_write_fds[i];
    if (fd >= 0) { ssize_t r = write(fd, &b, 1); (void)r; }
  }
  errno = saved;
}

int otter_signal_watch_open(void) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return -1;
  // The read end blocks; the write end never blocks the signal handler.
  fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) & ~O_NONBLOCK);
  pthread_mutex_lock(&watch_lock);
  int slot = -1;
  for (int i = 0; i < OTTER_MAX_WATCHERS; i++) if (watch_write_fds[i] < 0) { slot = i; break; }
  if (slot < 0) {
    pthread_mutex_unlock(&watch_lock);
    close(fds[0]); close(fds[1]);
    errno = EMFILE;
    return -1;
  }
  watch_read_fds[slot] = fds[0];
  watch_write_fds[slot] = fds[1];
  if (watch_count++ == 0) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = otter_signal_handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &sa, &previous_term);
    sigaction(SIGINT, &sa, &previous_int);
  }
  pthread_mutex_unlock(&watch_lock);
  return fds[0];
}

void otter_signal_watch_close(int read_fd) {
  pthread_mutex_lock(&watch_lock);
  for (int i = 0; i < OTTER_MAX_WATCHERS; i++) {
    if (watch_write_fds[i] >= 0 && watch_read_fds[i] == read_fd) {
      int w = watch_write_fds[i];
      watch_write_fds[i] = -1;
      close(w);  // the watcher thread's read returns 0 and it ends
      if (--watch_count == 0) {
        sigaction(SIGTERM, &previous_term, NULL);
        sigaction(SIGINT, &previous_int, NULL);
      }
      break;
    }
  }
  pthread_mutex_unlock(&watch_lock);
}
