// ValidationCache: what one loop needs to decide in memory whether a signed token is still
// good — each user's current token version and the revoked sessions. Each loop owns its
// own copy; changes arrive as cross-loop messages, so reads take no lock.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "store/types.hpp"

namespace authd::auth {

class ValidationCache {
  public:
    void load(const store::ValidationState& state);
    // A resync from a store shared with other instances: versions are replaced, revocations
    // merged, so one recorded here while the store was unreachable is not forgotten.
    void resync(const store::ValidationState& state);

    // nullopt: no such user (deleted) — every token of theirs is invalid.
    std::optional<uint32_t> token_version(int64_t user_id) const {
        auto it = versions_.find(user_id);
        if (it == versions_.end()) return std::nullopt;
        return it->second;
    }
    bool is_revoked(std::string_view sid) const { return revoked_.find(sid) != revoked_.end(); }

    void set_token_version(int64_t user_id, uint32_t version);
    void remove_user(int64_t user_id) { versions_.erase(user_id); }
    void revoke(std::string_view sid, int64_t expires_at);
    // Drops revoked entries whose tokens have all expired anyway.
    void prune(int64_t now_seconds);

    size_t revoked_count() const { return revoked_.size(); }
    size_t user_count() const { return versions_.size(); }

  private:
    struct Hash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    std::unordered_map<int64_t, uint32_t> versions_;
    std::unordered_map<std::string, int64_t, Hash, std::equal_to<>>
        revoked_;  // sid → expires_at (s)
};

}  // namespace authd::auth
