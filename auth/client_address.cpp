// The client address of a request.
#include "auth/client_address.hpp"

namespace authd::auth {

std::string_view client_address(const http::Request& req) {
    return req.peer_address();
}

}  // namespace authd::auth
