// See include/otter_sys.h. Every function here is a thin wrapper: no policy lives in C.
#define _GNU_SOURCE
#include "otter_sys.h"

#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
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

uint64_t otter_malloc_free(void) {
  struct mallinfo2 mi = mallinfo2();
  return (uint64_t)mi.fordblks;
}

int otter_malloc_trim(void) { return malloc_trim(0); }

void otter_memory_status(struct otter_memory_status *out) {
  memset(out, 0, sizeof *out);
  FILE *f = fopen("/proc/self/status", "r");
  if (f) {
    char line[256];
    unsigned long long v;
    while (fgets(line, sizeof line, f)) {
      if (sscanf(line, "VmRSS: %llu kB", &v) == 1) out->resident = v * 1024;
      else if (sscanf(line, "RssAnon: %llu kB", &v) == 1) out->resident_anonymous = v * 1024;
      else if (sscanf(line, "RssFile: %llu kB", &v) == 1) out->resident_file = v * 1024;
      else if (sscanf(line, "RssShmem: %llu kB", &v) == 1) out->resident_shared = v * 1024;
      else if (sscanf(line, "VmStk: %llu kB", &v) == 1) out->main_stack = v * 1024;
      else if (sscanf(line, "Threads: %llu", &v) == 1) out->threads = v;
    }
    fclose(f);
  }
  struct mallinfo2 mi = mallinfo2();
  out->malloc_arena = mi.arena;
  out->malloc_mmapped = mi.hblkhd;
  out->malloc_in_use = mi.uordblks;
  out->malloc_free = mi.fordblks;
}

void otter_current_thread_stack(uintptr_t *base, size_t *size) {
  *base = 0;
  *size = 0;
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) != 0) return;
  void *address = NULL;
  size_t length = 0;
  if (pthread_attr_getstack(&attr, &address, &length) == 0) {
    *base = (uintptr_t)address;
    *size = length;
  }
  pthread_attr_destroy(&attr);
}

uint64_t otter_resident_bytes(uintptr_t base, size_t size) {
  long page = sysconf(_SC_PAGESIZE);
  if (page <= 0 || size == 0) return 0;
  uintptr_t start = base & ~((uintptr_t)page - 1);
  size_t pages = (size + (base - start) + (size_t)page - 1) / (size_t)page;
  unsigned char *vector = malloc(pages);
  if (!vector) return 0;
  uint64_t resident = 0;
  if (mincore((void *)start, pages * (size_t)page, vector) == 0) {
    for (size_t i = 0; i < pages; i++) resident += vector[i] & 1;
  }
  free(vector);
  return resident * (uint64_t)page;
}

int otter_open_descriptors(void) {
  DIR *d = opendir("/proc/self/fd");
  if (!d) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] != '.') n++;
  }
  closedir(d);
  return n - 1;
}

// ---- signals ------------------------------------------------------------------
#define OTTER_MAX_WATCHERS 16
static volatile int watch_write_fds[OTTER_MAX_WATCHERS] = {-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1};
static int watch_read_fds[OTTER_MAX_WATCHERS];
// Whether a watcher also wants SIGHUP (a daemon reopening its log file); the others
// never hear of it, and SIGHUP keeps its previous action while none wants it.
static volatile int watch_hangup[OTTER_MAX_WATCHERS];
static int watch_count = 0, hangup_count = 0;
static struct sigaction previous_term, previous_int, previous_hup;
static pthread_mutex_t watch_lock = PTHREAD_MUTEX_INITIALIZER;

static void otter_signal_handler(int sig) {
  int saved = errno;
  unsigned char b = (unsigned char)sig;
  for (int i = 0; i < OTTER_MAX_WATCHERS; i++) {
    int fd = watch_write_fds[i];
    if (fd >= 0 && (sig != SIGHUP || watch_hangup[i])) { ssize_t r = write(fd, &b, 1); (void)r; }
  }
  errno = saved;
}

int otter_signal_watch_open(void) { return otter_signal_watch_open_with(0); }

int otter_signal_watch_open_with(int hangup) {
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
  watch_hangup[slot] = hangup != 0;
  watch_write_fds[slot] = fds[1];
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = otter_signal_handler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  if (watch_count++ == 0) {
    sigaction(SIGTERM, &sa, &previous_term);
    sigaction(SIGINT, &sa, &previous_int);
  }
  if (hangup && hangup_count++ == 0) sigaction(SIGHUP, &sa, &previous_hup);
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
      if (watch_hangup[i]) {
        watch_hangup[i] = 0;
        if (--hangup_count == 0) sigaction(SIGHUP, &previous_hup, NULL);
      }
      if (--watch_count == 0) {
        sigaction(SIGTERM, &previous_term, NULL);
        sigaction(SIGINT, &previous_int, NULL);
      }
      break;
    }
  }
  pthread_mutex_unlock(&watch_lock);
}

// ---- sockets ------------------------------------------------------------------
static int fill_inet(const char *host, int port, struct sockaddr_storage *ss, socklen_t *len) {
  memset(ss, 0, sizeof *ss);
  if (host == NULL || host[0] == 0 || strcmp(host, "0.0.0.0") == 0) {
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET; a->sin_port = htons((uint16_t)port); a->sin_addr.s_addr = htonl(INADDR_ANY);
    *len = sizeof *a; return 0;
  }
  if (strcmp(host, "localhost") == 0) host = "127.0.0.1";
  struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
  if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET; a4->sin_port = htons((uint16_t)port); *len = sizeof *a4; return 0;
  }
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
  const char *h = host;
  char tmp[64];
  size_t hl = strlen(host);
  if (hl > 2 && host[0] == '[' && host[hl - 1] == ']' && hl - 2 < sizeof tmp) {
    memcpy(tmp, host + 1, hl - 2); tmp[hl - 2] = 0; h = tmp;
  }
  if (inet_pton(AF_INET6, h, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6; a6->sin6_port = htons((uint16_t)port); *len = sizeof *a6; return 0;
  }
  return -EINVAL;
}

int otter_tcp_listen(const char *host, int port, int backlog, int reuse_address, int reuse_port, int *bound_port) {
  struct sockaddr_storage ss; socklen_t len;
  int r = fill_inet(host, port, &ss, &len);
  if (r < 0) return r;
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  int one = 1;
  if (reuse_address) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reuse_port) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, backlog) != 0) { int e = errno; close(fd); return -e; }
  if (bound_port) {
    struct sockaddr_storage b; socklen_t bl = sizeof b;
    getsockname(fd, (struct sockaddr *)&b, &bl);
    *bound_port = b.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&b)->sin6_port) : ntohs(((struct sockaddr_in *)&b)->sin_port);
  }
  return fd;
}

static int fill_unix(const char *path, struct sockaddr_un *a, socklen_t *len) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  size_t n = strlen(path);
  if (n == 0 || n >= sizeof a->sun_path) return -ENAMETOOLONG;
  memcpy(a->sun_path, path, n + 1);
  *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
  return 0;
}

int otter_unix_listen(const char *path, int backlog, int mode) {
  struct sockaddr_un a; socklen_t len;
  int r = fill_unix(path, &a, &len);
  if (r < 0) return r;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  struct stat st;
  if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) unlink(path);
  // Create the file with no access at all, then open it up to `mode`: nobody can connect
  // in between with wider rights than asked for.
  mode_t old = umask(0777);
  int b = bind(fd, (struct sockaddr *)&a, len);
  int e = errno;
  umask(old);
  if (b != 0) { close(fd); return -e; }
  if (chmod(path, (mode_t)mode) != 0 || listen(fd, backlog) != 0) { e = errno; close(fd); unlink(path); return -e; }
  return fd;
}

int otter_accept(int fd) {
  int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  return c < 0 ? -errno : c;
}

int otter_tcp_connect(const char *host, int port, const char *source, int *in_progress) {
  struct sockaddr_storage ss; socklen_t len;
  int r = fill_inet(host, port, &ss, &len);
  if (r < 0) return r;
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  if (source && source[0]) {
    struct sockaddr_storage src; socklen_t sl;
    if (fill_inet(source, 0, &src, &sl) < 0 || src.ss_family != ss.ss_family) { close(fd); return -EINVAL; }
    // Let connect pick the port per destination, so one source address serves more
    // than the ephemeral range's worth of connections to different servers.
    int one = 1;
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&src, sl) != 0) { int e = errno; close(fd); return -e; }
  }
  *in_progress = 0;
  if (connect(fd, (struct sockaddr *)&ss, len) != 0) {
    if (errno == EINPROGRESS) { *in_progress = 1; return fd; }
    int e = errno; close(fd); return -e;
  }
  return fd;
}

int otter_unix_connect(const char *path, int *in_progress) {
  struct sockaddr_un a; socklen_t len;
  int r = fill_unix(path, &a, &len);
  if (r < 0) return r;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  *in_progress = 0;
  if (connect(fd, (struct sockaddr *)&a, len) != 0) {
    if (errno == EINPROGRESS || errno == EAGAIN) { *in_progress = 1; return fd; }
    int e = errno; close(fd); return -e;
  }
  return fd;
}

int otter_socket_error(int fd) {
  int err = 0; socklen_t l = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l) != 0) return errno;
  return err;
}

static int format_address(struct sockaddr_storage *ss, char *buf, int len) {
  char ip[INET6_ADDRSTRLEN];
  if (ss->ss_family == AF_INET) {
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
    snprintf(buf, (size_t)len, "%s:%d", ip, ntohs(a->sin_port));
  } else if (ss->ss_family == AF_INET6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
    inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
    snprintf(buf, (size_t)len, "[%s]:%d", ip, ntohs(a->sin6_port));
  } else if (ss->ss_family == AF_UNIX) {
    struct sockaddr_un *a = (struct sockaddr_un *)ss;
    snprintf(buf, (size_t)len, "%s", a->sun_path[0] ? a->sun_path : "unix");
  } else {
    snprintf(buf, (size_t)len, "?");
  }
  return 0;
}

int otter_local_address(int fd, char *buf, int len) {
  struct sockaddr_storage ss; socklen_t l = sizeof ss;
  memset(&ss, 0, sizeof ss);
  if (getsockname(fd, (struct sockaddr *)&ss, &l) != 0) return -errno;
  return format_address(&ss, buf, len);
}

int otter_peer_address(int fd, char *buf, int len) {
  struct sockaddr_storage ss; socklen_t l = sizeof ss;
  memset(&ss, 0, sizeof ss);
  if (getpeername(fd, (struct sockaddr *)&ss, &l) != 0) return -errno;
  return format_address(&ss, buf, len);
}

int otter_peer_credentials(int fd, int *pid, unsigned *uid, unsigned *gid) {
  struct ucred c; socklen_t l = sizeof c;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c, &l) != 0) return -errno;
  *pid = c.pid; *uid = c.uid; *gid = c.gid;
  return 0;
}

int otter_tcp_nodelay(int fd) {
  int one = 1;
  return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0 ? 0 : -errno;
}

int otter_socket_abort_on_close(int fd) {
  struct linger l = {1, 0};
  return setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l) == 0 ? 0 : -errno;
}

int otter_socket_describe(int fd, int *domain, int *stream, int *listening) {
  int value = 0; socklen_t l = sizeof value;
  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &value, &l) != 0) return -errno;
  *domain = value;
  l = sizeof value;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &value, &l) != 0) return -errno;
  *stream = value == SOCK_STREAM;
  l = sizeof value;
  if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &value, &l) != 0) return -errno;
  *listening = value != 0;
  return 0;
}

int otter_descriptor_prepare(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) return -errno;
  int fdflags = fcntl(fd, F_GETFD);
  if (fdflags < 0 || fcntl(fd, F_SETFD, fdflags | FD_CLOEXEC) != 0) return -errno;
  return 0;
}

int otter_descriptor_duplicate(int fd) {
  int d = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  return d < 0 ? -errno : d;
}

ssize_t otter_send_descriptors(int fd, const void *buf, size_t len, const int *fds, int count) {
  if (count < 0 || count > 253) return -EINVAL;
  struct iovec iov = {(void *)buf, len};
  struct msghdr m;
  memset(&m, 0, sizeof m);
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  char control[CMSG_SPACE(253 * sizeof(int))];
  if (count > 0) {
    memset(control, 0, sizeof control);
    m.msg_control = control;
    m.msg_controllen = CMSG_SPACE((size_t)count * sizeof(int));
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN((size_t)count * sizeof(int));
    memcpy(CMSG_DATA(c), fds, (size_t)count * sizeof(int));
  }
  ssize_t n = sendmsg(fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
  return n >= 0 ? n : -errno;
}

ssize_t otter_receive_descriptors(int fd, void *buf, size_t len, int *fds, int max, int *count, int *truncated) {
  *count = 0;
  *truncated = 0;
  if (max < 0 || max > 253) return -EINVAL;
  struct iovec iov = {buf, len};
  struct msghdr m;
  memset(&m, 0, sizeof m);
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  char control[CMSG_SPACE(253 * sizeof(int))];
  m.msg_control = control;
  m.msg_controllen = CMSG_SPACE((size_t)(max > 0 ? max : 1) * sizeof(int));
  ssize_t n = recvmsg(fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  if (n < 0) return -errno;
  if (m.msg_flags & MSG_CTRUNC) *truncated = 1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
    int *got = (int *)CMSG_DATA(c);
    for (int i = 0; i < k; i++) {
      if (*count < max) fds[(*count)++] = got[i];
      else { close(got[i]); *truncated = 1; }
    }
  }
  return n;
}

ssize_t otter_send(int fd, const void *buf, size_t len) {
  ssize_t n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
  return n >= 0 ? n : -errno;
}

ssize_t otter_sendv(int fd, const struct iovec *iov, int count) {
  // One buffer (a coalesced socket that was sent one line: most of a broadcast's
  // copies) goes by send(2): sendmsg(2) also copies in and checks the message header
  // and the vector, kernel work per call.
  if (count == 1) return otter_send(fd, iov[0].iov_base, iov[0].iov_len);
  struct msghdr m;
  memset(&m, 0, sizeof m);
  m.msg_iov = (struct iovec *)iov;
  m.msg_iovlen = (size_t)count;
  ssize_t n = sendmsg(fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
  return n >= 0 ? n : -errno;
}

int otter_socket_buffers(int fd, int send_bytes, int receive_bytes) {
  if (send_bytes > 0 && setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &send_bytes, sizeof send_bytes) != 0) return -errno;
  if (receive_bytes > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_bytes, sizeof receive_bytes) != 0) return -errno;
  return 0;
}

// ---- signalfd (the observer) -------------------------------------------------

int otter_signalfd_open(const int *signals, int count) {
  sigset_t mask;
  sigemptyset(&mask);
  for (int i = 0; i < count; i++) sigaddset(&mask, signals[i]);
  if (sigprocmask(SIG_BLOCK, &mask, NULL) != 0) return -1;
  return signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
}

int otter_signalfd_next(int fd) {
  struct signalfd_siginfo info;
  ssize_t n = read(fd, &info, sizeof info);
  if (n == (ssize_t)sizeof info) return (int)info.ssi_signo;
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
  return -1;
}

void otter_signals_unblock(const int *signals, int count) {
  sigset_t mask;
  sigemptyset(&mask);
  for (int i = 0; i < count; i++) sigaddset(&mask, signals[i]);
  sigprocmask(SIG_UNBLOCK, &mask, NULL);
}

// ---- terminals ----------------------------------------------------------------

int otter_terminal_size(int fd, int *columns, int *rows) {
  struct winsize ws;
  if (ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0) return 0;
  *columns = ws.ws_col;
  *rows = ws.ws_row;
  return 1;
}
