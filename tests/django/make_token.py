#!/usr/bin/python3
# Prints a token in SimpleJWT's format (token_type, exp, iat, jti, user_id), signed HS256 by
# PyJWT as SimpleJWT does. Usage: make_token.py KEY USER_ID access|refresh LIFETIME_SECONDS
import sys, time, uuid

import jwt

key, user_id, kind, lifetime = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
now = int(time.time())
payload = {"token_type": kind, "exp": now + lifetime, "iat": now - 10,
           "jti": uuid.uuid4().hex, "user_id": user_id}
print(jwt.encode(payload, key, algorithm="HS256"))
