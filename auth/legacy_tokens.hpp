// Tokens Django's SimpleJWT issued before the switch (AUTHD_LEGACY_SIMPLEJWT_KEY): checked in
// memory like authd's own, and a legacy refresh token exchanged once for an authd pair.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

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

// What a legacy token lacks and validation answers with: the user's name and role.
struct LegacyIdentity {
    std::string username;
    store::Role role = store::Role::client;
};
struct LegacyIdentityView {
    std::string_view username;  // valid as long as the LegacyTokens
    store::Role role = store::Role::client;
};

// The directory of imported users (token version 0) whose legacy tokens validate: built at
// start from the store, then grown by the imports other processes make while this one runs
// (the Redis change feed's "i" messages, on the subscriber thread). Shared by every loop:
// reads take a shared lock, on the legacy path only (authd's own tokens never get here).
// Names live in an append-only arena, so a view stays valid after the lock is released;
// memory is about 60 B per imported user.
class LegacyTokens {
  public:
    explicit LegacyTokens(std::string_view django_key) : codec_(django_key) {}

    void add(int64_t user_id, const LegacyIdentity& identity);
    std::optional<LegacyIdentityView> find(int64_t user_id) const;
    size_t size() const;
    // The ids at version 0 in `versions` that the directory lacks (one pass, one lock).
    std::vector<int64_t> missing(const std::vector<std::pair<int64_t, uint32_t>>& versions) const;
    const JwtCodec& codec() const { return codec_; }

  private:
    struct Entry {
        const char* name;
        uint32_t size;
        store::Role role;
    };
    const char* keep(std::string_view name);  // copies into the arena (under the lock)

    JwtCodec codec_;
    mutable std::shared_mutex mutex_;
    std::unordered_map<int64_t, Entry> users_;
    std::vector<std::unique_ptr<char[]>> chunks_;  // the arena; never moved or freed
    size_t chunk_used_ = 0;
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
