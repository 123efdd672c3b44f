// Brute force: every password attempt (SASL PLAIN, SCRAM-SHA-256, NickServ IDENTIFY,
// DROP) takes a token from two buckets, its account's and its address's (EXTERNAL is not
// counted: a certificate cannot be guessed, only shown); an attempt that finds either
// empty is refused before any password is looked at, with the time until the next
// token. A login that succeeds gives its tokens back, so only failures use them up (and
// attempts still in flight: five logins to one account at the same instant fill it):
//
//   per account: 5 failures at once, then one more every 60 s (at most 1,440 guesses a
//                day at one account, whatever the number of addresses);
//   per address: 10 failures at once, then one more every 10 s (an IPv6 client counts
//                by its /64, which one host usually holds whole).
//
// The client sees SASL's 904 (or a NickServ NOTICE) saying "too many failed logins for
// this account (or from your address); try again in N seconds". The buckets are this
// node's: in a network, each node counts its own clients' attempts, so a guesser spread
// over N nodes gets N times the rate per account (still days per password). Owner: the
// account store's process, the only one that reads or writes them.
import Glibc

/// A token bucket: `capacity` tokens, refilled at one per `refill`.
struct TokenBucket: Sendable, Equatable {
  var capacity: Double
  var refillSeconds: Double
  var tokens: Double
  /// Monotonic nanoseconds of the last refill.
  var updated: UInt64

  init(capacity: Int, refillSeconds: Double, now: UInt64) {
    self.capacity = Double(capacity)
    self.refillSeconds = refillSeconds
    tokens = Double(capacity)
    updated = now
  }

  mutating func refill(_ now: UInt64) {
    let elapsed = Double(now &- updated) / 1e9
    tokens = min(capacity, tokens + elapsed / refillSeconds)
    updated = now
  }

  /// Seconds until a token is there (0: one is).
  func wait() -> Int { tokens >= 1 ? 0 : Int(((1 - tokens) * refillSeconds).rounded(.up)) }

  var isFull: Bool { tokens >= capacity }
}

/// Failed logins per account and per address.
struct LoginThrottle: Sendable {
  /// The limits documented in the header.
  struct Limits: Sendable, Equatable {
    var accountBurst = 5
    var accountRefillSeconds = 60.0
    var addressBurst = 10
    var addressRefillSeconds = 10.0
  }

  /// Why an attempt is refused: what the client is told.
  enum Refusal: Sendable, Equatable {
    case account(seconds: Int)
    case address(seconds: Int)

    var message: String {
      switch self {
      case .account(let s): return "too many failed logins for this account; try again in \(s) seconds"
      case .address(let s): return "too many failed logins from your address; try again in \(s) seconds"
      }
    }
  }

  let limits: Limits
  private var accounts: [String: TokenBucket] = [:]
  private var addresses: [String: TokenBucket] = [:]

  init(limits: Limits = Limits()) { self.limits = limits }

  /// Takes a token for an attempt at `account` (folded) from `address`; nil if it may go
  /// ahead, else why not (and nothing is taken).
  mutating func attempt(account: String, address: String, now: UInt64) -> Refusal? {
    let origin = Self.addressKey(address)
    var a = accounts[account] ?? TokenBucket(capacity: limits.accountBurst, refillSeconds: limits.accountRefillSeconds, now: now)
    var b = addresses[origin] ?? TokenBucket(capacity: limits.addressBurst, refillSeconds: limits.addressRefillSeconds, now: now)
    a.refill(now)
    b.refill(now)
    if a.tokens < 1 { return .account(seconds: a.wait()) }
    if b.tokens < 1 { return .address(seconds: b.wait()) }
    a.tokens -= 1
    b.tokens -= 1
    accounts[account] = a
    addresses[origin] = b
    if accounts.count + addresses.count > 20_000 { prune(now) }
    return nil
  }

  /// The attempt succeeded: its tokens go back.
  mutating func succeeded(account: String, address: String) {
    if var a = accounts[account] {
      a.tokens = min(a.capacity, a.tokens + 1)
      accounts[account] = a.isFull ? nil : a
    }
    let origin = Self.addressKey(address)
    if var b = addresses[origin] {
      b.tokens = min(b.capacity, b.tokens + 1)
      addresses[origin] = b.isFull ? nil : b
    }
  }

  /// Buckets being refilled (for the store's status line).
  var tracked: Int { accounts.count + addresses.count }

  /// Drops the buckets that have refilled (they are what a new one would be).
  private mutating func prune(_ now: UInt64) {
    func waiting(_ bucket: TokenBucket) -> Bool {
      var b = bucket
      b.refill(now)
      return !b.isFull
    }
    accounts = accounts.filter { waiting($0.value) }
    addresses = addresses.filter { waiting($0.value) }
  }

  /// An address as counted: an IPv6 address by its first 64 bits.
  static func addressKey(_ host: String) -> String {
    guard host.contains(":") else { return host }
    var a = in6_addr()
    guard inet_pton(AF_INET6, host, &a) == 1 else { return host }
    let bytes = withUnsafeBytes(of: a) { Array($0.prefix(8)) }
    return bytes.map { String($0, radix: 16) }.joined(separator: ".") + "/64"
  }
}
