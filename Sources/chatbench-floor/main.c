// chatbench-floor: the least a chat server can do for chatbench's scenarios, as a yardstick.
//
// One thread, one epoll loop, level-triggered. Each turn it reads every ready client,
// acts on each complete line, then writes each client that has output once — so copies to
// one client that the same turn produced go out in one send(2), as an event-loop server
// (InspIRCd) does, and nothing waits for a later turn: no speed is bought with latency.
// It knows only what chatbench sends: NICK and USER (answered with 001), JOIN of one or
// more channels (366), PRIVMSG to a channel (a copy to every other member, prefixed with
// the sender's nick!user@host), PING (PONG) and QUIT. No parsing beyond that, no modes,
// no flood control, no history, no nick uniqueness, no timers: everything a real server
// does on top of this costs more. chatbench runs it as the server `floor`
// (`--servers chatd,inspircd,floor`), so a run shows each server's CPU per delivery and
// memory beside what the kernel's sends alone cost under the same clients.
//
// Memory: a client holds its state (288 B), its rooms and, while it has output, its
// output buffer; input goes through one shared buffer.
//
// Owner of all state: the loop (one thread). Usage: chatbench-floor [--host H] --port P
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

enum { INPUT_MAX = 4096, SENDQ_MAX = 1 << 20, ROOMS_MAX = 1 << 16, NAME_MAX = 64 };

struct client {
  int fd, open, registered, dirty, wantsOut;
  char prefix[2 * NAME_MAX + 16];  // ":nick!user@floor "
  int prefixLength;
  char nick[NAME_MAX];
  char *input;  // the start of a line a read cut off (malloc'd while there is one)
  int inputLength;
  char *out;
  size_t outLength, outCapacity;
  int *rooms;
  int roomCount;
};

struct room {
  char name[NAME_MAX];
  int *members;
  int count, capacity;
};

static struct client **clients;  // by descriptor
static int clientSlots;
static struct room *rooms;
static int roomCount;
static int *dirty;
static int dirtyCount;
static int ep;

static void fail(const char *what) {
  fprintf(stderr, "chatbench-floor: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void *grow(void *p, size_t bytes) {
  void *q = realloc(p, bytes);
  if (!q) fail("out of memory");
  return q;
}

static void append(struct client *c, const char *bytes, size_t n) {
  if (!c->open) return;
  if (c->outLength + n > SENDQ_MAX) {  // a reader that does not read: dropped, as servers do
    c->open = 0;
    n = 0;  // and dropped at the end of the turn, with the written clients
  }
  if (c->outLength + n > c->outCapacity) {
    c->outCapacity = (c->outLength + n) * 2;
    c->out = grow(c->out, c->outCapacity);
  }
  if (n > 0) memcpy(c->out + c->outLength, bytes, n);
  c->outLength += n;
  if (!c->dirty) {
    c->dirty = 1;
    dirty[dirtyCount++] = c->fd;
  }
}

static void reply(struct client *c, const char *format, const char *a, const char *b) {
  char line[512];
  int n = snprintf(line, sizeof line, format, a, b);
  if (n > 0) append(c, line, n < (int)sizeof line ? (size_t)n : sizeof line - 1);
}

static int findRoom(const char *name, int create) {
  for (int i = 0; i < roomCount; i++)
    if (strcmp(rooms[i].name, name) == 0) return i;
  if (!create || roomCount == ROOMS_MAX) return -1;
  struct room *r = &rooms[roomCount];
  memset(r, 0, sizeof *r);
  snprintf(r->name, sizeof r->name, "%s", name);
  return roomCount++;
}

static void join(struct client *c, char *names) {
  for (char *save = NULL, *name = strtok_r(names, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
    if (name[0] != '#' || strlen(name) >= NAME_MAX) continue;
    int index = findRoom(name, 1);
    if (index < 0) continue;
    struct room *r = &rooms[index];
    int member = 0;
    for (int i = 0; i < c->roomCount; i++) member |= c->rooms[i] == index;
    if (!member) {
      if (r->count == r->capacity) {
        r->capacity = r->capacity ? r->capacity * 2 : 16;
        r->members = grow(r->members, sizeof(int) * r->capacity);
      }
      r->members[r->count++] = c->fd;
      c->rooms = grow(c->rooms, sizeof(int) * (c->roomCount + 1));
      c->rooms[c->roomCount++] = index;
    }
    reply(c, ":floor 366 %s %s :End of /NAMES list.\r\n", c->nick, name);
  }
}

static void privmsg(struct client *c, char *arguments) {
  char *space = strchr(arguments, ' ');
  if (!space || arguments[0] != '#') return;
  *space = 0;
  char *text = space + 1;
  int index = findRoom(arguments, 0);
  if (index < 0) return;
  // ":nick!user@floor PRIVMSG #room " + text, built once, copied to every member.
  char line[INPUT_MAX + 256];
  size_t n = (size_t)c->prefixLength;
  memcpy(line, c->prefix, n);
  n += (size_t)snprintf(line + n, sizeof line - n, "PRIVMSG %s ", arguments);
  size_t t = strlen(text);
  if (n + t + 2 > sizeof line) return;
  memcpy(line + n, text, t);
  n += t;
  line[n++] = '\r';
  line[n++] = '\n';
  struct room *r = &rooms[index];
  for (int i = 0; i < r->count; i++)
    if (r->members[i] != c->fd) append(clients[r->members[i]], line, n);
}

static void command(struct client *c, char *line) {
  char *arguments = strchr(line, ' ');
  if (arguments) *arguments++ = 0;
  else arguments = line + strlen(line);
  if (strcmp(line, "PRIVMSG") == 0 && c->registered) {
    privmsg(c, arguments);
  } else if (strcmp(line, "PING") == 0) {
    reply(c, ":floor PONG floor %s\r\n", arguments, "");
  } else if (strcmp(line, "NICK") == 0) {
    if (arguments[0] == ':') arguments++;
    snprintf(c->nick, sizeof c->nick, "%s", arguments);
  } else if (strcmp(line, "USER") == 0 && !c->registered && c->nick[0]) {
    char *end = strchr(arguments, ' ');
    if (end) *end = 0;
    c->prefixLength = snprintf(c->prefix, sizeof c->prefix, ":%s!%.*s@floor ", c->nick, NAME_MAX, arguments);
    c->registered = 1;
    reply(c, ":floor 001 %s :Welcome, %s\r\n", c->nick, c->nick);
  } else if (strcmp(line, "JOIN") == 0 && c->registered) {
    char *end = strchr(arguments, ' ');
    if (end) *end = 0;
    join(c, arguments);
  } else if (strcmp(line, "QUIT") == 0) {
    c->open = 0;
  }
}

static void drop(struct client *c) {
  for (int i = 0; i < c->roomCount; i++) {
    struct room *r = &rooms[c->rooms[i]];
    for (int k = 0; k < r->count; k++)
      if (r->members[k] == c->fd) {
        r->members[k] = r->members[--r->count];
        break;
      }
  }
  close(c->fd);
  clients[c->fd] = NULL;
  free(c->rooms);
  free(c->out);
  free(c->input);
  free(c);
}

// Reads into one buffer shared by all clients (a client keeps only the start of a line
// a read cut off), so an idle client holds no input buffer.
static void readable(struct client *c) {
  static char buffer[INPUT_MAX + 65536];
  for (int reads = 0; reads < 16 && c->open; reads++) {
    int length = c->inputLength;
    if (length > 0) memcpy(buffer, c->input, length);
    size_t space = sizeof buffer - length;
    ssize_t got = read(c->fd, buffer + length, space);
    if (got < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (got <= 0) {
      c->open = 0;
      return;
    }
    length += (int)got;
    int start = 0;
    for (int i = 0; i < length; i++) {
      if (buffer[i] != '\n') continue;
      if (i - start >= INPUT_MAX) {  // a line longer than any IRC line
        c->open = 0;
        c->inputLength = 0;
        return;
      }
      int end = i > start && buffer[i - 1] == '\r' ? i - 1 : i;
      buffer[end] = 0;
      command(c, buffer + start);
      start = i + 1;
    }
    c->inputLength = length - start;
    if (c->inputLength >= INPUT_MAX) {  // a line longer than any IRC line
      c->open = 0;
      return;
    }
    if (c->inputLength > 0) {
      c->input = grow(c->input, c->inputLength);
      memcpy(c->input, buffer + start, c->inputLength);
    } else {
      free(c->input);
      c->input = NULL;
    }
    if ((size_t)got < space) return;  // drained; else there may be more
  }
}

static void flush(struct client *c) {
  c->dirty = 0;
  if (!c->open) return;
  size_t sent = 0;
  while (sent < c->outLength) {
    ssize_t n = send(c->fd, c->out + sent, c->outLength - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n <= 0) {
      c->open = 0;
      return;
    }
    sent += (size_t)n;
  }
  memmove(c->out, c->out + sent, c->outLength - sent);
  c->outLength -= sent;
  int wantsOut = c->outLength > 0;
  if (wantsOut != c->wantsOut) {
    struct epoll_event ev = {.events = EPOLLIN | (wantsOut ? EPOLLOUT : 0), .data.fd = c->fd};
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
    c->wantsOut = wantsOut;
  }
  if (!wantsOut && c->outCapacity > 4096) {  // give back what a burst grew
    free(c->out);
    c->out = NULL;
    c->outCapacity = 0;
  }
}

static void accepted(int fd) {
  if (fd >= clientSlots) {
    close(fd);
    return;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  struct client *c = calloc(1, sizeof *c);
  if (!c) fail("out of memory");
  c->fd = fd;
  c->open = 1;
  clients[fd] = c;
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) fail("epoll_ctl");
}

int main(int argc, char **argv) {
  const char *host = "127.0.0.1";
  long port = -1;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--help") == 0) {
      printf("usage: chatbench-floor [--host ADDRESS] --port PORT\n"
             "The least a chat server can do for chatbench's clients (see the top of main.c).\n");
      return 0;
    } else if (strcmp(argv[i], "--host") == 0 && i + 1 < argc) {
      host = argv[++i];
    } else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
      char *end;
      port = strtol(argv[++i], &end, 10);
      if (*end || port < 0 || port > 65535) port = -2;
    } else {
      fprintf(stderr, "chatbench-floor: unknown argument '%s' (usage: chatbench-floor [--host ADDRESS] --port PORT)\n", argv[i]);
      return 2;
    }
  }
  if (port < 0) {
    fprintf(stderr, "chatbench-floor: --port wants a port number, 0 to 65535\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  struct rlimit limit;
  getrlimit(RLIMIT_NOFILE, &limit);
  clientSlots = limit.rlim_cur > 1 << 20 ? 1 << 20 : (int)limit.rlim_cur;
  clients = calloc(clientSlots, sizeof *clients);
  dirty = calloc(clientSlots, sizeof *dirty);
  rooms = calloc(ROOMS_MAX, sizeof *rooms);
  if (!clients || !dirty || !rooms) fail("out of memory");
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (inet_pton(AF_INET, host, &address.sin_addr) != 1) {
    fprintf(stderr, "chatbench-floor: --host wants an IPv4 address, not '%s'\n", host);
    return 2;
  }
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (listener < 0 || bind(listener, (struct sockaddr *)&address, sizeof address) < 0 || listen(listener, 4096) < 0)
    fail("listen");
  ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = listener};
  if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev) < 0) fail("epoll");
  struct epoll_event events[1024];
  for (;;) {
    int n = epoll_wait(ep, events, 1024, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("epoll_wait");
    for (int i = 0; i < n; i++) {
      int fd = events[i].data.fd;
      if (fd == listener) {
        for (int k = 0; k < 64; k++) {
          int client = accept4(listener, NULL, NULL, SOCK_NONBLOCK);
          if (client < 0) break;
          accepted(client);
        }
        continue;
      }
      struct client *c = clients[fd];
      if (!c) continue;
      if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) readable(c);
      if ((events[i].events & EPOLLOUT) && !c->dirty) {
        c->dirty = 1;
        dirty[dirtyCount++] = fd;
      }
      if (!c->open && !c->dirty) drop(c);
    }
    for (int i = 0; i < dirtyCount; i++) {
      struct client *c = clients[dirty[i]];
      if (!c) continue;
      flush(c);
      if (!c->open) drop(c);
    }
    dirtyCount = 0;
  }
}
