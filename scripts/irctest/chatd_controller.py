"""irctest controller for chatd (Otter's IRC daemon).

Use from an irctest checkout (see scripts/run-irctest.sh):
    PYTHONPATH=scripts/irctest python -m pytest --controller chatd_controller \
        -m 'not services and not implementation-specific and not deprecated and not strict'

CHATD_BIN: the chatd executable (default: chatd on $PATH).
"""
import os
import shutil
import subprocess
from typing import Optional, Set, Type

from irctest.basecontrollers import BaseServerController, DirectoryBasedController
from irctest.runner import NotImplementedByController
from irctest.specifications import Capabilities, IsupportTokens, OptionalBehaviors


class ChatdController(BaseServerController, DirectoryBasedController):
    software_name = "chatd"
    # EXTERNAL needs a TLS client certificate: irctest has no test of it (chatd's own
    # tests log in with one over TLS).
    supported_sasl_mechanisms: Set[str] = {"PLAIN", "SCRAM-SHA-256"}
    supports_sts = False
    nickserv = "NickServ"

    # Capabilities chatd implements: a NAK for one of these is a failure.
    capabilities = frozenset(
        {
            Capabilities.ACCOUNT_NOTIFY,
            Capabilities.ACCOUNT_TAG,
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
            OptionalBehaviors.SASL_AFTER_REGISTRATION,
            OptionalBehaviors.SASL_REAUTHENTICATION,
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
        # chatd sends no email: a test that wants registration to require one is not
        # for it (the capability's value never asks for an email).
        if self.test_config.account_registration_requires_email:
            raise NotImplementedByController("email verification")
        # chatd is its own services (NickServ, SASL): nothing else to run.
        assert self.proc is None
        self.hostname = hostname
        self.port = port
        self.create_config()
        assert self.directory is not None
        binary = os.environ.get("CHATD_BIN", "chatd")
        if ssl:
            # The test's port speaks TLS (irctest's own self-signed certificate); no
            # plain IRC port at all.
            self.gen_ssl()
            listen = ["--port", "off", "--tls", f"{hostname}:{port}",
                      "--tls-cert", str(self.pem_path), "--tls-key", str(self.key_path)]
        else:
            listen = ["--listen", f"{hostname}:{port}"]
        argv = [
            binary,
            *listen,
            "--data-dir", str(self.directory / "data"),
            "--server-name", "My.Little.Server",
            "--network-name", "IrcTestNet",
            "--oper", "operuser:operpassword",
            "--no-flood-limit",
            "--history-replay", "0",
            "--metrics-listen", "off",  # tests run in parallel: no fixed admin port
            # irctest registers accounts with short passwords ("sesame", "bar").
            "--min-password-length", "1",
        ]
        # A test that sets Ergo's always-on (irctest's read-marker tests: markers kept
        # across a reconnect) gets chatd's own --always-on with the same value.
        always_on = self._ergo_always_on()
        if always_on in ("opt-in", "opt-out"):
            argv += ["--always-on", always_on]
        if self.test_config.account_registration_before_connect:
            argv += ["--account-registration", "before-connect"]
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

    def _ergo_always_on(self) -> Optional[str]:
        """The value of `accounts.multiclient.always-on` the test's Ergo configuration
        sets, if any (its `ergo_config` run on an empty configuration)."""
        change = getattr(self.test_config, "ergo_config", None)
        if change is None:
            return None

        class Tree(dict):
            def __missing__(self, key):
                self[key] = Tree()
                return self[key]

        config = Tree()
        try:
            change(config)
        except Exception:
            return None
        value = config["accounts"]["multiclient"].get("always-on")
        return value if isinstance(value, str) else None

    def registerUser(self, case, username: str, password: Optional[str] = None) -> None:
        """Registers an account the way an administrator would: `chatd account
        register` on the running server's data directory, the password on stdin (any
        length: irctest's longest is 592 bytes, more than fits a NickServ line)."""
        assert password is not None and self.directory is not None
        binary = os.environ.get("CHATD_BIN", "chatd")
        result = subprocess.run(
            [binary, "account", "register", username, "--data-dir", str(self.directory / "data"),
             "--min-password-length", "1"],
            input=(password + "\n").encode(),
            capture_output=True,
            timeout=30,
        )
        if result.returncode != 0:
            raise AssertionError(
                f"chatd account register {username} failed ({result.returncode}): "
                f"{result.stderr.decode(errors='replace')}"
            )


def get_irctest_controller_class() -> Type[ChatdController]:
    return ChatdController
