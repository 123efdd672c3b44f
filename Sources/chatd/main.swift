// chatd: the Otter chat daemon (being built: issue 7).
import ChatApp

print("chatd \(ChatApp.version): not implemented yet")
