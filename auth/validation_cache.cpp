// ValidationCache updates.
#include "auth/validation_cache.hpp"

namespace authd::auth {

void ValidationCache::load(const store::ValidationState& state) {
    versions_.clear();
    revoked_.clear();
    versions_.reserve(state.token_versions.size());
    for (const auto& [id, version] : state.token_versions) versions_[id] = version;
    for (const auto& [sid, expires_at] : state.revoked_sessions) revoked_[sid] = expires_at;
}

void ValidationCache::resync(const store::ValidationState& state) {
    versions_.clear();
    versions_.reserve(state.token_versions.size());
    for (const auto& [id, version] : state.token_versions) versions_[id] = version;
    for (const auto& [sid, expires_at] : state.revoked_sessions) revoke(sid, expires_at);
}

void ValidationCache::set_token_version(int64_t user_id, uint32_t version) {
    auto [it, inserted] = versions_.try_emplace(user_id, version);
    // Versions only grow; a late or duplicate message must not roll one back.
    if (!inserted && version > it->second) it->second = version;
}

void ValidationCache::revoke(std::string_view sid, int64_t expires_at) {
    auto it = revoked_.find(sid);
    if (it == revoked_.end()) {
        revoked_.emplace(std::string(sid), expires_at);
    } else if (expires_at > it->second) {
        it->second = expires_at;
    }
}

void ValidationCache::prune(int64_t now_seconds) {
    std::erase_if(revoked_,
                  [now_seconds](const auto& entry) { return entry.second <= now_seconds; });
}

}  // namespace authd::auth
