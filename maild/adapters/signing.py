"""itsdangerous adapter: claims signed into a URL-safe token, and read back only if the signature holds.

HMAC-SHA256 over the claims, as itsdangerous does it (well reviewed, constant-time comparison);
what the claims mean, expiry included, is the caller's to judge with its own clock.
"""

from __future__ import annotations

import hashlib
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

from ..errors import TokenForged


class Signer:
    def __init__(self, secret: bytes, purpose: str) -> None:
        # The purpose is the salt: a token made for one use is forged for any other.
        self._serializer = URLSafeSerializer(secret, salt=purpose, signer_kwargs={"digest_method": hashlib.sha256})

    def sign(self, claims: dict[str, Any]) -> str:
        return str(self._serializer.dumps(claims))

    def claims(self, token: str) -> dict[str, Any]:
        """The claims of a token this key signed; TokenForged for anything else."""
        try:
            found = self._serializer.loads(token)
        except BadSignature as exc:
            raise TokenForged("the link's signature does not match") from exc
        if not isinstance(found, dict):
            raise TokenForged("the link carries no claims")
        return found
