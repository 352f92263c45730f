// Service endpoints of API.md §6: /healthz, /readyz, /metrics.
#pragma once
#include "http/router.hpp"

namespace authd::tools {

void register_service_endpoints(http::Router& router);

}  // namespace authd::tools
