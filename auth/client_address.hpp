// The client's address as every limit, audit record and log line should see it.
#pragma once
#include <string_view>

#include "http/request.hpp"

namespace authd::auth {

// The TCP peer (AUTHD_TRUSTED_PROXIES, when set, makes it the forwarded client address).
std::string_view client_address(const http::Request& req);

}  // namespace authd::auth
