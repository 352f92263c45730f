#!/usr/bin/env python3
# Verifies JWTs against a JWKS URL with PyJWT's PyJWKClient, as an offline verifier would.
# usage: jwks_verify.py JWKS_URL ISSUER TOKEN...  — prints "ok <kid> <user_id>" or "refused <why>"
# per token, one line each, in order.
import sys

import jwt

url, issuer, tokens = sys.argv[1], sys.argv[2], sys.argv[3:]
client = jwt.PyJWKClient(url, cache_keys=False)
for token in tokens:
    try:
        key = client.get_signing_key_from_jwt(token)
        claims = jwt.decode(token, key.key, algorithms=["EdDSA"], issuer=issuer,
                            options={"require": ["exp", "iss"]})
        print("ok", jwt.get_unverified_header(token)["kid"], claims["user_id"])
    except Exception as e:  # noqa: BLE001 - the test reads the reason
        print("refused", type(e).__name__)
