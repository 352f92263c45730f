// Bearer authentication for protected routes (SimpleJWT's JWTAuthentication), in memory:
// the access token's signature, expiry, session and token version decide.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "http/request.hpp"
#include "http/response.hpp"
#include "store/types.hpp"

namespace authd::auth {

struct Principal {
    int64_t user_id = 0;
    std::string username;
    store::Role role = store::Role::client;
    std::string sid;
    int64_t exp = 0;  // access token expiry
};

// On failure returns nullopt and sets `error` to the 401 answer (with WWW-Authenticate).
std::optional<Principal> authenticate(http::Request& req, http::Response& error);
// Optional authentication (register): no header → anonymous; a bad token is still a 401.
bool has_credentials(const http::Request& req);

http::Response unauthorized(std::string_view detail, std::string_view code = {});
http::Response forbidden();
// 429 for a throttled login (or password check), with Retry-After in seconds.
http::Response too_many_attempts(int64_t retry_after);
http::Response service_unavailable(
    std::string_view detail = "Service temporarily unavailable, try again later.");
// After a store call found nothing: `absent` when the store answered so, 503 when it could
// not answer (store::last_call_failed), so an outage never reads as "no such thing".
http::Response absent_or_unavailable(http::Response absent);

}  // namespace authd::auth
