"""irctest controller for chatd (Otter's IRC daemon).

Use from an irctest checkout (see scripts/run-irctest.sh):
    PYTHONPATH=scripts/irctest python -m pytest --controller chatd_controller \
        -m 'not services and not implementation-specific and not deprecated and not strict'

CHATD_BIN: the chatd executable (default: chatd on $PATH).
"""
import os
import shutil
from typing import Optional, Set, Type

from irctest.basecontrollers import BaseServerController, DirectoryBasedController
from irctest.runner import NotImplementedByController
from irctest.specifications import Capabilities, IsupportTokens, OptionalBehaviors


class ChatdController(BaseServerController, DirectoryBasedController):
    software_name = "chatd"
    supported_sasl_mechanisms: Set[str] = set()  # no accounts in chatd
    supports_sts = False

    # Capabilities chatd implements: a NAK for one of these is a failure.
    capabilities = frozenset(
        {
            Capabilities.AWAY_NOTIFY,
            Capabilities.BATCH,
            Capabilities.ECHO_MESSAGE,
            Capabilities.EXTENDED_JOIN,
            Capabilities.MESSAGE_TAGS,
            Capabilities.MULTI_PREFIX,
            Capabilities.SERVER_TIME,
            Capabilities.SETNAME,
        }
    )

    optional_behaviors = frozenset(
        {
            OptionalBehaviors.BAN_EXCEPTION_MODE,
            OptionalBehaviors.CAP_REQ_MINUS,
            OptionalBehaviors.INVITE_EXCEPTION_MODE,
            OptionalBehaviors.MULTI_JOIN,
            OptionalBehaviors.MULTI_KICK,
            OptionalBehaviors.MULTI_NAMES_COMMAND,
            OptionalBehaviors.MULTI_PRIVMSG,
            OptionalBehaviors.ELIST_M,
            OptionalBehaviors.ELIST_N,
            OptionalBehaviors.ELIST_U,
            OptionalBehaviors.ELIST_C,
            OptionalBehaviors.ELIST_T,
        }
    )

    def create_config(self) -> None:
        super().create_config()

    def wait_for_services(self) -> None:
        if self.services_controller is not None:
            super().wait_for_services()

    def run(
        self,
        hostname: str,
        port: int,
        *,
        password: Optional[str],
        ssl: bool,
        run_services: bool,
        faketime: Optional[str],
        websocket_hostname: Optional[str] = None,
        websocket_port: Optional[int] = None,
    ) -> None:
        if ssl:
            raise NotImplementedByController("TLS")
        # chatd has no services: a test that wants them runs without, and one that
        # registers an account is skipped there (registerUser: "account registration").
        # The selection lets in only the services tests that need no account
        # (chatd_selection.py).
        assert self.proc is None
        self.hostname = hostname
        self.port = port
        self.create_config()
        assert self.directory is not None
        binary = os.environ.get("CHATD_BIN", "chatd")
        argv = [
            binary,
            "--listen", f"{hostname}:{port}",
            "--data-dir", str(self.directory / "data"),
            "--server-name", "My.Little.Server",
            "--network-name", "IrcTestNet",
            "--oper", "operuser:operpassword",
            "--no-flood-limit",
            "--history-replay", "0",
            "--metrics-listen", "off",  # tests run in parallel: no fixed admin port
        ]
        if websocket_port is not None:
            argv += ["--web", f"{websocket_hostname}:{websocket_port}"]
        else:
            argv += ["--web-port", "0"]
        if password:
            argv += ["--password", password]
        if faketime and shutil.which("faketime"):
            argv = ["faketime", "-f", faketime, *argv]
            self.faketime_enabled = True
        self.proc = self.execute(argv)


def get_irctest_controller_class() -> Type[ChatdController]:
    return ChatdController
