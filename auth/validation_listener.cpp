// LoopValidationListener: each change becomes one message per loop (the loop owns its cache).
#include "auth/validation_listener.hpp"

#include <memory>

namespace authd::auth {

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

void LoopValidationListener::on_resync(const store::ValidationState& state) {
    Services* s = &services_;
    // One copy of the (possibly large) state, shared by every loop's message.
    auto shared = std::make_shared<const store::ValidationState>(state);
    s->loops->post_all([s, shared](core::Loop& l) {
        s->contexts[static_cast<size_t>(l.index())]->cache.resync(*shared);
    });
}

}  // namespace authd::auth
