// The claims of one sample access token, shared by the token benchmarks.
#pragma once
#include "auth/jwt.hpp"
#include "auth/jwt_claims.hpp"

namespace authd::bench {

// user 4242 "john_doe", CLIENT, token version 3, valid until 2096; fresh jti and sid each call.
inline auth::Claims sample_claims() {
    auth::Claims c;
    c.token_type = auth::TokenType::access;
    c.iat = 1700000000;
    c.exp = 4000000000;
    c.jti = auth::new_token_id();
    c.user_id = 4242;
    c.username = "john_doe";
    c.role = "CLIENT";
    c.sid = auth::new_token_id();
    c.tv = 3;
    return c;
}

}  // namespace authd::bench
