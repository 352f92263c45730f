// The `Date` header value, formatted once per second per thread.
#pragma once
#include <string_view>

namespace authd::http {

std::string_view http_date();

}  // namespace authd::http
