"""Whose links an editor sees: the same rule as for changing a service (editorial): the
service center's editors and the leads see every participant's services, a partner's
editor (an editor with participant memberships) only those of their participants."""

from __future__ import annotations

from auskunft.core.principal import Login


def may_see(login: Login, participant: str) -> bool:
    """Whether the login sees the links of a service of this participant."""
    return login.keeps_catalog_of(participant)
