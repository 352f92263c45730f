// Legacy SimpleJWT tokens: the in-memory check and the one-time refresh exchange.
#include "auth/legacy_tokens.hpp"

#include <algorithm>
#include <cstring>

#include "auth/roles.hpp"
#include "auth/services.hpp"
#include "auth/token_service.hpp"
#include "core/log.hpp"

namespace authd::auth {
namespace {
constexpr size_t arena_chunk = 64 * 1024;
}

const char* LegacyTokens::keep(std::string_view name) {
    if (name.size() > arena_chunk) name = name.substr(0, arena_chunk);  // usernames are short
    if (chunks_.empty() || chunk_used_ + name.size() > arena_chunk) {
        chunks_.push_back(std::make_unique<char[]>(arena_chunk));
        chunk_used_ = 0;
    }
    char* at = chunks_.back().get() + chunk_used_;
    std::memcpy(at, name.data(), name.size());
    chunk_used_ += name.size();
    return at;
}

void LegacyTokens::add(int64_t user_id, const LegacyIdentity& identity) {
    std::unique_lock lock(mutex_);
    auto it = users_.find(user_id);
    if (it != users_.end() && it->second.role == identity.role &&
        std::string_view(it->second.name, it->second.size) == identity.username)
        return;  // heard again (the feed repeats this instance's own imports)
    // A changed identity (an id freed by a deletion and imported again) gets new bytes: a
    // reader may still view the old ones.
    const char* name = keep(identity.username);
    auto size = static_cast<uint32_t>(std::min(identity.username.size(), arena_chunk));
    users_.insert_or_assign(user_id, Entry{name, size, identity.role});
}

std::optional<LegacyIdentityView> LegacyTokens::find(int64_t user_id) const {
    std::shared_lock lock(mutex_);
    auto it = users_.find(user_id);
    if (it == users_.end()) return std::nullopt;
    return LegacyIdentityView{std::string_view(it->second.name, it->second.size), it->second.role};
}

std::vector<int64_t> LegacyTokens::missing(
    const std::vector<std::pair<int64_t, uint32_t>>& versions) const {
    std::vector<int64_t> out;
    std::shared_lock lock(mutex_);
    for (const auto& [id, version] : versions)
        if (version == 0 && !users_.contains(id)) out.push_back(id);
    return out;
}

size_t LegacyTokens::size() const {
    std::shared_lock lock(mutex_);
    return users_.size();
}

TokenCheck check_legacy_token(LoopContext& ctx, std::string_view token, TokenType expected,
                              int64_t now, ClaimsView& out) {
    const LegacyTokens& legacy = *ctx.services->legacy;
    out = ClaimsView{};
    JwtError err = legacy.codec().verify(token, now, out, ctx.jwt_scratch, ClaimSet::simplejwt);
    if (err == JwtError::expired) return TokenCheck::expired;
    if (err != JwtError::ok) return TokenCheck::invalid;
    if (out.token_type != expected) return TokenCheck::wrong_type;
    auto version = ctx.cache.token_version(out.user_id);
    if (!version || *version != 0) return TokenCheck::revoked;
    std::optional<LegacyIdentityView> who = legacy.find(out.user_id);
    if (!who) return TokenCheck::revoked;
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
    store::Result<TokenPair> pair = co_await issue_tokens(s, *user, std::move(*sid), legacy_exp);
    if (pair.unavailable()) out.status = RefreshStatus::store_unavailable;  // 503, not 401
    if (!pair) co_return out;  // refused: the token was exchanged already
    core::log_info("auth", "legacy refresh token exchanged",
                   {{"user_id", std::to_string(user_id)}});
    out.status = RefreshStatus::ok;
    out.tokens = std::move(*pair);
    co_return out;
}

}  // namespace authd::auth
