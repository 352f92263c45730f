// Token issuing, rotation and in-memory validation.
#include "auth/token_service.hpp"

#include <algorithm>

#include "auth/legacy_tokens.hpp"
#include "auth/roles.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"

namespace authd::auth {

TokenCheck check_token(LoopContext& ctx, std::string_view token, TokenType expected, int64_t now,
                       ClaimsView& out) {
    JwtError err = ctx.keys->verify(token, now, out, ctx.jwt_scratch, ctx.signatures);
    // Not one of our tokens: maybe a SimpleJWT token of an imported user (same HS256 header).
    if ((err == JwtError::bad_signature || err == JwtError::bad_claims ||
         err == JwtError::bad_header) &&
        ctx.services->legacy)
        return check_legacy_token(ctx, token, expected, now, out);
    if (err == JwtError::expired) return TokenCheck::expired;
    if (err != JwtError::ok) return TokenCheck::invalid;
    if (out.token_type != expected) return TokenCheck::wrong_type;
    if (ctx.cache.is_revoked(out.sid)) return TokenCheck::revoked;
    auto version = ctx.cache.token_version(out.user_id);
    if (!version || *version != out.tv) return TokenCheck::revoked;
    return TokenCheck::valid;
}

std::string_view token_check_message(TokenCheck c) {
    switch (c) {
        case TokenCheck::valid:
            return "Token is valid";
        case TokenCheck::wrong_type:
            return "Token has wrong type";
        case TokenCheck::revoked:
            return "Token is blacklisted";
        case TokenCheck::expired:
        case TokenCheck::invalid:
            break;
    }
    return "Token is invalid or expired";
}

namespace {

// The keys of the loop this coroutine runs on (issuing runs on loop threads only).
const KeySet& loop_keys(Services& s) {
    return *s.contexts[static_cast<size_t>(core::Loop::current()->index())]->keys;
}

Claims claims_for(const Services& s, const store::User& user, TokenType type, std::string_view sid,
                  int64_t now, int64_t ttl) {
    Claims c;
    c.iss = s.settings.issuer;
    c.token_type = type;
    c.iat = now;
    c.exp = now + ttl;
    c.jti = new_token_id();
    c.user_id = user.id;
    c.username = user.username;
    c.role = std::string(role_name(user.role));
    c.sid = std::string(sid);
    c.tv = user.token_version;
    return c;
}

}  // namespace

Task<store::Result<TokenPair>> issue_tokens(Services& s, const store::User& user, std::string sid,
                                            int64_t min_expires_at) {
    int64_t now = core::wall_seconds();
    if (sid.empty()) sid = new_token_id();
    Claims refresh = claims_for(s, user, TokenType::refresh, sid, now, s.settings.refresh_ttl);
    store::Session session{sid, user.id, refresh.jti, std::max(refresh.exp, min_expires_at), false};
    store::Done created = co_await s.store->create_session(std::move(session));
    if (!created) co_return created.answer();
    // Make sure every loop knows this user's version (a new user is absent until told).
    co_await spread_token_version(s, user.id, user.token_version);
    Claims access = claims_for(s, user, TokenType::access, sid, now, s.settings.access_ttl);
    const KeySet& keys = loop_keys(s);
    co_return TokenPair{keys.sign(access), keys.sign(refresh)};
}

Task<RefreshOutcome> refresh_tokens(LoopContext& ctx, std::string refresh_token) {
    Services& s = *ctx.services;
    int64_t now = core::wall_seconds();
    ClaimsView view;
    if (check_token(ctx, refresh_token, TokenType::refresh, now, view) != TokenCheck::valid) {
        co_return RefreshOutcome{};
    }
    // A legacy SimpleJWT refresh token (no sid) is exchanged once for an authd pair.
    if (view.sid.empty())
        co_return co_await exchange_legacy_refresh(ctx, view.user_id, std::string(view.jti),
                                                   view.exp);
    Claims old = to_claims(view);  // the scratch buffer is reused by the next validation
    Claims next = old;
    next.iss = s.settings.issuer;
    next.iat = now;
    next.exp = now + s.settings.refresh_ttl;
    next.jti = new_token_id();
    store::Result<store::RotateResult> r =
        co_await s.store->rotate_refresh(old.sid, old.jti, next.jti, next.exp);
    if (r.unavailable()) {
        RefreshOutcome unavailable;
        unavailable.status = RefreshStatus::store_unavailable;
        co_return unavailable;
    }
    if (r->status == store::RotateStatus::reused) {
        core::log_warn("auth", "refresh token reused; session revoked",
                       {{"user_id", std::to_string(old.user_id)}});
        co_await spread_revocation(s, old.sid, r->expires_at > 0 ? r->expires_at : old.exp);
        co_return RefreshOutcome{};
    }
    if (!r || r->status != store::RotateStatus::rotated) co_return RefreshOutcome{};
    Claims access = next;
    access.token_type = TokenType::access;
    access.exp = now + s.settings.access_ttl;
    access.jti = new_token_id();
    const KeySet& keys = loop_keys(s);
    co_return RefreshOutcome{RefreshStatus::ok, {keys.sign(access), keys.sign(next)}};
}

Task<void> spread_revocation(Services& s, std::string sid, int64_t expires_at) {
    // Named, not a temporary in the co_await: GCC 12 destroys such closures twice (double free).
    auto revoke = [&s, sid = std::move(sid), expires_at](core::Loop& l) {
        s.contexts[static_cast<size_t>(l.index())]->cache.revoke(sid, expires_at);
    };
    co_await s.loops->on_all(std::move(revoke));
}

Task<void> spread_token_version(Services& s, int64_t user_id, uint32_t version) {
    co_await s.loops->on_all([&s, user_id, version](core::Loop& l) {
        s.contexts[static_cast<size_t>(l.index())]->cache.set_token_version(user_id, version);
    });
}

Task<void> spread_user_removal(Services& s, int64_t user_id) {
    co_await s.loops->on_all([&s, user_id](core::Loop& l) {
        s.contexts[static_cast<size_t>(l.index())]->cache.remove_user(user_id);
    });
}

}  // namespace authd::auth
