// Bearer authentication for protected routes (SimpleJWT's JWTAuthentication), in memory:
// the access token's signature, expiry, session and token version decide.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "auth/or_response.hpp"
#include "http/request.hpp"
#include "http/response.hpp"
#include "store/result.hpp"
#include "store/types.hpp"

namespace authd::auth {

struct Principal {
    int64_t user_id = 0;
    std::string username;
    store::Role role = store::Role::client;
    std::string sid;
    int64_t exp = 0;  // access token expiry
};

// The caller, or the 401 answer (with WWW-Authenticate) to give.
OrResponse<Principal> authenticate(http::Request& req);
// Optional authentication (register): no header → anonymous; a bad token is still a 401.
bool has_credentials(const http::Request& req);

http::Response unauthorized(std::string_view detail, std::string_view code = {});
http::Response forbidden();
// 429 for a throttled login (or password check), with Retry-After in seconds.
http::Response too_many_attempts(int64_t retry_after);
http::Response service_unavailable(
    std::string_view detail = "Service temporarily unavailable, try again later.");
// The answer to a store call that found nothing: `absent` when the store said so, 503 when
// it could not answer, so an outage never reads as "no such thing".
http::Response absent_or_unavailable(store::Answer answer, http::Response absent);

}  // namespace authd::auth
