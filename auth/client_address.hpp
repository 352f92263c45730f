// The client's address as every limit, audit record and log line should see it.
#pragma once
#include <string_view>

#include "http/request.hpp"

namespace authd::auth {

// The TCP peer; when that peer is in AUTHD_TRUSTED_PROXIES, the rightmost entry of its
// X-Forwarded-For (or Forwarded, per AUTHD_FORWARDED_HEADER) chain that is not trusted.
std::string_view client_address(const http::Request& req);

}  // namespace authd::auth
