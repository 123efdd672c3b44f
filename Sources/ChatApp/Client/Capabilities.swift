// IRCv3 capabilities chatd offers (CAP LS / REQ / END).

/// A set of IRCv3 capabilities.
public struct Caps: OptionSet, Sendable, Hashable {
  public let rawValue: UInt32
  public init(rawValue: UInt32) { self.rawValue = rawValue }

  public static let multiPrefix = Caps(rawValue: 1 << 0)
  public static let serverTime = Caps(rawValue: 1 << 1)
  public static let messageTags = Caps(rawValue: 1 << 2)
  public static let echoMessage = Caps(rawValue: 1 << 3)
  public static let awayNotify = Caps(rawValue: 1 << 4)
  public static let userhostInNames = Caps(rawValue: 1 << 5)
  public static let extendedJoin = Caps(rawValue: 1 << 6)
  public static let inviteNotify = Caps(rawValue: 1 << 7)
  public static let capNotify = Caps(rawValue: 1 << 8)
  public static let batch = Caps(rawValue: 1 << 9)
  public static let setname = Caps(rawValue: 1 << 10)
  public static let accountNotify = Caps(rawValue: 1 << 11)
  public static let chghost = Caps(rawValue: 1 << 12)
  /// IRCv3 `draft/chathistory`: the client asks for history (CHATHISTORY) instead of
  /// being replayed it on JOIN.
  public static let chathistory = Caps(rawValue: 1 << 13)
  /// IRCv3 `sasl`: AUTHENTICATE (chatd takes AUTHENTICATE without it too).
  public static let sasl = Caps(rawValue: 1 << 14)
  /// IRCv3 `account-tag`: messages carry their sender's account (`account=`).
  public static let accountTag = Caps(rawValue: 1 << 15)
  /// IRCv3 `draft/account-registration`: REGISTER and VERIFY.
  public static let accountRegistration = Caps(rawValue: 1 << 16)
  /// IRCv3 `draft/read-marker`: MARKREAD, shared by the connections of one account.
  public static let readMarker = Caps(rawValue: 1 << 17)
  /// soju's `soju.im/search`: SEARCH over a channel's stored messages.
  public static let search = Caps(rawValue: 1 << 18)

  /// Names as in CAP LS, in the order they are listed.
  static let all: [(name: String, cap: Caps)] = [
    ("account-notify", .accountNotify),
    ("account-tag", .accountTag),
    ("away-notify", .awayNotify),
    ("batch", .batch),
    ("cap-notify", .capNotify),
    ("chghost", .chghost),
    ("draft/account-registration", .accountRegistration),
    ("draft/chathistory", .chathistory),
    ("draft/read-marker", .readMarker),
    ("echo-message", .echoMessage),
    ("extended-join", .extendedJoin),
    ("invite-notify", .inviteNotify),
    ("message-tags", .messageTags),
    ("multi-prefix", .multiPrefix),
    ("sasl", .sasl),
    ("server-time", .serverTime),
    ("setname", .setname),
    ("soju.im/search", .search),
    ("userhost-in-names", .userhostInNames),
  ]

  static func named(_ name: String) -> Caps? { all.first { $0.name == name.lowercased() }?.cap }

  /// The tag-related part: which variant of a tagged line a client gets (one of
  /// `tagVariants`).
  var tagVariant: Int { (contains(.serverTime) ? 1 : 0) | (contains(.messageTags) ? 2 : 0) | (contains(.accountTag) ? 4 : 0) }
  /// How many variants there are.
  static var tagVariants: Int { 8 }

  /// The capabilities that select `variant` (`tagVariant`).
  static func ofVariant(_ variant: Int) -> Caps {
    var caps = Caps()
    if variant & 1 != 0 { caps.insert(.serverTime) }
    if variant & 2 != 0 { caps.insert(.messageTags) }
    if variant & 4 != 0 { caps.insert(.accountTag) }
    return caps
  }
}
