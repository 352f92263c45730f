// Forward authentication: the token from the Bearer header or the configured cookie is
// checked by check_token (the validate_token hot path: no store, no lock, no await); the
// identity goes back in headers the proxy copies to the upstream request.
#include "auth/forward_auth.hpp"

#include <strings.h>

#include "auth/roles.hpp"
#include "auth/services.hpp"
#include "auth/token_service.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"

namespace authd::auth {
namespace {

using http::Response;

constexpr std::string_view realm = "Bearer realm=\"api\"";
constexpr std::string_view realm_invalid = "Bearer realm=\"api\", error=\"invalid_token\"";

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

enum class Credential : uint8_t { none, token, malformed };

// Authorization: Bearer wins; another scheme (Basic for the upstream) is not ours to read.
Credential find_token(const http::Request& req, std::string_view cookie, std::string_view& out) {
    std::string_view h = trim(req.header("authorization"));
    if (h.size() >= 6 && strncasecmp(h.data(), "bearer", 6) == 0 &&
        (h.size() == 6 || h[6] == ' ')) {
        out = trim(h.substr(6));
        bool ok = !out.empty() && out.find(' ') == std::string_view::npos;
        return ok ? Credential::token : Credential::malformed;
    }
    if (!cookie.empty()) {
        out = cookie_value(req.header("cookie"), cookie);
        if (!out.empty()) return Credential::token;
    }
    return Credential::none;
}

// One required role: empty means none; an unknown name is never met (fail closed).
bool role_met(Role have, std::string_view required) {
    required = trim(required);
    if (required.empty()) return true;
    std::optional<Role> need = parse_role(required);
    return need && static_cast<int>(have) >= static_cast<int>(*need);
}

// Every ?role= and every X-Auth-Require-Role must hold: a requirement added by the client
// only makes the answer stricter, never looser than the proxy's.
bool roles_met(const http::Request& req, Role have) {
    std::string_view q = req.query(), v;
    while (next_query_value(q, "role", v)) {
        if (!role_met(have, v)) return false;
    }
    for (size_t i = 0; i < req.header_count(); ++i) {
        std::string_view name = req.header_name(i);
        if (name.size() == 19 && strncasecmp(name.data(), "x-auth-require-role", 19) == 0 &&
            !role_met(have, req.header_value(i)))
            return false;
    }
    return true;
}

// Bytes a header value cannot carry; only a token we signed could hold them.
bool header_safe(std::string_view s) {
    for (char c : s) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
    }
    return true;
}

void deny(const http::Request& req, Response& res, int status) {
    res.status = status;
    if (!core::log_enabled(core::LogLevel::debug)) return;
    std::string_view uri = req.header("x-forwarded-uri");
    if (uri.empty()) uri = req.header("x-original-uri");
    core::log(core::LogLevel::debug, "forward", "denied",
              {{"status", status == 401 ? "401" : "403"},
               {"method", req.header("x-forwarded-method")},
               {"host", req.header("x-forwarded-host")},
               {"uri", uri}});
}

void allow(const ClaimsView& c, Response& res) {
    std::string id = std::to_string(c.user_id);
    res.header("X-Auth-User-Id", id);
    res.header("X-Auth-Username", std::string(c.username));
    res.header("X-Auth-Role", std::string(c.role));
    res.header("Remote-User", std::string(c.username));
}

}  // namespace

std::string_view cookie_value(std::string_view header, std::string_view name) {
    while (!header.empty()) {
        size_t semi = header.find(';');
        std::string_view pair = trim(header.substr(0, semi));
        header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
        if (pair.size() > name.size() && pair[name.size()] == '=' && pair.starts_with(name)) {
            std::string_view v = pair.substr(name.size() + 1);
            if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
            return v;
        }
    }
    return {};
}

bool next_query_value(std::string_view& query, std::string_view name, std::string_view& value) {
    while (!query.empty()) {
        size_t amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (pair.size() >= name.size() && pair.starts_with(name) &&
            (pair.size() == name.size() || pair[name.size()] == '=')) {
            value = pair.size() == name.size() ? std::string_view{} : pair.substr(name.size() + 1);
            return true;
        }
    }
    return false;
}

void handle_forward(http::Request& req, Response& res) {
    LoopContext& ctx = loop_context(req);
    res.no_store = true;
    // No body, only Content-Length: 0: nginx reads just the head of an auth_request answer and
    // closes its keep-alive connection when a body follows (one new connection per request).
    res.content_type = "text/plain";
    std::string_view token;
    Credential cred = find_token(req, ctx.services->settings.forward_cookie, token);
    if (cred == Credential::none) {
        res.header("WWW-Authenticate", std::string(realm));
        return deny(req, res, 401);
    }
    ClaimsView claims;
    bool valid = cred == Credential::token &&
                 check_token(ctx, token, TokenType::access, core::wall_seconds(), claims) ==
                     TokenCheck::valid;
    std::optional<Role> role = valid ? parse_role(claims.role) : std::nullopt;
    if (!role || !header_safe(claims.username)) {
        res.header("WWW-Authenticate", std::string(realm_invalid));
        return deny(req, res, 401);
    }
    if (!roles_met(req, *role)) return deny(req, res, 403);
    allow(claims, res);
}

}  // namespace authd::auth
