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
"""

import pytest

CHATHISTORY_MODULE = "irctest/server_tests/chathistory.py"
CHATHISTORY_CLASS = "ChathistoryTestCase"
# Capabilities irctest's chathistory tests ask for (for Ergo) that chatd does not offer
# and that the selected tests never use.
LEFT_OUT = ("labeled-response",)


def _chathistory(item):
    return item.nodeid.startswith(CHATHISTORY_MODULE + "::" + CHATHISTORY_CLASS + "::")


def pytest_collection_modifyitems(session, config, items):
    kept = [i for i in items if not (_chathistory(i) and i.get_closest_marker("private_chathistory"))]
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
