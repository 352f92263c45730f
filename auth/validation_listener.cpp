// LoopValidationListener: each change becomes one message per loop (the loop owns its cache).
#include "auth/validation_listener.hpp"

#include <memory>
#include <vector>

#include "core/task.hpp"

namespace authd::auth {
namespace {

// Users a resync shows at version 0 that the legacy directory lacks: imported while the feed
// was down, or between the directory's load at start and the first subscription. Looked up
// one by one (rare, and bounded by the users imported meanwhile); a failure leaves the rest
// to the next resync.
core::Task<void> fill_legacy_directory(Services* s, std::vector<int64_t> ids) {
    for (int64_t id : ids) {
        store::Result<store::User> u = co_await s->store->find_user(id);
        if (u.unavailable()) co_return;
        if (u && u->token_version == 0) s->legacy->add(id, {u->username, u->role});
    }
}

}  // namespace

void LoopValidationListener::on_session_revoked(const std::string& sid, int64_t expires_at) {
    Services* s = &services_;
    // Shared, not copied per loop: post_all copies the closure once per loop.
    auto shared_sid = std::make_shared<const std::string>(sid);
    s->loops->post_all([s, shared_sid, expires_at](core::Loop& l) {
        s->contexts[static_cast<size_t>(l.index())]->cache.revoke(*shared_sid, expires_at);
    });
}

void LoopValidationListener::on_token_version(int64_t user_id, uint32_t version) {
    Services* s = &services_;
    s->loops->post_all([s, user_id, version](core::Loop& l) {
        s->contexts[static_cast<size_t>(l.index())]->cache.set_token_version(user_id, version);
    });
}

void LoopValidationListener::on_user_removed(int64_t user_id) {
    Services* s = &services_;
    s->loops->post_all([s, user_id](core::Loop& l) {
        s->contexts[static_cast<size_t>(l.index())]->cache.remove_user(user_id);
    });
}

void LoopValidationListener::on_imported_user(int64_t user_id, store::Role role,
                                              const std::string& username) {
    if (services_.legacy) services_.legacy->add(user_id, {username, role});
    on_token_version(user_id, 0);
}

void LoopValidationListener::on_resync(const store::ValidationState& state) {
    Services* s = &services_;
    // One copy of the (possibly large) state, shared by every loop's message.
    auto shared = std::make_shared<const store::ValidationState>(state);
    s->loops->post_all([s, shared](core::Loop& l) {
        s->contexts[static_cast<size_t>(l.index())]->cache.resync(*shared);
    });
    if (!s->legacy) return;
    std::vector<int64_t> missing = s->legacy->missing(state.token_versions);
    if (missing.empty()) return;
    s->loops->loop(0).post([s, ids = std::move(missing)]() mutable {
        core::spawn(fill_legacy_directory(s, std::move(ids)));
    });
}

}  // namespace authd::auth
