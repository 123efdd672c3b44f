"""pytest plugin: how chatd's irctest selection differs from the -m expression alone.

Loaded by scripts/run-irctest.sh (``-p chatd_selection``). chatd runs irctest's
``services`` tests too (it is its own NickServ, with SASL and draft/account-registration;
the controller registers accounts with ``chatd account register``). Of irctest's
chathistory class:

- ``private_chathistory`` tests (direct messages, TARGETS with DMs) are deselected:
  chatd keeps no private-message history;
- the others ask for ``labeled-response`` with the capabilities they use and would skip
  on chatd's NAK of it; none of them sends a label, so for these tests alone it is left
  out of the CAP REQ (``LEFT_OUT``, below) and everything the tests check is checked;
- testChathistoryEventPlayback asks for draft/event-playback, which chatd does not
  offer: skipped by irctest on the NAK.

With ``CHATD_IRCTEST_TLS=1`` every server test runs over TLS: irctest itself has no
server test that sets ``ssl = True`` (and its client's ``starttls`` uses
``ssl.wrap_socket``, gone from Python 3.12), so this plugin sets it on every case (the
controller then starts chatd with only a TLS listener, on irctest's self-signed
certificate) and wraps each test client's socket in TLS as it connects. The WebSocket
tests are left out in that mode (their port stays plain).
"""

import os
import ssl

import pytest

TLS = os.environ.get("CHATD_IRCTEST_TLS") == "1"

if TLS:
    from irctest import cases, client_mock

    cases.BaseServerTestCase.ssl = True
    class _TLSSocket(ssl.SSLSocket):
        """The server's close_notify reads as end of file and fails a write as a broken
        pipe, as a plain socket's close does (irctest's client catches those, not
        ssl.SSLZeroReturnError)."""

        def recv(self, buflen=1024, flags=0):
            try:
                return super().recv(buflen, flags)
            except ssl.SSLZeroReturnError:
                return b""

        def sendall(self, data, flags=0):
            try:
                return super().sendall(data, flags)
            except ssl.SSLZeroReturnError as error:
                raise BrokenPipeError(str(error)) from error

    _context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    _context.check_hostname = False
    _context.verify_mode = ssl.CERT_NONE  # irctest's certificate is self-signed
    _context.sslsocket_class = _TLSSocket
    _connect = client_mock.ClientMock.connect

    def _connect_tls(self, hostname, port):
        _connect(self, hostname, port)
        self.conn = _context.wrap_socket(self.conn, server_hostname=hostname)
        self.ssl = True

    client_mock.ClientMock.connect = _connect_tls

CHATHISTORY_MODULE = "irctest/server_tests/chathistory.py"
CHATHISTORY_CLASS = "ChathistoryTestCase"
# Capabilities irctest's chathistory tests ask for (for Ergo) that chatd does not offer
# and that the selected tests never use.
LEFT_OUT = ("labeled-response",)


def _chathistory(item):
    return item.nodeid.startswith(CHATHISTORY_MODULE + "::" + CHATHISTORY_CLASS + "::")


# Tests that need several connections of one account to share one nick (Ergo's
# multiclient), which chatd does not offer: skipped, saying so.
MULTICLIENT = ("read_marker.py::ReadMarkerServiceTestCase::testReadMarkerPropagatedToOtherSessions",)


def pytest_collection_modifyitems(session, config, items):
    for item in items:
        if item.nodeid.endswith(MULTICLIENT):
            item.add_marker(pytest.mark.skip(reason="chatd has no multiclient: a second connection of an account gets its own nick"))
    kept = [i for i in items if not (_chathistory(i) and i.get_closest_marker("private_chathistory"))]
    if TLS:
        kept = [i for i in kept if not getattr(getattr(i, "cls", None), "websocket", False)]
    dropped = [i for i in items if i not in kept]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    case = getattr(item, "instance", None)
    if _chathistory(item) and case is not None:
        original = case.requestCapabilities

        def request_capabilities(client, capabilities, skip_if_cap_nak=False):
            wanted = [c for c in capabilities if c not in LEFT_OUT]
            return original(client, wanted, skip_if_cap_nak)

        case.requestCapabilities = request_capabilities
    yield
