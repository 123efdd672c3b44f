// `chatbench --help` and `chatbench chaos --help`: every flag.

enum Help {
  static let text = """
    usage: chatbench [S1 S2 S3 S4] [options]
           chatbench chaos [options]      (kills chatd's processes under load; see
                                           chatbench chaos --help)

    IRC load benchmark on Otter: one node, one process per simulated client, the same
    scenarios, messages and figures as ircload.c, against one server or a network of
    linked servers. Traffic goes only to 127.0.0.0/8.

    Scenarios (default: all four):
      S1   \(Scenario.s1.summary)
      S2   \(Scenario.s2.summary)
      S3   \(Scenario.s3.summary)
      S4   \(Scenario.s4.summary)

    Target (default: --servers chatd,ngircd,inspircd):
      --servers LIST       start each server or network of LIST here in turn (for each
                           scenario: every one of them, then the next scenario), on free
                           loopback ports with bench configs in a temporary directory;
                           one not installed (or chatd not built next to chatbench), or
                           that does not start, is skipped with the reason. Servers:
                             chatd, ngircd, inspircd   one server
                             floor         chatbench-floor, built next to chatbench:
                                           the least a server can do for these clients
                                           (one epoll loop in C that relays each turn's
                                           copies with one send per client): a yardstick
                                           for CPU per delivery, what the sends alone cost
                           Networks of two linked servers, clients spread over both:
                             chatd-net     a redis-server (free port, its own directory,
                                           --save '' --appendonly yes) and two chatd:
                                           the flags of a single chatd (below) plus
                                           --cluster redis://127.0.0.1:R --node a|b
                                           --cluster-listen 127.0.0.1:0 --control-socket
                                           DIR/data/control.sock, each with
                                           OTTER_SCHEDULERS = cores / 2 (the nodes share
                                           the machine); Redis's CPU and RSS count in
                                           the network's
                             inspircd-net  two InspIRCd linked with m_spanningtree
                                           (b accepts, a autoconnects every second)
                             ngircd-net    two ngIRCd linked with [Server] blocks (b
                                           waits, a connects); MaxConnections = the
                                           open-file limit, so ngIRCd allocates its
                                           connection table at start (growing it later
                                           breaks its compressed link: "Compression
                                           error: code -2", a netsplit), which adds its
                                           size to the RSS
                           each server with the single server's limits. A network is ready
                           when a client of server 2 sees (ISON) a client registered on
                           server 1, 30 s at most. The table shows the first single
                           server's figures divided by each other single server's, and the
                           first network's divided by each other network's and by its own
                           kind of single server (chatd-net/chatd), with a "network goal"
                           column: 0 lost, S3 p99 ≤ 100 ms, server CPU per delivery
                           ≤ 1.3× the single server's and below each other network's
      --chatd PATH         the chatd executable (default: chatd next to chatbench); started
                           as `chatd --host 127.0.0.1 --port N --data-dir DIR --web-port W
                           --metrics-listen off --no-flood-limit`, W a free port for
                           websocket runs, else 0
      --chatd-args "ARGS"  more arguments for that chatd, split at spaces (e.g.
                           "--send-window 50")
      --server HOST:PORT   a server already running (HOST must be 127.x.y.z)
      --servers-addrs LIST the servers of one network already running, HOST:PORT,HOST:PORT
                           [,...] (IRC only); checked linked as above, then client i of a
                           run joins room i % rooms and connects to server k % N, k = i div
                           rooms: each room has members on every server (with one room:
                           server i % N), so a message's sender and receivers sit on
                           different servers as often as not
      --server-pid PID     its process: CPU time and RSS read from /proc/PID
      --server-pids LIST   its processes, P1,P2,... (a network's cost is all of them,
                           helpers such as Redis included): CPU time and RSS summed
      --server-name NAME   its name in the output (default: server, or network)

    Transport (default: irc):
      --transport T        irc; websocket: IRC over WebSocket (IRCv3: HTTP/1.1 upgrade
                           on ws://HOST:PORT/ws with subprotocol text.ircv3.net, one IRC
                           line per masked text frame); only chatd has a WebSocket
                           listener (others are skipped); or tls: IRC over TLS (TLS 1.2+,
                           the client checks no certificate); a managed server gets a TLS
                           listener on a free port with a self-signed certificate the
                           openssl tool makes once per run (chatd: --tls --tls-cert
                           --tls-key; ngIRCd: an [SSL] section, GnuTLS; InspIRCd:
                           m_ssl_gnutls and an sslprofile; otherwise their own TLS
                           defaults); single servers only. With --server, PORT is the
                           web or the TLS port
      --transports LIST    several, e.g. irc,tls: each scenario runs once per transport
                           on a fresh server; the table adds a column "SERVER tls" (or
                           "ws") and the ratio "SERVER tls/irc". S4 over tls gives the
                           memory per idle TLS connection; every scenario's "connect +
                           register" rate then includes the handshake
      --tls                the same as adding tls to --transports
      --tls-key-type K     the bench certificate's key: ec (P-256, the default: certbot's)
                           or rsa (2048 bits; a full handshake costs much more)

    Chat scenarios S1–S3 (each flag overrides every selected chat scenario):
      --clients N          clients; client i joins room i % rooms
      --rooms N            rooms (#r0, #r1, ...)
      --senders N          the first N joined clients send, in turn
      --rate MSGS          messages per second, all senders together
      --duration SECONDS   seconds of sending
      --size BYTES         text bytes per message (after the colon), 0–2048 (default 100)
      --join-inflight N    JOINs waiting for their 366 at once (default 50)
      --settle SECONDS     pause after joining (default 2; S4: after each step, default 3)
      --drain-idle SECONDS the drain ends this long after the last copy arrived (default 3)
      --drain-max SECONDS  ... or this long after sending stopped (default 30)
      --room-prefix P      room names are P0, P1, ... (default #r)
      --allow-partial      go on when not every client registered (default: abort the run)

    Idle scenario S4:
      --steps LIST         connections after each step (default 1000,5000,10000,15000,19000);
                           a last step at --max-conns is added
      --max-conns N        at most this many connections (default 100000: in practice the
                           first failure, or this process's open-file limit, ends it)
      --hold SECONDS       keep the connections open this long at the end (default 3)

    Connecting (all scenarios):
      --conn-inflight N    connections in connect + register at once (default: 8 for
                           ngircd, 500 for chatd and inspircd, 200 with --server)
      --conn-rate N        new connections per second at most (default: no limit)
      --reg-timeout S      a client without 001 this long after connect() fails
                           (default 60; S4: 20)
      --prefix NICK        nick prefix: clients are NICK0, NICK1, ... (default b)
      --src ADDRS          loopback source addresses, e.g. 127.0.0.2-127.0.0.9

    Run and output:
      --schedulers N       scheduler threads of chatbench's node (default 1, like ircload)
      --max-time SECONDS   hard deadline of each run (one scenario on one server); past
                           it chatbench stops the servers it started and exits 3 (default 900)
      --json               one JSON object per line: {"bench":"S3.p99_ms","value":...,
                           "unit":"ms","scenario":"S3","server":"ngircd",...}; the first
                           single server's objects carry "peers" and "ratios"; a network's
                           carry "servers" (2) and "ok" where a network goal applies; each
                           of the first network's objects is followed by one per network
                           or single server it is compared with: the same fields plus
                           "peer", "peer_value", "ratio" (and "goal", "ok" for server CPU
                           per delivery: ≤ 1.3 against the single server, < 1 against a
                           network)
      -v, --verbose        log the 4xx/5xx replies clients get
      --list-servers       which managed servers can run here, and exit
      --serve NAME         only start server NAME as --servers would, print
                           "PORT <port> PID <pid>" (a network: "ADDRS <host:port,...>
                           PIDS <pid,...>", the values of --servers-addrs and
                           --server-pids), keep it until stdin closes (or --max-time),
                           then stop it (for comparison scripts)
      -h, --help           this text

    Figures (as ircload): deliveries/s = copies received over send + drain; latency from
    the sender's write to the receiver's read (CLOCK_MONOTONIC µs in the message);
    lost = expected copies (room members − 1 per message) − received, message by message;
    duplicates = copies a member received again (not counted as received); server CPU per
    delivery = server CPU (all its processes) over send + drain / copies received; S4:
    (server RSS − RSS with no connections) / connections. Progress goes to stderr, results
    to stdout.
    Exit codes: 0 done, 1 a run failed or aborted, 2 bad flags, 3 --max-time reached.
    """

  static let chaos = """
    usage: chatbench chaos [options]

    A chatd under load while its processes are killed, then a verdict. Clients (one
    Otter process each) join their channels with echo-message and send `chaos <seq>`
    at a fixed total rate; a message counts as acknowledged when its echo comes back.
    Meanwhile, every interval, a random process of a random kind is killed through
    chatd's control endpoint (the observer's Unix socket); a client whose connection
    is killed reconnects as a new session with a new nick. Then the kills stop, every
    client comes back, the messages drain, each channel is asked NAMES, every session
    sends one last message to each of its channels, and everyone quits. Traffic goes
    only to 127.0.0.0/8; the control socket is a local file.

    Server (default: start the chatd next to chatbench, i.e. .build/release/chatd):
      --chatd PATH         the chatd executable; started as for the scenarios
                           (--port N --data-dir DIR --web-port 0 --metrics-listen off
                           --no-flood-limit)
      --chatd-args "ARGS"  more arguments for that chatd, split at spaces
      --server HOST:PORT   a chatd already running (HOST must be 127.x.y.z) ...
      --server-pid PID     ... and its process (required with --server): its control
                           socket is found from the discovery pointers
                           ($OTTER_RUNTIME_DIR or /tmp/otter-UID), its descriptors
                           and threads read from /proc/PID
      --control PATH       the control socket, if not found that way

    Load:
      --duration SECONDS   seconds of load and kills (default 30)
      --clients N          clients (default 40)
      --channels K         channels #chaos0... (default 8)
      --joins J            channels per client: client i joins J from i % K on (default 2)
      --rate MSGS          messages per second, all clients together (default 100)
      --prefix NICK        nick prefix: sessions are NICK<client>_<reconnection> (default k)

    Kills (each interval, one kind at random, one of its processes at random):
      --kill KINDS         a comma list of nodes of chatd's tree, each the path of
                           its ids from the root (rooms/room-supervisor), and
                           connection+room (default rooms/room-supervisor,rooms,
                           presence,history,connections,connection+room; sweeper, irc,
                           web... also work, not control). A supervisor's kind kills one
                           of its children (rooms/room-supervisor: a room; rooms: the
                           room supervisor or its restorer; connections: a connection),
                           a worker's kills it; connection+room kills a
                           client's connection and the room of one of its channels in
                           one write to the endpoint, in either order (they die within
                           microseconds: what a kill every interval almost never does);
                           counted as room+connection when the room's kill went first
      --kill-every MS      milliseconds between kills (default 100). Kills stay within
                           half of each supervisor's restart budget (chatd's root: 10
                           in 5 s, so history and presence together at most 5 in 5 s);
                           a tick with no kind in budget is skipped and counted
      --ignore-budget      kill past the budgets: a supervisor gives up and its parent
                           restarts it (or chatd stops) — to see what clients get then
      --seed N             the seed of every random choice (default: drawn, printed)
                           (--kill none: no kills, for a run of reloads)

    Workers and reloads (a master, `chatd --workers N`):
      --workers N          start chatd as a master of N workers (kills default to none:
                           the kinds are nodes of one chatd's tree)
      --reload-every S     every S seconds of the load, a rolling reload through the
                           master's control socket (every worker replaced, one at a
                           time, its sessions handed over)
      --connect-rate R     R new connections a second beside the load (connect,
                           register, quit), each refusal, reset or missing welcome
                           counted

    Checks (each a row of the table; exit status 1 if any fails):
      acked                some messages were acknowledged at all
      lost                 a member is owed every acknowledged message of its channel
                           written after its own JOIN came back and acknowledged before
                           it was killed (0.5 s before) or left: each must arrive
      duplicated           a second copy of a message (or of its echo) at one session
      reordered            a first copy after a later message of the same sender there
      quits                everyone sharing a channel with a killed connection (and
                           still connected 2 s later) sees it QUIT (or PART/KICK)
      disconnects          nobody is disconnected without a kill of its connection,
                           and every session registers
      refusals             no 4xx/5xx naming a channel the session joined (403...)
      names                each channel's NAMES lists exactly its connected members
      unanswered           every message of a session still connected is acknowledged
      reloads              every reload replaced every worker (--reload-every)
      arrivals             no new connection refused, reset or left unwelcomed
                           (--connect-rate)
      descriptors, threads chatd's /proc/PID/fd and /proc/PID/task counts, once every
                           client has left, back to what they were before the load:
                           the fewest seen over --baseline-wait seconds before (default
                           6: chatd's idle thread pool shrinks ~5 s after it starts),
                           waiting up to --resource-wait seconds after (default 10);
                           --thread-slack N tolerates N more threads

    Run and output:
      --schedulers N       scheduler threads of chatbench's node (default 1)
      --max-time SECONDS   hard deadline (default: duration, both waits and 180 s);
                           past it chatbench stops the chatd it started and exits 3
      --json               one JSON object per line: {"bench":"chaos.lost","value":0,
                           "unit":"copies","goal":"0","ok":true,...}, then
                           {"bench":"chaos.checks_failed","failed":[...],"seed":"..."}
      -v, --verbose        log every kill and every refusal
      -h, --help           this text
    Progress and examples of each problem found go to stderr, the table to stdout.
    """
}
