// CORS origin matching and headers.
#include "http/cors.hpp"

namespace authd::http {

bool CorsPolicy::allowed(std::string_view origin) const {
    if (origin.empty()) return false;
    for (const auto& o : origins_) {
        if (o == origin) return true;
    }
    return false;
}

bool CorsPolicy::is_preflight(const Request& r) {
    return r.method == Method::options && r.has_header("origin") &&
           r.has_header("access-control-request-method");
}

void CorsPolicy::append_response_headers(std::string& out, std::string_view origin) const {
    out += "Access-Control-Allow-Origin: ";
    out += origin;
    out += "\r\nAccess-Control-Expose-Headers: X-Total-Count, Retry-After, WWW-Authenticate\r\n";
}

void CorsPolicy::append_preflight_headers(std::string& out) const {
    out +=
        "Access-Control-Allow-Methods: GET, POST, PATCH, DELETE, OPTIONS\r\n"
        "Access-Control-Allow-Headers: Authorization, Content-Type, Accept\r\n"
        "Access-Control-Max-Age: 86400\r\n";
}

}  // namespace authd::http
