// Revoking one login session everywhere: in the store (which tells the other instances),
// then on every loop of this instance, before the revoking request is answered.
#pragma once
#include <string>

#include "auth/services.hpp"
#include "core/task.hpp"

namespace authd::auth {

// False when the store did not take it: then nothing changes, so that the client's retry
// (after a 503) still authenticates and revokes it for every instance.
core::Task<bool> revoke_everywhere(Services& s, std::string sid);

}  // namespace authd::auth
