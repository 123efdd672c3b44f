// A plain C epoll echo server and ping-pong client: the physical limit that otter-bench's
// `echo` benchmark compares Otter with. One thread, level-triggered epoll, no framing,
// no allocation per message. Built by otter-bench at run time (cc -O2).
//
//   echo server            listens on 127.0.0.1, prints "PORT <n>", echoes until stdin closes
//   echo client PORT N WARMUP_MS MEASURE_MS
//                          N connections, each sends 64 bytes and waits for them back;
//                          prints "RESULT rtt_per_s=<x> p50_us=<y> p99_us=<z>"
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MSG 64

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what) {
  perror(what);
  exit(1);
}

static void raise_nofile(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

static int server(void) {
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (lfd < 0) die("socket");
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(lfd, 4096) != 0) die("listen");
  socklen_t al = sizeof a;
  getsockname(lfd, (struct sockaddr *)&a, &al);
  printf("PORT %d\n", ntohs(a.sin_port));
  fflush(stdout);

  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = lfd};
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  ev.data.fd = 0;  // stdin: closing it stops the server
  epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev);
  struct epoll_event events[256];
  char buf[65536];
  for (;;) {
    int n = epoll_wait(ep, events, 256, -1);
    if (n < 0 && errno == EINTR) continue;
    for (int i = 0; i < n; i++) {
      int fd = events[i].data.fd;
      if (fd == 0) return 0;
      if (fd == lfd) {
        for (;;) {
          int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (c < 0) break;
          setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          struct epoll_event ce = {.events = EPOLLIN, .data.fd = c};
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
        }
        continue;
      }
      ssize_t r = read(fd, buf, sizeof buf);
      if (r <= 0) {
        if (r < 0 && errno == EAGAIN) continue;
        close(fd);
        continue;
      }
      // An echo of at most a few hundred bytes fits the socket buffer: a short write
      // would only happen with a client that does not read, which ours always does.
      ssize_t w = 0;
      while (w < r) {
        ssize_t k = write(fd, buf + w, (size_t)(r - w));
        if (k < 0) {
          if (errno == EAGAIN) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            poll(&p, 1, 1000);
            continue;
          }
          break;
        }
        w += k;
      }
    }
  }
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

static int client(int port, int n, int warmup_ms, int measure_ms) {
  int ep = epoll_create1(EPOLL_CLOEXEC);
  int *fds = calloc((size_t)n, sizeof(int));
  int *got = calloc((size_t)n, sizeof(int));
  uint64_t *sent_at = calloc((size_t)n, sizeof(uint64_t));
  size_t cap = 1 << 20, count = 0;
  uint32_t *samples = malloc(cap * sizeof(uint32_t));
  char msg[MSG];
  memset(msg, 'x', sizeof msg);
  int one = 1;
  for (int i = 0; i < n; i++) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) die("connect");
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    fds[i] = fd;
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  }
  uint64_t start = now_ns();
  uint64_t measure_from = start + (uint64_t)warmup_ms * 1000000ull;
  uint64_t measure_to = measure_from + (uint64_t)measure_ms * 1000000ull;
  uint64_t done = 0;
  for (int i = 0; i < n; i++) {
    sent_at[i] = now_ns();
    if (write(fds[i], msg, MSG) != MSG) die("write");
  }
  struct epoll_event events[256];
  char buf[4096];
  for (;;) {
    int k = epoll_wait(ep, events, 256, 100);
    uint64_t t = now_ns();
    if (t >= measure_to) break;
    for (int e = 0; e < k; e++) {
      int i = (int)events[e].data.u32;
      ssize_t r = read(fds[i], buf, sizeof buf);
      if (r <= 0) continue;
      got[i] += (int)r;
      if (got[i] < MSG) continue;
      got[i] = 0;
      if (sent_at[i] >= measure_from && t < measure_to) {
        done++;
        if (count == cap) {
          cap *= 2;
          samples = realloc(samples, cap * sizeof(uint32_t));
        }
        samples[count++] = (uint32_t)((t - sent_at[i]) / 1000);
      }
      sent_at[i] = now_ns();
      if (write(fds[i], msg, MSG) != MSG) die("write");
    }
  }
  qsort(samples, count, sizeof(uint32_t), cmp_u32);
  double secs = (double)measure_ms / 1000.0;
  printf("RESULT rtt_per_s=%.0f p50_us=%u p99_us=%u\n", (double)done / secs,
         count ? samples[count / 2] : 0, count ? samples[(size_t)((double)count * 0.99)] : 0);
  return 0;
}

int main(int argc, char **argv) {
  raise_nofile();
  if (argc >= 2 && strcmp(argv[1], "server") == 0) return server();
  if (argc >= 6 && strcmp(argv[1], "client") == 0)
    return client(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
  fprintf(stderr, "usage: echo server | echo client PORT N WARMUP_MS MEASURE_MS\n");
  return 2;
}
