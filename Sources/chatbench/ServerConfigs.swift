// The bench configurations of the peer servers, embedded (the repository does not
// depend on files outside it at run time). They are the configs the peers were measured
// with (IRC-ANCHORS.md): loopback only, no per-IP limits, no DNS or ident lookups, no
// flood throttles that 1 msg/s per client could trigger. A server of a linked pair gets
// the very same text plus its link: its own server name, and how it reaches its peer.

/// How one ngIRCd of a linked pair knows its peer (a `[Server]` block). ngIRCd links on
/// its client ports; the side with `peerPort` connects, the other waits.
struct NgircdLink: Equatable {
  /// This server's name (the peer's `[Server] Name`).
  var name: String
  var peerName: String
  /// The peer's port, on the side that connects; nil on the side that waits.
  var peerPort: Int?
  /// The password this server sends, and the one it expects from its peer.
  var myPassword: String
  var peerPassword: String
  /// `MaxConnections`: the open-file limit, so ngIRCd allocates its whole connection
  /// table at start. Growing it later (past 100 connections) moves the link's zlib stream,
  /// which zlib then refuses ("Compression error: code -2"): the link splits.
  var connectionTable: Int
}

/// How one InspIRCd of a linked pair knows its peer (m_spanningtree).
struct InspircdLink: Equatable {
  /// This server's name and its 3-character server id.
  var name: String
  var id: String
  /// Where it listens for servers (`<bind type="servers">`).
  var serverPort: Int
  var peerName: String
  var peerServerPort: Int
  /// Whether this side connects (`<autoconnect>`); the other accepts.
  var connects: Bool
  /// Sent by this server, expected from the peer.
  var sendPassword: String
  var receivePassword: String
}

/// A peer's IRC over TLS listener: its port, and the certificate and key it presents
/// (the bench's: BenchCertificate.swift).
struct ServerTLS: Equatable {
  var port: Int
  var certificateFile: String
  var keyFile: String
}

enum ServerConfigs {
  /// ngIRCd 26. Changed from Debian's defaults: `MaxConnectionsIP = 0` (default 5),
  /// `MaxConnections = 0` (stated), `DNS`, `Ident`, `PAM` off. ngIRCd has no switch for
  /// its built-in per-client command throttle; the senders stay at ≤ 1 msg/s. Linked:
  /// `ConnectRetry = 5` (its least; default 60) so a refused first try costs seconds, and
  /// `MaxConnections` the open-file limit (no lower a limit than 0 in effect; see
  /// `NgircdLink.connectionTable`). With `tls`, an `[SSL]` section: its port, certificate
  /// and key, and otherwise ngIRCd's own defaults (GnuTLS, `CipherList` SECURE128).
  static func ngircd(port: Int, runDirectory: String, link: NgircdLink? = nil, tls: ServerTLS? = nil) -> String {
    var text = """
      # ngIRCd benchmark config written by chatbench (loopback only).
      [Global]
          Name = \(link?.name ?? "bench.ngircd.local")
          Info = ngircd benchmark
          Listen = 127.0.0.1
          Ports = \(port)
          MotdPhrase = "bench"
          PidFile = \(runDirectory)/ngircd.pid
      [Limits]
          MaxConnections = \(link?.connectionTable ?? 0)
          MaxConnectionsIP = 0
          MaxJoins = 10
          PingTimeout = 120
          PongTimeout = 20

      """
    if link != nil { text += "    ConnectRetry = 5\n" }
    text += """
      [Options]
          DNS = no
          Ident = no
          PAM = no
          MorePrivacy = no
          ConnectIPv6 = no

      """
    if let tls {
      text += """
        [SSL]
            CertFile = \(tls.certificateFile)
            KeyFile = \(tls.keyFile)
            Ports = \(tls.port)

        """
    }
    if let link {
      text += """
        [Server]
            Name = \(link.peerName)
            Host = 127.0.0.1

        """
      if let p = link.peerPort { text += "    Port = \(p)\n" }
      text += """
            MyPassword = \(link.myPassword)
            PeerPassword = \(link.peerPassword)
            Group = 1

        """
    }
    return text
  }

  /// InspIRCd 3, core modules only (linked: and m_spanningtree). Changed from its
  /// defaults: connect-class limits 1,000,000 (defaults 3 / 3 / 5000), threshold and
  /// commandrate very high with `fakelag="no"`, send queues of 1 MiB, no host or ident
  /// lookups, a DNS server on loopback so no query leaves the machine, `softlimit`
  /// 1,000,000 (capped by RLIMIT_NOFILE), `somaxconn` 4096. Linked: the connecting side
  /// retries every second. With `tls`, m_ssl_gnutls (Debian builds no m_ssl_openssl) and a
  /// client listener with an `sslprofile` of the certificate and key, otherwise at
  /// InspIRCd's defaults (priority NORMAL; it asks clients for a certificate, as chatd
  /// does); no DH parameters file (the bench's key exchanges are ECDHE).
  static func inspircd(port: Int, runDirectory: String, link: InspircdLink? = nil, tls: ServerTLS? = nil) -> String {
    let server =
      link.map { #"<server name="\#($0.name)" description="inspircd benchmark" id="\#($0.id)" network="bench">"# }
      ?? #"<server name="bench.inspircd.local" description="inspircd benchmark" id="0BE" network="bench">"#
    var text = """
      # InspIRCd benchmark config written by chatbench (loopback only, core modules only).
      \(server)
      <admin name="bench" nick="bench" email="bench@localhost">
      <bind address="127.0.0.1" port="\(port)" type="clients">
      <connect name="main" allow="*"
          limit="1000000" localmax="1000000" globalmax="1000000" maxconnwarn="no"
          threshold="1000000" commandrate="100000000" fakelag="no"
          hardsendq="1048576" softsendq="1048576" recvq="8192"
          timeout="60" pingfreq="120" maxchans="20"
          resolvehostnames="no" useident="no">
      <performance softlimit="1000000" somaxconn="4096" clonesonconnect="no" nouserdns="yes" quietbursts="yes">
      <log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="\(runDirectory)/inspircd.log">
      <dns server="127.0.0.1" timeout="1">
      <pid file="\(runDirectory)/inspircd.pid">

      """
    if let tls {
      text += """
        <module name="ssl_gnutls">
        <sslprofile name="bench" provider="gnutls" certfile="\(tls.certificateFile)" keyfile="\(tls.keyFile)" dhfile="" hash="sha256">
        <bind address="127.0.0.1" port="\(tls.port)" type="clients" sslprofile="bench">

        """
    }
    if let link {
      text += """
        <module name="spanningtree">
        <bind address="127.0.0.1" port="\(link.serverPort)" type="servers">
        <link name="\(link.peerName)" ipaddr="127.0.0.1" port="\(link.peerServerPort)"
            sendpass="\(link.sendPassword)" recvpass="\(link.receivePassword)" timeout="30">

        """
      if link.connects { text += "<autoconnect period=\"1\" server=\"\(link.peerName)\">\n" }
    }
    return text
  }
}
