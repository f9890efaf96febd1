"""Who may read what the helpdesk reads, as a predicate any app can ask (tickets, knowledge base, identity).

Pages behind ``portal.identity.decorators.agent_required`` already refuse anyone else; this is for the pages that
everybody opens but that show agents more (internal articles and drafts, internal notes, an account's security
events), so that the rule stays the one of agent pages everywhere: a stolen password alone opens nothing internal.
"""


def is_verified_agent(user) -> bool:
    """An agent or admin whose session has proved their second factor.

    ``is_verified`` is set on the request's user by django-otp's middleware; a user without it (a program's API
    token, a user loaded from the database) is not a verified agent.
    """
    if not (user is not None and user.is_authenticated and user.is_agent):
        return False
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())
