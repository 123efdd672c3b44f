// chatd's TLS families on /metrics: handshakes completed and failed by kind, per TLS
// listener; reloads of the certificate; when the certificate presented now expires.
// Read from the counters the sessions and the reload write (Server/ChatTLS.swift);
// nothing here writes, and nothing secret is read (the certificate's end date is
// public, the key is never in reach).
import Control
import TLS

extension ChatTLS {
  /// The TLS families, as they stand now.
  var metricFamilies: [MetricFamily] {
    let listeners = Listener.allCases
    return [
      MetricFamily(
        "chatd_tls_handshakes_total", .counter, help: "TLS handshakes completed, by listener (irc: --tls, web: --web-tls).",
        samples: listeners.map { MetricSample(counters($0).handshakes, labels: [("listener", $0.rawValue)]) }),
      MetricFamily(
        "chatd_tls_handshake_failures_total", .counter,
        help: "TLS handshakes that did not complete, by listener and reason (not_tls: not a TLS client; protocol_version: "
          + "below TLS 1.2; no_shared_cipher; peer_alert: the client refused, e.g. the certificate; closed_early, reset: "
          + "the connection ended first; timeout: past --tls-handshake-timeout; abandoned: chatd closed it first; other).",
        samples: listeners.flatMap { listener in
          counters(listener).failuresByKind.map { kind, count in
            MetricSample(count, labels: [("listener", listener.rawValue), ("reason", kind.rawValue)])
          }
        }),
      MetricFamily(
        "chatd_tls_reloads_total", .counter,
        help: "Reloads of the TLS certificate and key (SIGHUP), by result (failed: the files were refused and the old ones kept).",
        samples: [
          MetricSample(reloads.load(ordering: .relaxed), labels: [("result", "ok")]),
          MetricSample(failedReloads.load(ordering: .relaxed), labels: [("result", "failed")]),
        ]),
      MetricFamily(
        "chatd_tls_certificate_expiry_timestamp_seconds", .gauge,
        help: "When the TLS certificate presented now stops being valid, in seconds since 1970.",
        value: certificate?.notAfter ?? 0),
    ]
  }
}
