// Authorization header parsing and the 401/403/503 answers.
#include "auth/authenticate.hpp"

#include "auth/roles.hpp"
#include "auth/services.hpp"
#include "auth/token_service.hpp"
#include "core/clock.hpp"

namespace authd::auth {

http::Response unauthorized(std::string_view detail, std::string_view code) {
    http::Response r = http::detail_response(401, detail, code);
    r.header("WWW-Authenticate", "Bearer realm=\"api\"");
    return r;
}

http::Response forbidden() {
    return http::detail_response(403, "You do not have permission to perform this action.");
}

http::Response too_many_attempts(int64_t retry_after) {
    http::Response r =
        http::detail_response(429, "Too many failed login attempts. Try again later.", "throttled");
    r.header("Retry-After", std::to_string(retry_after > 0 ? retry_after : 1));
    return r;
}

http::Response service_unavailable(std::string_view detail) {
    http::Response r = http::detail_response(503, detail, "unavailable");
    r.header("Retry-After", "1");
    return r;
}

http::Response absent_or_unavailable(store::Answer answer, http::Response absent) {
    return answer == store::Answer::unavailable ? service_unavailable() : absent;
}

bool has_credentials(const http::Request& req) {
    std::string_view h = req.header("authorization");
    return h.size() >= 6 && (h.substr(0, 6) == "Bearer" || h.substr(0, 6) == "bearer");
}

OrResponse<Principal> authenticate(http::Request& req) {
    std::string_view h = req.header("authorization");
    size_t space = h.find(' ');
    std::string_view scheme = h.substr(0, space);
    if (h.empty() || (scheme != "Bearer" && scheme != "bearer"))
        return unauthorized("Authentication credentials were not provided.");
    std::string_view token =
        space == std::string_view::npos ? std::string_view{} : h.substr(space + 1);
    if (token.empty() || token.find(' ') != std::string_view::npos) {
        return unauthorized("Authorization header must contain two space-delimited values",
                            "bad_authorization_header");
    }
    ClaimsView claims;
    TokenCheck check =
        check_token(loop_context(req), token, TokenType::access, core::wall_seconds(), claims);
    auto role = parse_role(claims.role);
    if (check != TokenCheck::valid || !role)
        return unauthorized("Given token not valid for any token type", "token_not_valid");
    return Principal{claims.user_id, std::string(claims.username), *role, std::string(claims.sid),
                     claims.exp};
}

}  // namespace authd::auth
