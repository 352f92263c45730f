// Introspection and revocation. Access tokens are decided in memory by check_token; a
// refresh token is active only while it is its session's current one, which the store knows.
#include "auth/handlers_oauth.hpp"

#include <openssl/crypto.h>

#include "auth/services.hpp"
#include "auth/session_revocation.hpp"
#include "auth/token_service.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"
#include "http/body_fields.hpp"
#include "http/json_writer.hpp"

namespace authd::auth {
namespace {

using http::Response;

Response oauth_error(int status, std::string_view error) {
    Response r;
    r.status = status;
    http::JsonWriter w(r.body);
    w.begin_object();
    w.field("error", error);
    w.end_object();
    r.no_store = true;
    return r;
}

Response invalid_client() {
    Response r = oauth_error(401, "invalid_client");
    r.header("WWW-Authenticate", "Basic realm=\"authd\"");
    return r;
}

Response unavailable() {
    Response r = oauth_error(503, "temporarily_unavailable");
    r.header("Retry-After", "1");
    return r;
}

Response json_ok(std::string body) {
    Response r = http::json_response(200, std::move(body));
    r.no_store = true;
    return r;
}

// The calling client's id, or nullopt (answer invalid_client).
std::optional<std::string_view> client_of(const http::Request& req) {
    return services(req).service_clients.authenticate(req.header("authorization"));
}

// The form's `token`; an error answer when it is missing or not a string.
std::optional<Response> read_token(http::Request& req, std::string& token) {
    http::BodyFields body;
    if (auto err = http::parse_body(req, body)) return err;
    const http::Field* f = body.find("token");
    if (!f || f->kind != http::FieldKind::string || f->value.empty())
        return oauth_error(400, "invalid_request");
    token = f->value;
    return std::nullopt;
}

// Access first, then refresh; the hint may only reorder a search, and both are cheap.
std::optional<Claims> valid_claims(LoopContext& ctx, std::string_view token) {
    ClaimsView view;
    int64_t now = core::wall_seconds();
    TokenCheck c = check_token(ctx, token, TokenType::access, now, view);
    if (c == TokenCheck::wrong_type) c = check_token(ctx, token, TokenType::refresh, now, view);
    if (c != TokenCheck::valid) return std::nullopt;
    return to_claims(view);  // owned: the scratch is reused by the next check on this loop
}

bool same_id(std::string_view a, std::string_view b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string active_json(const Claims& c) {
    std::string out;
    http::JsonWriter w(out);
    w.begin_object();
    w.field("active", true);
    w.field("token_type", c.token_type == TokenType::access ? "access" : "refresh");
    w.field("username", c.username);
    w.field("user_id", c.user_id);
    w.field("sub", std::to_string(c.user_id));
    w.field("role", c.role);
    w.field("exp", c.exp);
    w.field("iat", c.iat);
    w.field("jti", c.jti);
    w.end_object();
    return out;
}

}  // namespace

core::Task<Response> handle_introspect(http::Request& req) {
    if (!client_of(req)) co_return invalid_client();
    std::string token;
    if (auto err = read_token(req, token)) co_return std::move(*err);
    LoopContext& ctx = loop_context(req);
    std::optional<Claims> claims = valid_claims(ctx, token);
    if (!claims) co_return json_ok("{\"active\":false}");
    if (claims->token_type == TokenType::refresh) {
        // A rotated refresh token is spent: presenting it would revoke the session.
        store::Result<store::Session> s = co_await ctx.services->store->find_session(claims->sid);
        if (s.unavailable()) co_return unavailable();
        if (!s || s->revoked || !same_id(s->refresh_jti, claims->jti))
            co_return json_ok("{\"active\":false}");
    }
    co_return json_ok(active_json(*claims));
}

core::Task<Response> handle_revoke(http::Request& req) {
    std::optional<std::string_view> client = client_of(req);
    if (!client) co_return invalid_client();
    std::string client_id(*client);
    std::string token;
    if (auto err = read_token(req, token)) co_return std::move(*err);
    Services& s = services(req);
    std::optional<Claims> claims = valid_claims(loop_context(req), token);
    if (!claims) co_return json_ok("{}");  // RFC 7009: an invalid token is not an error
    if (!co_await revoke_everywhere(s, claims->sid)) co_return unavailable();
    core::log_info("auth", "session revoked by a service client",
                   {{"client", client_id}, {"user_id", std::to_string(claims->user_id)}});
    co_return json_ok("{}");
}

}  // namespace authd::auth
