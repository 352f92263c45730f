// The user state a one-time link is bound to: when it changes, the link stops working.
// Verification links die once the email is verified (or changed); reset links die when the
// password changes or the user logs in (Django's PasswordResetTokenGenerator rule).
#pragma once
#include <string>

#include "store/types.hpp"

namespace authd::auth {

inline std::string verify_link_state(const store::User& u) {
    return u.email + (u.email_verified ? "|verified" : "|pending");
}

inline std::string reset_link_state(const store::User& u) {
    return u.password_hash + "|" + std::to_string(u.last_login_us);
}

}  // namespace authd::auth
