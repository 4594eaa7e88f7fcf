"""Whether a mail from a staff address really comes from there (RFC 8601 Authentication-Results).

Anyone can write a staff member's address into From. With `workflow.authserv_id` set, a staff
mail counts as theirs only when an Authentication-Results header added by that server (its
authserv-id) says dkim=pass or spf=pass; a header of any other server proves nothing, since the
sender may have written it. Unset: every staff From counts (a mailbox only the own server feeds).
"""

from __future__ import annotations

import re

_PASS = re.compile(r"(?:^|;)\s*(?:dkim|spf)\s*=\s*pass\b", re.IGNORECASE)


def verified(results: tuple[str, ...], authserv_id: str) -> bool:
    """`results`: the mail's Authentication-Results header values, as they came."""
    if not authserv_id:
        return True
    for value in results:
        server, _, checks = value.partition(";")
        # The authserv-id is the first token; a version number may follow it (RFC 8601 §2.2).
        if server.split()[:1] == [authserv_id.strip()] and _PASS.search(";" + checks):
            return True
    return False
