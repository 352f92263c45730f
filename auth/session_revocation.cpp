// Session revocation shared by logout and /oauth/revoke.
#include "auth/session_revocation.hpp"

#include "auth/token_service.hpp"
#include "core/clock.hpp"

namespace authd::auth {

core::Task<bool> revoke_everywhere(Services& s, std::string sid) {
    store::Result<store::RevokeResult> r = co_await s.store->revoke_session(sid);
    if (r.unavailable()) co_return false;
    int64_t expires_at =
        r && r->expires_at > 0 ? r->expires_at : core::wall_seconds() + s.settings.refresh_ttl;
    co_await spread_revocation(s, std::move(sid), expires_at);
    co_return true;
}

}  // namespace authd::auth
