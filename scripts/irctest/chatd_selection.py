"""pytest plugin: which irctest tests make chatd's selection beyond the -m expression.

Loaded by scripts/run-irctest.sh (``-p chatd_selection``). irctest marks its whole
chathistory class ``services`` (the other servers run it with NickServ), and the
selection leaves ``services`` out; the tests of that class that need no account do
apply to chatd, so they get the marker ``chatd_selected``, which the -m expression
lets back in. Of that class:

- testChathistory[LATEST|BEFORE|AFTER|AROUND|BETWEEN], testChathistoryNoEventPlayback:
  run. They ask for `labeled-response` and `sasl` with the capabilities they use, and
  would skip on chatd's NAK of those two; neither is used by them (they send no
  label and log nobody in), so for these tests alone the two are left out of the CAP
  REQ (`LEFT_OUT`, below) and everything the tests check is checked;
- testInvalidTargets, testChathistoryTagmsg: register accounts first, which chatd (no
  services) cannot: skipped by the controller ("account registration");
- testChathistoryEventPlayback: asks for draft/event-playback, which chatd does not
  offer: skipped by irctest on the NAK;
- ``private_chathistory`` tests (direct messages, TARGETS with DMs): left out, chatd
  keeps no private-message history.
"""

import pytest

CHATHISTORY_MODULE = "irctest/server_tests/chathistory.py"
CHATHISTORY_CLASS = "ChathistoryTestCase"
# Capabilities irctest's chathistory tests ask for (for Ergo) that chatd does not offer
# and that the selected tests never use.
LEFT_OUT = ("labeled-response", "sasl")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "chatd_selected: a services-marked test that chatd runs without services"
    )


# Before pytest's own -m deselection looks at the markers.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session, config, items):
    for item in items:
        if (
            item.nodeid.startswith(CHATHISTORY_MODULE + "::" + CHATHISTORY_CLASS + "::")
            and item.get_closest_marker("private_chathistory") is None
        ):
            item.add_marker(pytest.mark.chatd_selected)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    case = getattr(item, "instance", None)
    if item.get_closest_marker("chatd_selected") is not None and case is not None:
        original = case.requestCapabilities

        def request_capabilities(client, capabilities, skip_if_cap_nak=False):
            wanted = [c for c in capabilities if c not in LEFT_OUT]
            return original(client, wanted, skip_if_cap_nak)

        case.requestCapabilities = request_capabilities
    yield
