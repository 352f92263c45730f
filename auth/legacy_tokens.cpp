// Legacy SimpleJWT tokens: the in-memory check and the one-time refresh exchange.
#include "auth/legacy_tokens.hpp"

#include "auth/roles.hpp"
#include "auth/services.hpp"
#include "auth/token_service.hpp"
#include "core/log.hpp"

namespace authd::auth {

TokenCheck check_legacy_token(LoopContext& ctx, std::string_view token, TokenType expected,
                              int64_t now, ClaimsView& out) {
    const LegacyTokens& legacy = *ctx.services->legacy;
    out = ClaimsView{};
    JwtError err = legacy.codec().verify(token, now, out, ctx.jwt_scratch, ClaimSet::simplejwt);
    if (err == JwtError::expired) return TokenCheck::expired;
    if (err != JwtError::ok) return TokenCheck::invalid;
    if (out.token_type != expected) return TokenCheck::wrong_type;
    auto version = ctx.cache.token_version(out.user_id);
    const LegacyIdentity* who = legacy.find(out.user_id);
    if (!version || *version != 0 || !who) return TokenCheck::revoked;
    out.username = who->username;
    out.role = role_name(who->role);
    out.sid = {};
    out.tv = 0;
    return TokenCheck::valid;
}

std::optional<std::string> legacy_session_id(std::string_view jti) {
    if (jti.empty() || jti.size() > 64) return std::nullopt;
    for (char c : jti) {
        bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  c == '-' || c == '_';
        if (!ok) return std::nullopt;
    }
    return "sjwt-" + std::string(jti);
}

core::Task<RefreshOutcome> exchange_legacy_refresh(LoopContext& ctx, int64_t user_id,
                                                   std::string jti, int64_t legacy_exp) {
    Services& s = *ctx.services;
    RefreshOutcome out;
    auto sid = legacy_session_id(jti);
    if (!sid) co_return out;
    store::Result<store::User> user = co_await s.store->find_user(user_id);
    if (user.unavailable()) {
        out.status = RefreshStatus::store_unavailable;
        co_return out;
    }
    if (!user || !user->is_active || user->token_version != 0) co_return out;
    // The session outlives the legacy token, so its record keeps refusing a second use.
    // (issue_tokens does not tell a used sid from a store that failed just now: both 401.)
    auto pair = co_await issue_tokens(s, *user, std::move(*sid), legacy_exp);
    if (!pair) co_return out;
    core::log_info("auth", "legacy refresh token exchanged",
                   {{"user_id", std::to_string(user_id)}});
    out.status = RefreshStatus::ok;
    out.tokens = std::move(*pair);
    co_return out;
}

}  // namespace authd::auth
