// The chat daemon's application: listeners, connections, rooms, presence, history.

/// Version of the chat daemon, shown in RPL_YOURHOST and `chatd --version`.
public enum ChatApp {
  public static let version = "otter-chatd-0.1"
}
