// Tokens Django's SimpleJWT issued before the switch (AUTHD_LEGACY_SIMPLEJWT_KEY): checked in
// memory like authd's own, and a legacy refresh token exchanged once for an authd pair.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "auth/jwt.hpp"
#include "core/task.hpp"
#include "store/types.hpp"

namespace authd {
struct LoopContext;
}

namespace authd::auth {

using authd::LoopContext;
struct Services;
enum class TokenCheck : uint8_t;
struct RefreshOutcome;

// What a legacy token lacks and validation answers with: the user's name and role. Built once
// at start (imported users still at token version 0), read-only afterwards, so every loop
// reads it without a lock.
struct LegacyIdentity {
    std::string username;
    store::Role role = store::Role::client;
};

class LegacyTokens {
  public:
    explicit LegacyTokens(std::string_view django_key) : codec_(django_key) {}

    void add(int64_t user_id, LegacyIdentity identity) { users_[user_id] = std::move(identity); }
    const LegacyIdentity* find(int64_t user_id) const {
        auto it = users_.find(user_id);
        return it == users_.end() ? nullptr : &it->second;
    }
    size_t size() const { return users_.size(); }
    const JwtCodec& codec() const { return codec_; }

  private:
    JwtCodec codec_;
    std::unordered_map<int64_t, LegacyIdentity> users_;
};

// A SimpleJWT token is valid while unexpired, of the expected type, signed with the Django key
// and its user is still at token version 0 (any revocation bumps it). Fills username and role
// from the directory; sid stays empty, which marks a legacy token for the refresh path.
TokenCheck check_legacy_token(LoopContext& ctx, std::string_view token, TokenType expected,
                              int64_t now, ClaimsView& out);

// The authd session id a legacy refresh token is exchanged into: creating it is the atomic
// "used once" record in the store (a second exchange finds it and fails, on every instance).
std::optional<std::string> legacy_session_id(std::string_view jti);

// Exchanges a checked legacy refresh token (claims `view`) for an authd pair, once.
core::Task<RefreshOutcome> exchange_legacy_refresh(LoopContext& ctx, int64_t user_id,
                                                   std::string jti, int64_t legacy_exp);

}  // namespace authd::auth
