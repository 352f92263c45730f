// Login throttling: the one owner of the failure counters' keys. An attempt is reserved in
// the store (atomically) before the password is hashed, so parallel guesses cannot all slip
// under the limit; it stays counted when the password is wrong and is given back otherwise.
#pragma once
#include <string>
#include <string_view>

#include "auth/or_response.hpp"
#include "auth/services.hpp"
#include "core/task.hpp"
#include "store/result.hpp"
#include "store/types.hpp"

namespace authd::auth {

// The counters one attempt holds a reservation on (empty key: none).
struct LoginAttempt {
    std::string subject_key;  // "user:<id>", or "name:<folded name>" for an unknown name
    std::string address_key;  // "ip:<client address>"
};

// Reserves a login attempt for the user the store found (`user`), or for the name as typed
// when it found none, and for the client address. 429 when either limit is reached, 503 when
// the store does not answer. A name longer than any username creates no counter.
core::Task<OrResponse<LoginAttempt>> reserve_login(Services& s,
                                                   const store::Result<store::User>& user,
                                                   std::string_view typed_name,
                                                   std::string_view client_address);
// The old-password check of a password change counts as a login attempt of that user.
core::Task<OrResponse<LoginAttempt>> reserve_password_check(Services& s, const store::User& user);

// The password was right: the user's failures are forgotten, the address's reservation
// given back. A wrong password needs no call: the reservation is the recorded failure.
core::Task<void> login_succeeded(Services& s, const LoginAttempt& attempt);
// No verdict (the hashing pool was full, the account is inactive): both given back.
core::Task<void> login_undecided(Services& s, const LoginAttempt& attempt);

}  // namespace authd::auth
