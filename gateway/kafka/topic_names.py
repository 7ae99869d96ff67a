"""Topic names of the Frontline layout, all under one prefix (default ``fl.``)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TopicNames"]


@dataclass(frozen=True)
class TopicNames:
    """Builds every topic name from the configured prefix."""

    prefix: str = "fl."

    def ingress(self, org: str) -> str:
        """Where an organization's connector publishes: ``fl.ingress.interpol``."""
        return f"{self.prefix}ingress.{org.lower()}"

    def ncb(self, country: str) -> str:
        """A national node's (NCB's) compacted topic: ``fl.ncb.FRA``."""
        return f"{self.prefix}ncb.{country.upper()}"

    def post(self, country: str, post_id: str) -> str:
        """A border post's compacted feed: ``fl.post.FRA.CDG``."""
        return f"{self.prefix}post.{country.upper()}.{post_id.upper()}"

    def access(self, country: str) -> str:
        """A country's border-post access log, for its national bureau: ``fl.access.FRA``."""
        return f"{self.prefix}access.{country.upper()}"

    def up(self, country: str) -> str:
        """What a country's border posts send their national node: hits, receipts."""
        return f"{self.prefix}up.{country.upper()}"

    def outbound(self, org: str) -> str:
        """What the hub sends an issuing organization: hits on its alerts, flags."""
        return f"{self.prefix}outbound.{org.lower()}"

    @property
    def hub_inbox(self) -> str:
        """What national nodes send the hub: confirmed hits, receipt summaries, flags."""
        return f"{self.prefix}hub.inbox"

    @property
    def quarantine(self) -> str:
        return f"{self.prefix}quarantine"

    @property
    def audit(self) -> str:
        return f"{self.prefix}audit"

    @property
    def review(self) -> str:
        return f"{self.prefix}review"

    @property
    def review_decisions(self) -> str:
        """Reviewers' approve/reject decisions, which the hub consumes."""
        return f"{self.prefix}review.decisions"

    @property
    def hub_state(self) -> str:
        return f"{self.prefix}hub.state"
