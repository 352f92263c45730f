// The user state a one-time link is bound to: when it changes, the link stops working.
// Verification links die once the email is verified (or changed) or the user deactivated;
// reset links die when the
// password changes or the user logs in (Django's PasswordResetTokenGenerator rule).
#pragma once
#include <string>

#include "store/types.hpp"

namespace authd::auth {

// The token version is part of it: an agent's deactivation bumps it, so a link mailed before
// cannot undo the deactivation.
inline std::string verify_link_state(const store::User& u) {
    return u.email + (u.email_verified ? "|verified|" : "|pending|") +
           std::to_string(u.token_version);
}

inline std::string reset_link_state(const store::User& u) {
    return u.password_hash + "|" + std::to_string(u.last_login_us);
}

}  // namespace authd::auth
