"""``frontline policy``: check the sharing policy, list memberships, explain a decision."""

from gateway.policy_cli import app

__all__ = ["app"]
