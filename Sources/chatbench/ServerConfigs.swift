// The bench configurations of the peer servers, embedded (the repository does not
// depend on files outside it at run time). They are the configs the peers were measured
// with (IRC-ANCHORS.md): loopback only, no per-IP limits, no DNS or ident lookups, no
// flood throttles that 1 msg/s per client could trigger.

enum ServerConfigs {
  /// ngIRCd 26. Changed from Debian's defaults: `MaxConnectionsIP = 0` (default 5),
  /// `MaxConnections = 0` (stated), `DNS`, `Ident`, `PAM` off. ngIRCd has no switch for
  /// its built-in per-client command throttle; the senders stay at ≤ 1 msg/s.
  static func ngircd(port: Int, runDirectory: String) -> String {
    """
    # ngIRCd benchmark config written by chatbench (loopback only).
    [Global]
        Name = bench.ngircd.local
        Info = ngircd benchmark
        Listen = 127.0.0.1
        Ports = \(port)
        MotdPhrase = "bench"
        PidFile = \(runDirectory)/ngircd.pid
    [Limits]
        MaxConnections = 0
        MaxConnectionsIP = 0
        MaxJoins = 10
        PingTimeout = 120
        PongTimeout = 20
    [Options]
        DNS = no
        Ident = no
        PAM = no
        MorePrivacy = no
        ConnectIPv6 = no

    """
  }

  /// InspIRCd 3, core modules only. Changed from its defaults: connect-class limits
  /// 1,000,000 (defaults 3 / 3 / 5000), threshold and commandrate very high with
  /// `fakelag="no"`, send queues of 1 MiB, no host or ident lookups, a DNS server on
  /// loopback so no query leaves the machine, `softlimit` 1,000,000 (capped by
  /// RLIMIT_NOFILE), `somaxconn` 4096.
  static func inspircd(port: Int, runDirectory: String) -> String {
    """
    # InspIRCd benchmark config written by chatbench (loopback only, core modules only).
    <server name="bench.inspircd.local" description="inspircd benchmark" id="0BE" network="bench">
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
  }
}
