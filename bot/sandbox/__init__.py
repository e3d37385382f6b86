"""A local Slack sandbox: a Web API stand-in and a signer that sends requests as Slack would.

The tests use it, the demo runs on it, and so can anyone trying the app without a workspace.
"""

from bot.sandbox.signer import SignedSender, SlackReply
from bot.sandbox.web_api import Call, FakeSlack, FakeUser, Fault

__all__ = ["Call", "FakeSlack", "FakeUser", "Fault", "SignedSender", "SlackReply"]
